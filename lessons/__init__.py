"""The lesson track: one runnable script per section of the lecture "Explainable AI (XAI) for
Image Analysis with Deep Learning", in the order of the deck.

    python -m lessons --list        the lessons and the slide each belongs to
    python -m lessons NAME          run one (add --quick for a fast, smaller run)
    python -m lessons --all         run the whole track

Each lesson module has a docstring naming its slide, a `SLIDE` title and a
`run(out_dir, quick) -> None` that prints what the slide shows and saves its figures in out_dir.
"""
from __future__ import annotations

from typing import NamedTuple


class Lesson(NamedTuple):
    name: str
    module: str
    slide: str


# In the deck's order.
LESSONS: tuple[Lesson, ...] = (
    Lesson("neuron", "lessons.neuron", "The artificial neuron: McCulloch–Pitts units and logic gates"),
    Lesson("activations", "lessons.activations", "Activation functions: the table and its derivatives"),
    Lesson("delta_rule", "lessons.delta_rule", "The delta rule: perceptron and Adaline learning"),
    Lesson("backprop", "lessons.mlp_backprop", "MLP and backpropagation"),
    Lesson("losses", "lessons.losses", "Loss functions: binary, multiclass, regression"),
    Lesson("universal_approximation", "lessons.universal_approximation", "Universal approximation"),
    Lesson("mlp_regression", "lessons.mlp_regression", "Workshop 1: MLP for regression"),
    Lesson("convolution", "lessons.convolution", "Convolution operations: stride, padding, max-pooling, im2col"),
    Lesson("mnist_cnn", "lessons.mnist_cnn", "Workshop 2: CNN (LeNet-5) on MNIST"),
    Lesson("sign_language", "lessons.sign_language", "Workshop 3: CNN on Sign Language MNIST"),
    Lesson("architectures", "lessons.architectures", "CNN architectures: LeNet-5 and AlexNet side by side"),
    Lesson("cnn_blocks", "lessons.cnn_blocks", "CNN architectures: Inception modules and residual blocks"),
    Lesson("detection", "lessons.detection", "Object detection: IoU, grid confidence, non-maximum suppression"),
    Lesson("unet_segmentation", "lessons.unet_segmentation", "Workshop 4: U-Net tumour segmentation, Dice"),
    Lesson("blackbox", "lessons.blackbox", "The black-box problem: Husky vs Wolf in miniature"),
    Lesson("saliency_maps", "lessons.saliency_maps", "Post-hoc explanations: saliency maps"),
    Lesson("gradcam", "lessons.gradcam", "Workshop 5: Grad-CAM step by step, and Grad-CAM++"),
    Lesson("lime", "lessons.lime", "Workshop 6: LIME with grid superpixels"),
    Lesson("evaluating_explanations", "lessons.evaluating_explanations",
           "Evaluating explanations: deletion, insertion, sanity checks"),
)
