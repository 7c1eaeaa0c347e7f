"""What several lessons share: a training loop with a progress bar, batched prediction, and
saving a figure. Each lesson still shows its own model, data and plots."""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
from tqdm import tqdm

import minidl
import minidl.functional as F
from minidl.datasets import DataLoader, DatasetError, load_mnist, make_husky_wolf
from minidl.datasets.download import cache_dir
from minidl.metrics import accuracy
from minidl.models import LeNet5
from minidl.nn import Module
from minidl.optim import Adam, Optimizer


class History(NamedTuple):
    loss: list[float]            # mean training loss per epoch
    train_accuracy: list[float]  # on the batches seen during the epoch
    test_accuracy: list[float]   # on the held-out set after the epoch (empty without one)


def cosine_learning_rate(base: float, total: int) -> Callable[[int], float]:
    """α_e = base · ½(1 + cos(π e / total)) for epoch (or step) e: large steps first, small ones to
    settle at the end (Loshchilov & Hutter 2017, without restarts)."""
    return lambda e: base * 0.5 * (1 + math.cos(math.pi * e / total))


def predict(model: Module, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Model outputs for images, in evaluation mode and without a graph; the mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with minidl.no_grad():
            return np.concatenate([model(minidl.tensor(images[i:i + batch_size])).data
                                   for i in range(0, len(images), batch_size)])
    finally:
        model.train(was_training)


def probabilities(model: Module, images: np.ndarray) -> np.ndarray:
    """Softmax of the model's outputs: the predict_fn LIME asks for."""
    logits = predict(model, images).astype(np.float64)
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def train_classifier(model: Module, optimizer: Optimizer, train: tuple[np.ndarray, np.ndarray], epochs: int,
                     batch_size: int = 64, seed: int = 0, test: tuple[np.ndarray, np.ndarray] | None = None,
                     learning_rate: Callable[[int], float] | None = None,
                     augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None) -> History:
    """Mini-batch training with cross-entropy: for each batch, forward, loss, backward, step.

    `learning_rate(epoch)` sets the optimizer's α at the start of each epoch; `augment(images, rng)`
    transforms each batch's images (e.g. random shifts) before the forward pass.
    """
    loader = DataLoader(*train, batch_size=batch_size, shuffle=True, seed=seed)
    rng = np.random.default_rng(seed)
    history = History([], [], [])
    for epoch in range(epochs):
        if learning_rate is not None:
            optimizer.settings["lr"] = learning_rate(epoch)
        model.train()
        losses, hits = [], []
        # disable=None: a live bar in a terminal, silence in logs and captured output.
        with tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False, unit="batch", disable=None) as bar:
            for images, labels in bar:
                if augment is not None:
                    images = minidl.tensor(augment(images.data, rng))
                logits = model(images)
                loss = F.cross_entropy(logits, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                hits.append(accuracy(logits.data, labels.data))
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
        history.loss.append(float(np.mean(losses)))
        history.train_accuracy.append(float(np.mean(hits)))
        if test is not None:
            history.test_accuracy.append(accuracy(predict(model, test[0]), test[1]))
        test_text = f", test accuracy {history.test_accuracy[-1]:.3f}" if test is not None else ""
        print(f"  epoch {epoch + 1:2d}/{epochs}: loss {history.loss[-1]:.4f}, "
              f"train accuracy {history.train_accuracy[-1]:.3f}{test_text}")
    return history


def random_shifts(images: np.ndarray, rng: np.random.Generator, max_shift: int = 1) -> np.ndarray:
    """Each image moved by up to max_shift pixels in each direction, zeros filling in: the data
    augmentation that teaches a CNN that a digit is the same digit a little further left."""
    n, _, height, width = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    return np.stack([padded[i, :, dy[i]:dy[i] + height, dx[i]:dx[i] + width] for i in range(n)])


def save_figure(fig, path: Path) -> None:
    """Write a figure as PNG and free it (lessons make many)."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def train_regressor(model: Module, optimizer: Optimizer, x: np.ndarray, y: np.ndarray, steps: int,
                    validation: tuple[np.ndarray, np.ndarray] | None = None,
                    learning_rate: Callable[[int], float] | None = None,
                    desc: str = "training") -> tuple[list[float], list[float]]:
    """Full-batch gradient steps on the mean squared error; returns the training loss per step and
    (when a validation set is given) the validation loss per step. `learning_rate(step)` sets α."""
    inputs, targets = minidl.tensor(x), minidl.tensor(y)
    train_losses, validation_losses = [], []
    with tqdm(range(steps), desc=desc, leave=False, unit="step", disable=None) as bar:
        for step in bar:
            if learning_rate is not None:
                optimizer.settings["lr"] = learning_rate(step)
            loss = F.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            train_losses.append(loss.item())
            if validation is not None:
                validation_losses.append(float(np.mean((predict(model, validation[0]) - validation[1]) ** 2)))
    return train_losses, validation_losses


MNIST_EPOCHS, MNIST_EPOCHS_FULL, MNIST_LEARNING_RATE = 25, 4, 2e-3
MNIST_ENVIRONMENT_VARIABLE = "MINIDL_MNIST"  # "subset" (default, ships with minidl) or "full"


def full_mnist_requested() -> bool:
    choice = os.environ.get(MNIST_ENVIRONMENT_VARIABLE, "subset").strip().lower()
    if choice not in ("subset", "full"):
        raise DatasetError(f"{MNIST_ENVIRONMENT_VARIABLE} must be 'subset' or 'full', got {choice!r}")
    return choice == "full"


def mnist_splits(quick: bool = False) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((train images, labels), (test images, labels)): the shipped 4,000/1,000 subset, or with
    MINIDL_MNIST=full the standard 60,000/10,000 (read from, or downloaded to, the cache folder).
    --quick keeps the first 600 training images."""
    full = full_mnist_requested()
    (train_x, train_y), test = load_mnist("train", full=full), load_mnist("test", full=full)
    return ((train_x[:600], train_y[:600]) if quick else (train_x, train_y)), test


def trained_mnist_lenet(quick: bool = False) -> tuple[LeNet5, History]:
    """LeNet-5 trained on MNIST (see mnist_splits) with workshop 2's recipe: Adam, a cosine
    learning rate, ±1-pixel shifts; 25 epochs on the subset, 4 on full MNIST, 1 with --quick.
    Trained once per process and data choice, and shared by the lessons that explain it, which
    must not change its weights."""
    return _trained_mnist_lenet(quick, full_mnist_requested(), str(cache_dir()))


@functools.cache
def _trained_mnist_lenet(quick: bool, full: bool, data_folder: str) -> tuple[LeNet5, History]:
    # full and data_folder are read again by mnist_splits; here they make the cache key, so that
    # another data choice in the same process trains another model.
    train, test = mnist_splits(quick)
    epochs = 1 if quick else MNIST_EPOCHS_FULL if full else MNIST_EPOCHS
    minidl.manual_seed(0)
    model = LeNet5()
    history = train_classifier(model, Adam(model.parameters(), lr=MNIST_LEARNING_RATE), train, epochs,
                               test=test, learning_rate=cosine_learning_rate(MNIST_LEARNING_RATE, epochs),
                               augment=random_shifts)
    return model, history


class TwoClassLogOdds(Module):
    """Wraps a two-class model so that it outputs the log-odds (y₀ − y₁, y₁ − y₀) instead of the
    two logits. A two-class network may decide "wolf" by lowering the husky score rather than
    raising the wolf score; the raw wolf logit then shows little evidence (Grad-CAM's ReLU keeps
    only the positive part), while the log-odds, which is what the softmax decision depends on,
    shows all of it."""

    def __init__(self, model: Module):
        super().__init__()
        self.model = model

    def forward(self, x: minidl.Tensor) -> minidl.Tensor:
        logits = self.model(x)
        odds = logits[:, 1:2] - logits[:, 0:1]
        return minidl.concatenate([-odds, odds], axis=1)


HUSKY_WOLF_EPOCHS = 15


def train_lenet(images: np.ndarray, labels: np.ndarray, num_classes: int, epochs: int) -> LeNet5:
    """A LeNet-5 trained from seed 0 with Adam and a cosine learning rate (no augmentation)."""
    minidl.manual_seed(0)
    model = LeNet5(num_classes=num_classes)
    train_classifier(model, Adam(model.parameters(), lr=MNIST_LEARNING_RATE), (images, labels), epochs,
                     learning_rate=cosine_learning_rate(MNIST_LEARNING_RATE, epochs))
    return model


@functools.cache
def trained_husky_wolf_lenet(quick: bool = False) -> LeNet5:
    """The shortcut model of the black-box lesson: LeNet-5 trained on husky/wolf images whose
    background gives the class away (2,000 images, seed 0; --quick: 200, 2 epochs)."""
    images, labels, _ = make_husky_wolf(200 if quick else 2000, background="confounded", seed=0)
    return train_lenet(images, labels, 2, 2 if quick else HUSKY_WOLF_EPOCHS)
