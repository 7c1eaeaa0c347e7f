"""Whole-model numbers: a LeNet-5 training epoch on MNIST-shaped images (batch 64, SGD with
momentum 0.9), its peak memory, and the 1,000 forward passes of one LIME explanation. PyTorch
runs the same architecture from the same initial weights (state_dict keys match).
"""

from __future__ import annotations

import tracemalloc
from typing import Callable

import numpy as np

import minidl
import minidl.functional as F
from benchmarks.timing import interleaved_timings
from benchmarks.torch_twin import import_torch
from minidl.datasets import load_mnist
from minidl.kernels import use_kernels
from minidl.models import LeNet5
from minidl.optim import SGD

BATCH_SIZE = 64
LIME_SAMPLES, LIME_BATCH = 1000, 100


def mnist_images(count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` MNIST digits from the shipped subset (train, then test when more are asked for)."""
    (train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
    images, labels = np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y])
    if count > len(images):
        raise ValueError(f"the shipped subset holds {len(images)} images, asked for {count}")
    return images[:count], labels[:count]


def _minidl_epoch(model: LeNet5, images: np.ndarray, labels: np.ndarray, backend: str) -> Callable[[], None]:
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def epoch() -> None:
        with use_kernels(backend):
            for start in range(0, len(images), BATCH_SIZE):
                optimizer.zero_grad()
                logits = model(minidl.tensor(images[start : start + BATCH_SIZE]))
                F.cross_entropy(logits, labels[start : start + BATCH_SIZE]).backward()
                optimizer.step()

    return epoch


def torch_lenet5(torch, weights: dict[str, np.ndarray]):
    nn = torch.nn

    class TorchLeNet5(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)
            )

        def forward(self, x):
            return self.classifier(self.features(x))

    model = TorchLeNet5()
    model.load_state_dict({key: torch.tensor(value) for key, value in weights.items()})
    return model


def _torch_epoch(torch, model, images: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images, labels = torch.tensor(images), torch.tensor(labels)

    def epoch() -> None:
        for start in range(0, len(images), BATCH_SIZE):
            optimizer.zero_grad()
            logits = model(images[start : start + BATCH_SIZE])
            torch.nn.functional.cross_entropy(logits, labels[start : start + BATCH_SIZE]).backward()
            optimizer.step()

    return epoch


def peak_epoch_megabytes(epoch: Callable[[], None]) -> float:
    """Peak of memory allocated through Python and NumPy during one epoch (tracemalloc)."""
    tracemalloc.start()
    try:
        epoch()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(repeats: int, images_per_epoch: int) -> list[dict[str, object]]:
    torch = import_torch()
    images, labels = mnist_images(images_per_epoch)
    minidl.manual_seed(0)
    weights = LeNet5().state_dict()

    def fresh_minidl_model() -> LeNet5:
        model = LeNet5()
        model.load_state_dict(weights)
        return model

    candidates = {
        "minidl": _minidl_epoch(fresh_minidl_model(), images, labels, "numba"),
        "minidl (reading path)": _minidl_epoch(fresh_minidl_model(), images, labels, "numpy"),
    }
    if torch is not None:
        candidates["PyTorch"] = _torch_epoch(torch, torch_lenet5(torch, weights), images, labels)
    epoch_timings = interleaved_timings(candidates, repeats)
    peak = peak_epoch_megabytes(_minidl_epoch(fresh_minidl_model(), images, labels, "numba"))
    rows = [
        {
            "suite": "lenet",
            "case": f"LeNet-5 training epoch, {images_per_epoch} images, batch {BATCH_SIZE}",
            **epoch_timings,
            "notes": {"minidl_peak_megabytes": round(peak, 1)},
        }
    ]

    lime_images = np.repeat(images[:1], LIME_SAMPLES, axis=0)
    model = fresh_minidl_model().eval()

    def minidl_lime() -> None:
        with minidl.no_grad():
            for start in range(0, LIME_SAMPLES, LIME_BATCH):
                model(minidl.tensor(lime_images[start : start + LIME_BATCH]))

    candidates = {"minidl": minidl_lime}
    if torch is not None:
        torch_model, torch_images = torch_lenet5(torch, weights).eval(), torch.tensor(lime_images)

        def torch_lime() -> None:
            with torch.no_grad():
                for start in range(0, LIME_SAMPLES, LIME_BATCH):
                    torch_model(torch_images[start : start + LIME_BATCH])

        candidates["PyTorch"] = torch_lime
    rows.append(
        {
            "suite": "lenet",
            "case": f"LIME: {LIME_SAMPLES} LeNet-5 forward passes, batches of {LIME_BATCH}",
            **interleaved_timings(candidates, repeats),
        }
    )
    return rows
