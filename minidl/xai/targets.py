"""Which class each sample is explained for, the score an explanation differentiates, the refusal
of non-finite numbers, and running a model the way explanations need it.

A contrastive target explains class c against class c′: the score is the difference of logits
y_c − y_c′, the log-odds of c over c′ under the softmax. A two-class network may decide "wolf" by
lowering the husky logit rather than raising the wolf logit; the wolf logit alone then shows little
evidence, while y_wolf − y_husky, which is what the decision depends on, shows all of it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np

from minidl.nn import Module
from minidl.tensor import Tensor

Target = int | Sequence[int] | np.ndarray | None
Contrast = int | Sequence[int] | np.ndarray | str | None
IMAGE_AXES = ("sample", "channel", "row", "column")
SCORE_AXES = ("sample", "class")


def resolve_targets(op: str, scores: np.ndarray, target: Target, name: str = "target") -> np.ndarray:
    """One class index per sample (int64, (N,)) from scores (N, classes) and target."""
    if scores.ndim != 2:
        raise ValueError(f"{op}: the model must output scores of shape (N, classes), got {scores.shape}")
    n, classes = scores.shape
    if target is None:
        return scores.argmax(axis=1).astype(np.int64)
    chosen = np.asarray(target)
    if chosen.dtype.kind not in "iu" or chosen.ndim > 1:
        raise ValueError(f"{op}: {name} must be None, an int or one int per sample, got {target!r}")
    chosen = np.broadcast_to(chosen, (n,)) if chosen.ndim == 0 else chosen
    if chosen.shape != (n,):
        raise ValueError(f"{op}: {n} sample(s) need {n} {name}(s), got {chosen.shape[0]}")
    if chosen.size and (chosen.min() < 0 or chosen.max() >= classes):
        raise ValueError(
            f"{op}: {name} classes must lie in [0, {classes - 1}] for a model with {classes} "
            f"outputs, got {chosen.tolist()}"
        )
    return chosen.astype(np.int64)


def resolve_contrasts(op: str, scores: np.ndarray, targets: np.ndarray, contrast: Contrast) -> np.ndarray | None:
    """The class c′ each target is explained against (int64, (N,)), or None for the plain logit.
    contrast "runner_up" takes each sample's highest-scoring class other than its target (for a
    two-class model: the other class)."""
    if contrast is None:
        return None
    if isinstance(contrast, str):
        if contrast != "runner_up":
            raise ValueError(
                f"{op}: contrast must be None, 'runner_up', an int or one int per sample, got {contrast!r}"
            )
        if scores.shape[1] < 2:
            raise ValueError(f"{op}: contrast 'runner_up' needs a model with at least 2 outputs, got {scores.shape[1]}")
        others = scores.astype(np.float64)
        others[np.arange(len(targets)), targets] = -np.inf
        return others.argmax(axis=1).astype(np.int64)
    contrasts = resolve_targets(op, scores, contrast, "contrast")
    same = np.flatnonzero(contrasts == targets)
    if same.size:
        raise ValueError(
            f"{op}: sample {same[0]} is explained as class {targets[same[0]]} against the same class; "
            "the contrast must differ from the target (y_c − y_c is always 0)"
        )
    return contrasts


def explained_scores(
    op: str, scores: Tensor, target: Target, contrast: Contrast = None
) -> tuple[Tensor, np.ndarray, np.ndarray | None]:
    """(score per sample (N,) as a Tensor in the graph, targets (N,), contrasts (N,) or None):
    y[n, cₙ], or y[n, cₙ] − y[n, c′ₙ] with a contrast. The model's scores must be finite."""
    check_finite(op, "the model's scores", scores.data, SCORE_AXES)
    targets = resolve_targets(op, scores.data, target)
    contrasts = resolve_contrasts(op, scores.data, targets, contrast)
    rows = np.arange(len(targets))
    chosen = scores[rows, targets]
    return (chosen if contrasts is None else chosen - scores[rows, contrasts]), targets, contrasts


def check_finite(op: str, what: str, values: np.ndarray, axes: Sequence[str]) -> None:
    """ValueError naming where the first NaN or infinity of values lies, e.g. 'sample 0, channel 0,
    row 3, column 5'. Explanations of NaN are NaN or, worse, zeros that read as "nothing matters"."""
    bad = ~np.isfinite(values)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = ", ".join(f"{axis} {i}" for axis, i in zip(axes, first))
        raise ValueError(
            f"{op}: {int(bad.sum())} non-finite value(s) in {what}, the first ({values[first]}) at "
            f"{where}. Explanations need finite numbers"
        )


def check_images(op: str, x: np.ndarray) -> np.ndarray:
    """Images (N, C, H, W) of a floating dtype with finite values, as a NumPy array."""
    x = np.asarray(getattr(x, "data", x))
    if x.ndim != 4:
        raise ValueError(
            f"{op}: expected images (N, C, H, W), got shape {x.shape}"
            + ("; add a batch axis with x[None]" if x.ndim == 3 else "")
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected floating-point images, got {x.dtype}")
    check_finite(op, "the images", x, IMAGE_AXES)
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
