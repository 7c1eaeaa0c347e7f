"""Explanations on the MNIST LeNet-5: one Grad-CAM map, one saliency map, one LIME explanation and
one Kernel SHAP explanation with 1,000 coalitions, the exact Shapley values of 12 superpixels (4,096
coalitions) and Integrated Gradients with 50 steps (targets on 2 cores: Grad-CAM under 5 ms, LIME
and Kernel SHAP under 0.5 s, exact Shapley under 1 s, Integrated Gradients under 20 ms per digit)."""

from __future__ import annotations

import numpy as np

import minidl
from benchmarks.timing import interleaved_timings
from minidl.datasets import load_mnist
from minidl.models import LeNet5
from minidl.xai import GradCAM, KernelShapExplainer, LimeImageExplainer, integrated_gradients, saliency, shapley_values

DIGIT = 28


def twelve_superpixels() -> np.ndarray:
    """A 3 × 4 grid on the 28 × 28 digit: rows of 10, 10 and 8 pixels, columns of 7."""
    rows, columns = np.mgrid[0:DIGIT, 0:DIGIT]
    return (rows // 10) * 4 + columns // 7


def run(repeats: int) -> list[dict[str, object]]:
    minidl.manual_seed(0)
    model = LeNet5().eval()
    image = load_mnist("test")[0][:1]
    cam = GradCAM(model, "features.4")

    def predict(batch: np.ndarray) -> np.ndarray:
        with minidl.no_grad():
            return model(minidl.tensor(batch)).data

    explainer, kernel_shap, segments = LimeImageExplainer(), KernelShapExplainer(), twelve_superpixels()
    work = {
        "Grad-CAM, one 28x28 digit, LeNet-5 (target < 5 ms)": lambda: cam(image),
        "saliency, one 28x28 digit, LeNet-5": lambda: saliency(model, image),
        "LIME, 1,000 samples in batches of 100, LeNet-5 (target < 0.5 s)": lambda: explainer.explain(
            image[0], predict, num_samples=1000, seed=0
        ),
        "Kernel SHAP, 1,000 coalitions of 49 superpixels, LeNet-5 (target < 0.5 s)": lambda: kernel_shap.explain(
            image[0], predict, num_samples=1000, seed=0
        ),
        "exact Shapley values, 12 superpixels (4,096 coalitions), LeNet-5 (target < 1 s)": lambda: shapley_values(
            image[0], predict, segments=segments
        ),
        "Integrated Gradients, 50 steps, one digit, LeNet-5 (target < 20 ms)": lambda: integrated_gradients(
            model, image, steps=50
        ),
    }
    return [{"suite": "xai", "case": name, **interleaved_timings({"minidl": fn}, repeats)} for name, fn in work.items()]
