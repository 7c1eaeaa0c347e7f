"""Which class each sample is explained for, and running a model the way explanations need it."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np

from minidl.nn import Module

Target = int | Sequence[int] | np.ndarray | None


def resolve_targets(op: str, scores: np.ndarray, target: Target) -> np.ndarray:
    """One class index per sample (int64, (N,)) from scores (N, classes) and target."""
    if scores.ndim != 2:
        raise ValueError(f"{op}: the model must output scores of shape (N, classes), got {scores.shape}")
    n, classes = scores.shape
    if target is None:
        return scores.argmax(axis=1).astype(np.int64)
    chosen = np.asarray(target)
    if chosen.dtype.kind not in "iu" or chosen.ndim > 1:
        raise ValueError(f"{op}: target must be None, an int or one int per sample, got {target!r}")
    chosen = np.broadcast_to(chosen, (n,)) if chosen.ndim == 0 else chosen
    if chosen.shape != (n,):
        raise ValueError(f"{op}: {n} sample(s) need {n} target(s), got {chosen.shape[0]}")
    if chosen.size and (chosen.min() < 0 or chosen.max() >= classes):
        raise ValueError(f"{op}: target classes must lie in [0, {classes - 1}] for a model with {classes} "
                         f"outputs, got {chosen.tolist()}")
    return chosen.astype(np.int64)


def check_images(op: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(getattr(x, "data", x))
    if x.ndim != 4:
        raise ValueError(f"{op}: expected images (N, C, H, W), got shape {x.shape}"
                         + ("; add a batch axis with x[None]" if x.ndim == 3 else ""))
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected floating-point images, got {x.dtype}")
    return x


@contextmanager
def explaining(model: Module) -> Iterator[None]:
    """Evaluation mode, and parameters that do not ask for gradients (so an explanation leaves
    the model's .grad alone and computes no weight gradients); both restored afterwards."""
    was_training = model.training
    parameters = list(model.parameters())
    asked = [p.requires_grad for p in parameters]
    model.eval()
    for p in parameters:
        p.requires_grad = False
    try:
        yield
    finally:
        for p, flag in zip(parameters, asked):
            p.requires_grad = flag
        model.train(was_training)
