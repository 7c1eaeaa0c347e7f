"""The lesson track: one runnable script per section of the lecture "Explainable AI (XAI) for
Image Analysis with Deep Learning", in the order of the deck.

    python -m lessons --list        the lessons and the slide each belongs to
    python -m lessons NAME          run one (add --quick for a fast, smaller run)
    python -m lessons --all         run the whole track

    python -m lessons --notebooks DIR   every lesson as a Jupyter notebook

Each lesson is a percent-format script, lessons/NAME.py, whose cells stand at module level: it
runs top to bottom as a script, and cell by cell as a notebook (Jupyter, VS Code, Colab). Its
first markdown cell names its slide; its first code cell reads its settings (lessons.settings).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


class Lesson(NamedTuple):
    name: str  # also the file's name: lessons/NAME.py
    slide: str


def lesson_file(lesson: Lesson) -> Path:
    return Path(__file__).with_name(f"{lesson.name}.py")


# In the deck's order.
LESSONS: tuple[Lesson, ...] = (
    Lesson("neuron", "The artificial neuron: McCulloch–Pitts units and logic gates"),
    Lesson("activations", "Activation functions: the table and its derivatives"),
    Lesson("delta_rule", "The delta rule: perceptron and Adaline learning"),
    Lesson("backprop", "MLP and backpropagation"),
    Lesson("losses", "Loss functions: binary, multiclass, regression"),
    Lesson("universal_approximation", "Universal approximation"),
    Lesson("mlp_regression", "Workshop 1: MLP for regression"),
    Lesson("convolution", "Convolution operations: stride, padding, max-pooling, im2col"),
    Lesson("mnist_cnn", "Workshop 2: CNN (LeNet-5) on MNIST"),
    Lesson("sign_language", "Workshop 3: CNN on Sign Language MNIST"),
    Lesson("architectures", "CNN architectures: LeNet-5 and AlexNet side by side"),
    Lesson("cnn_blocks", "CNN architectures: Inception modules and residual blocks"),
    Lesson("detection", "Object detection: IoU, grid confidence, non-maximum suppression"),
    Lesson("unet_segmentation", "Workshop 4: U-Net tumour segmentation, Dice"),
    Lesson("blackbox", "The black-box problem: Husky vs Wolf in miniature"),
    Lesson("ante_hoc", "Post-hoc vs ante-hoc: models explainable by construction, before the post-hoc methods"),
    Lesson("saliency_maps", "Post-hoc explanations: saliency maps"),
    Lesson("gradcam", "Workshop 5: Grad-CAM step by step, and Grad-CAM++"),
    Lesson("lime", "Workshop 6: LIME with grid superpixels"),
    Lesson("rules", "Post-hoc explanations: rule-based (Anchors)"),
    Lesson("evaluating_explanations", "Evaluating explanations: deletion, insertion, sanity checks"),
    Lesson("xai_in_images", "XAI in images: saliency, Integrated Gradients, SHAP and concepts side by side"),
    Lesson("shapley", "XAI in images: Shapley value importance (Kernel SHAP, Neuron Shapley)"),
    Lesson("concepts", "XAI in images: concept attribution (TCAV, regression concept vectors)"),
)
