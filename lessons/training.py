"""The training loops the lessons share — mini-batches with a progress bar for classifiers,
full batches for regression — and what goes with them: predictions in evaluation mode (from minidl.inference), a cosine
learning rate, random shifts as data augmentation. Each lesson still shows its own model and data."""

from __future__ import annotations

import itertools
import math
from typing import Callable, NamedTuple

import numpy as np

import minidl
import minidl.functional as F
from minidl.datasets import DataLoader
from minidl.inference import predict, probabilities  # noqa: F401  (the lessons import them from here too)
from minidl.metrics import accuracy
from minidl.nn import Module
from minidl.optim import Adam, Optimizer
from minidl.progress import progress


class History(NamedTuple):
    loss: list[float]  # mean training loss per epoch
    train_accuracy: list[float]  # on the batches seen during the epoch
    test_accuracy: list[float]  # on the held-out set after the epoch (empty without one)


def cosine_learning_rate(base: float, total: int) -> Callable[[int], float]:
    """α_e = base · ½(1 + cos(π e / total)) for epoch (or step) e: large steps first, small ones to
    settle at the end (Loshchilov & Hutter 2017, without restarts)."""
    return lambda e: base * 0.5 * (1 + math.cos(math.pi * e / total))


def train_classifier(
    model: Module,
    optimizer: Optimizer,
    train: tuple[np.ndarray, np.ndarray],
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    learning_rate: Callable[[int], float] | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
) -> History:
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
        bar = progress(loader, f"epoch {epoch + 1}/{epochs}", unit="batches")
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
        print(
            f"  epoch {epoch + 1:2d}/{epochs}: loss {history.loss[-1]:.4f}, "
            f"train accuracy {history.train_accuracy[-1]:.3f}{test_text}"
        )
    return history


def random_shifts(images: np.ndarray, rng: np.random.Generator, max_shift: int = 1) -> np.ndarray:
    """Each image moved by up to max_shift pixels in each direction, zeros filling in: the data
    augmentation that teaches a CNN that a digit is the same digit a little further left."""
    n, _, height, width = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    return np.stack([padded[i, :, dy[i] : dy[i] + height, dx[i] : dx[i] + width] for i in range(n)])


def train_regressor(
    model: Module,
    optimizer: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    learning_rate: Callable[[int], float] | None = None,
    desc: str = "training",
) -> tuple[list[float], list[float]]:
    """Full-batch gradient steps on the mean squared error; returns the training loss per step and
    (when a validation set is given) the validation loss per step. `learning_rate(step)` sets α."""
    inputs, targets = minidl.tensor(x), minidl.tensor(y)
    train_losses, validation_losses = [], []
    bar = progress(range(steps), desc, unit="steps")
    for step in bar:
        if learning_rate is not None:
            optimizer.settings["lr"] = learning_rate(step)
        loss = F.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_losses.append(loss.item())
        bar.set_postfix(loss=f"{train_losses[-1]:.4f}")
        if validation is not None:
            validation_losses.append(float(np.mean((predict(model, validation[0]) - validation[1]) ** 2)))
    return train_losses, validation_losses


def train_segmenter(
    model: Module, images: np.ndarray, masks: np.ndarray, steps: int, desc: str = "training", seed: int = 0
) -> list[float]:
    """Segmentation training for the U-Net workshop: Adam (α = 3·10⁻³) on BCE-with-logits plus the
    soft Dice loss, batches of 16 phantoms (in an order `seed` draws), `steps` steps over as many
    epochs as it takes. Images (N, C, H, W), masks (N, H, W) of 0/1; returns the loss of every step."""
    optimizer = Adam(model.parameters(), lr=3e-3)
    loader = DataLoader(images, masks[:, None].astype(np.float32), batch_size=16, shuffle=True, seed=seed)
    batches = itertools.islice(itertools.chain.from_iterable(itertools.repeat(loader)), steps)
    losses: list[float] = []
    model.train()
    bar = progress(batches, desc, total=steps, unit="steps")
    for batch, target in bar:
        logits = model(batch)
        loss = F.binary_cross_entropy_with_logits(logits, target) + F.dice_loss(logits, target.data)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    return losses
