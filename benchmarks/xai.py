"""Explanations on the MNIST LeNet-5: one Grad-CAM map, one saliency map, one LIME explanation
with 1,000 samples (targets: Grad-CAM under 5 ms, LIME under 0.5 s on 2 cores)."""
from __future__ import annotations

import numpy as np

import minidl
from benchmarks.timing import interleaved_timings
from minidl.datasets import load_mnist
from minidl.models import LeNet5
from minidl.xai import GradCAM, LimeImageExplainer, saliency


def run(repeats: int) -> list[dict[str, object]]:
    minidl.manual_seed(0)
    model = LeNet5().eval()
    image = load_mnist("test")[0][:1]
    cam = GradCAM(model, "features.4")

    def predict(batch: np.ndarray) -> np.ndarray:
        with minidl.no_grad():
            return model(minidl.tensor(batch)).data

    explainer = LimeImageExplainer()
    work = {"Grad-CAM, one 28x28 digit, LeNet-5 (target < 5 ms)": lambda: cam(image),
            "saliency, one 28x28 digit, LeNet-5": lambda: saliency(model, image),
            "LIME, 1,000 samples in batches of 100, LeNet-5 (target < 0.5 s)":
                lambda: explainer.explain(image[0], predict, num_samples=1000, seed=0)}
    return [{"suite": "xai", "case": name, **interleaved_timings({"minidl": fn}, repeats)}
            for name, fn in work.items()]
