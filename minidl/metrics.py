"""Scores of predictions, in NumPy (no gradients): classification accuracy and the confusion matrix;
Dice and IoU of segmentation masks."""

from __future__ import annotations

import numpy as np


def _labels(op: str, name: str, values: object) -> np.ndarray:
    array = np.asarray(getattr(values, "data", values))
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"{op}: {name} must be a 1-D array of integer class labels, got {array.dtype} {array.shape}")
    return array


def accuracy(predicted: object, target: object) -> float:
    """Fraction of equal labels. `predicted` may also be scores (N, C); their argmax is the label."""
    scores = np.asarray(getattr(predicted, "data", predicted))
    predicted = _labels("accuracy", "predicted", scores.argmax(axis=1) if scores.ndim == 2 else scores)
    target = _labels("accuracy", "target", target)
    if predicted.shape != target.shape or not target.size:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions for {target.shape[0]} targets")
    return float(np.mean(predicted == target))


def confusion_matrix(predicted: object, target: object, num_classes: int | None = None) -> np.ndarray:
    """counts[t, p] = how many samples of true class t were predicted as p (rows: truth)."""
    predicted = _labels("confusion_matrix", "predicted", predicted)
    target = _labels("confusion_matrix", "target", target)
    if predicted.shape != target.shape:
        raise ValueError(f"confusion_matrix: {predicted.shape[0]} predictions for {target.shape[0]} targets")
    k = num_classes if num_classes is not None else int(max(predicted.max(initial=-1), target.max(initial=-1))) + 1
    if predicted.size and (min(predicted.min(), target.min()) < 0 or max(predicted.max(), target.max()) >= k):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {k - 1}]")
    return np.bincount(target * k + predicted, minlength=k * k).reshape(k, k)


def _binary_masks(op: str, predicted: object, target: object) -> tuple[np.ndarray, np.ndarray]:
    predicted, target = np.asarray(getattr(predicted, "data", predicted)), np.asarray(getattr(target, "data", target))
    if predicted.shape != target.shape:
        raise ValueError(
            f"{op}: the predicted mask of shape {predicted.shape} and the true mask of shape "
            f"{target.shape} must have the same shape"
        )
    for name, mask in (("predicted", predicted), ("true", target)):
        if mask.size and not np.all((mask == 0) | (mask == 1)):
            raise ValueError(
                f"{op}: the {name} mask must be binary (0/1 or bool), got values such as "
                f"{np.unique(mask)[:5].tolist()}; threshold probabilities first, e.g. p > 0.5"
            )
    return predicted.astype(bool), target.astype(bool)


def dice(predicted: object, target: object) -> float:
    """Dice coefficient 2|X ∩ Y| / (|X| + |Y|) of two binary masks; 1.0 when both are empty."""
    x, y = _binary_masks("dice", predicted, target)
    total = x.sum() + y.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(x, y).sum() / total)


def iou(predicted: object, target: object) -> float:
    """Intersection over union |X ∩ Y| / |X ∪ Y| of two binary masks; 1.0 when both are empty."""
    x, y = _binary_masks("iou", predicted, target)
    union = np.logical_or(x, y).sum()
    return 1.0 if union == 0 else float(np.logical_and(x, y).sum() / union)
