"""The first two steps that LIME (Ribeiro et al. 2016) and Kernel SHAP (Lundberg & Lee 2017) share
when they explain an image: cut it into superpixels and, for a set of coalitions — on/off vectors
z ∈ {0, 1}^K saying which superpixels stay visible — show the classifier the perturbed images and
record its scores. They differ only in which coalitions they draw, how they weight them and what
they fit.

An "off" superpixel shows `hide_color`, or its own mean colour per channel when that is None.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from minidl.progress import progress
from minidl.shapes import positive_int
from minidl.xai.targets import IMAGE_AXES, check_finite

PredictFn = Callable[[np.ndarray], np.ndarray]


def grid_segments(height: int, width: int, cell_size: int) -> np.ndarray:
    """Superpixel labels (height, width): square cells of cell_size pixels numbered 0..K−1 row by
    row; the last row and column of cells are smaller when the size does not divide."""
    for name, value in (("height", height), ("width", width), ("cell_size", cell_size)):
        positive_int("grid_segments", name, value)
    if cell_size >= max(height, width):  # one cell covers the whole image
        raise ValueError(
            f"grid_segments: cell_size {cell_size} is not smaller than the image ({height}×{width}), which "
            "would be a single superpixel; LIME, Kernel SHAP and Anchors need at least two"
        )
    columns = -(-width // cell_size)
    rows, cols = np.mgrid[0:height, 0:width]
    return ((rows // cell_size) * columns + cols // cell_size).astype(np.int64)


def check_image_and_segments(
    op: str, image: np.ndarray, cell_size: int, segments: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(image (C, H, W), segments (H, W) labelled 0..K−1): the grid of cell_size cells when segments is None."""
    image = np.asarray(getattr(image, "data", image))
    if image.ndim != 3 or image.dtype.kind != "f":
        raise ValueError(f"{op}: image must be floating-point (C, H, W), got {image.dtype} {image.shape}")
    check_finite(op, "the image", image, IMAGE_AXES[1:])
    height, width = image.shape[1:]
    if segments is None:
        return image, grid_segments(height, width, cell_size)
    segments = np.asarray(segments)
    if segments.shape != (height, width) or segments.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: segments must be integer labels of shape ({height}, {width}), got {segments.dtype} {segments.shape}"
        )
    labels = np.unique(segments)
    if labels[0] != 0 or labels[-1] != len(labels) - 1 or len(labels) < 2:
        raise ValueError(f"{op}: segments must be labelled 0..K-1 with K >= 2, got labels {labels[:10].tolist()}...")
    return image, segments.astype(np.int64)


def hidden_image(image: np.ndarray, segments: np.ndarray, hide_color: float | None) -> np.ndarray:
    """(C, H, W): what every pixel shows when its superpixel is off. A hide_color that is not a
    finite number is refused here, before the model is asked about images full of it."""
    if hide_color is not None and (
        isinstance(hide_color, bool)
        or not isinstance(hide_color, (int, float, np.number))
        or not np.isfinite(hide_color)
    ):
        raise ValueError(
            f"hide_color must be a finite number (or None: each superpixel's mean colour), got {hide_color!r}"
        )
    if hide_color is not None:
        return np.full_like(image, hide_color)
    count = int(segments.max()) + 1
    sums = np.stack([np.bincount(segments.ravel(), weights=channel.ravel(), minlength=count) for channel in image])
    return (sums / np.bincount(segments.ravel(), minlength=count))[:, segments].astype(image.dtype)


def perturb(image: np.ndarray, hidden: np.ndarray, segments: np.ndarray, coalitions: np.ndarray) -> np.ndarray:
    """(n, C, H, W): image where a coalition (n, K) has its superpixel on, hidden where off."""
    visible = coalitions[:, segments][:, None]  # (n, 1, H, W)
    return np.where(visible == 1, image, hidden).astype(image.dtype)


def predict_coalitions(
    op: str,
    image: np.ndarray,
    hidden: np.ndarray,
    segments: np.ndarray,
    coalitions: np.ndarray,
    predict_fn: PredictFn,
    batch_size: int = 100,
) -> np.ndarray:
    """Scores (n, classes) float64 of predict_fn on the perturbed images of coalitions (n, K), batch
    by batch. predict_fn may return NumPy arrays or minidl Tensors; non-finite scores are refused."""
    if batch_size < 1:
        raise ValueError(f"{op}: batch_size must be at least 1, got {batch_size}")
    predictions = []
    for start in progress(range(0, len(coalitions), batch_size), f"{op} coalitions", unit="batch"):
        batch = perturb(image, hidden, segments, coalitions[start : start + batch_size])
        out = predict_fn(batch)
        out = np.asarray(getattr(out, "data", out))
        if out.ndim != 2 or out.shape[0] != len(batch):
            raise ValueError(
                f"{op}: predict_fn must return scores (batch, classes); for a batch of "
                f"{len(batch)} images it returned shape {out.shape}"
            )
        bad = np.argwhere(~np.isfinite(out))
        if len(bad):
            row, column = bad[0]
            visible = np.flatnonzero(coalitions[start + row]).tolist()
            raise ValueError(
                f"{op}: predict_fn returned {out[row, column]} for class {column} of coalition "
                f"{start + row} (visible superpixels {visible}); explanations need finite scores"
            )
        predictions.append(out.astype(np.float64))
    return np.concatenate(predictions)


def pick_target(op: str, full_scores: np.ndarray, target: int | None) -> int:
    """The class explained: the top class of the intact image (scores (classes,)) when None."""
    if target is None:
        return int(full_scores.argmax())
    if not isinstance(target, (int, np.integer)) or not 0 <= target < len(full_scores):
        raise ValueError(f"{op}: target must be a class in [0, {len(full_scores) - 1}], got {target!r}")
    return int(target)


def superpixel_mask(
    segments: np.ndarray,
    weights: np.ndarray,
    num_features: int = 5,
    positive_only: bool = True,
    negative_only: bool = False,
    min_weight: float = 0.0,
) -> np.ndarray:
    """(H, W) ints: 1 on the superpixels whose weight pushes the class up, −1 on those that push it
    down (unless positive_only), 0 elsewhere; at most num_features of the largest |weight| above min_weight."""
    if positive_only and negative_only:
        raise ValueError("mask: positive_only and negative_only cannot both be True")
    order = np.argsort(-np.abs(weights), kind="stable")
    if positive_only:
        order = [k for k in order if weights[k] > max(min_weight, 0.0)]
    elif negative_only:
        order = [k for k in order if weights[k] < 0 and abs(weights[k]) > min_weight]
    else:
        order = [k for k in order if abs(weights[k]) >= min_weight]
    mask = np.zeros(segments.shape, dtype=np.int64)
    for k in order[:num_features]:
        mask[segments == k] = 1 if weights[k] > 0 else -1
    return mask
