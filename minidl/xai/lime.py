"""LIME for images (Ribeiro, Singh & Guestrin, "Why should I trust you?", KDD 2016), with a grid
of square superpixels instead of SLIC and a weighted ridge regression written out by hand.

LIME explains one prediction with a model simple enough to read: a linear function of which
superpixels are visible. It switches superpixels off at random (an off superpixel shows
`hide_color`, or its own mean colour), asks the classifier about each perturbed image, weights
every sample by how close it is to the original — kernel sqrt(exp(−d²/w²)) of the cosine distance d
between its on/off vector and the all-on vector, kernel width w = 0.25 — and fits the weighted
linear model. Its coefficients say how much each superpixel pushes the class score up or down.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from tqdm import tqdm

PredictFn = Callable[[np.ndarray], np.ndarray]


def grid_segments(height: int, width: int, cell_size: int) -> np.ndarray:
    """Superpixel labels (height, width): square cells of cell_size pixels numbered 0..K−1 row by
    row; the last row and column of cells are smaller when the size does not divide."""
    for name, value in (("height", height), ("width", width), ("cell_size", cell_size)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"grid_segments: {name} must be a positive int, got {value!r}")
    if cell_size > max(height, width):
        raise ValueError(f"grid_segments: cell_size {cell_size} is larger than the image ({height}×{width}); "
                         "LIME needs at least two superpixels")
    columns = -(-width // cell_size)
    rows, cols = np.mgrid[0:height, 0:width]
    return ((rows // cell_size) * columns + cols // cell_size).astype(np.int64)


def weighted_ridge(X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray,
                   alpha: float = 1.0) -> tuple[np.ndarray, float]:
    """(coef, intercept) minimising Σᵢ wᵢ (yᵢ − b − xᵢ·β)² + α |β|².

    Weighted, because LIME trusts samples near the original image more than far ones; ridge
    (α > 0), because with many superpixels and few samples the plain least-squares problem is
    ill-conditioned, and the penalty keeps the coefficients small and the solution unique.
    The intercept is not penalised: centre X and y on their weighted means x̄, ȳ, solve
    (Xcᵀ W Xc + αI) β = Xcᵀ W yc, and b = ȳ − x̄·β (α is not scaled by Σw, as in scikit-learn).
    """
    X, y, w = np.asarray(X, np.float64), np.asarray(y, np.float64), np.asarray(sample_weight, np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],) or w.shape != (X.shape[0],):
        raise ValueError(f"weighted_ridge: need X (n, k), y (n,) and sample_weight (n,), got {X.shape}, {y.shape}, "
                         f"{w.shape}")
    if np.any(w < 0) or not w.sum() > 0 or alpha < 0:
        raise ValueError("weighted_ridge: weights must be non-negative with a positive sum, and alpha >= 0")
    x_mean, y_mean = w @ X / w.sum(), w @ y / w.sum()
    Xc, yc = X - x_mean, y - y_mean
    coef = np.linalg.solve(Xc.T @ (w[:, None] * Xc) + alpha * np.eye(X.shape[1]), Xc.T @ (w * yc))
    return coef, float(y_mean - x_mean @ coef)


@dataclass
class LimeExplanation:
    segments: np.ndarray     # (H, W) superpixel labels 0..K−1
    coef: np.ndarray         # (K,) weight of each superpixel in the local linear model
    intercept: float
    score: float             # weighted R² of the linear model on the perturbed samples
    local_pred: float        # the linear model's prediction for the unperturbed image
    target: int
    samples: np.ndarray      # (num_samples, K) on/off of each superpixel; row 0 all on
    predictions: np.ndarray  # (num_samples, classes) the classifier's outputs for them
    weights: np.ndarray      # (num_samples,) kernel weights

    def mask(self, num_features: int = 5, positive_only: bool = True, negative_only: bool = False,
             min_weight: float = 0.0) -> np.ndarray:
        """(H, W) ints: 1 on the superpixels that push the class up, −1 on those that push it down
        (unless positive_only), 0 elsewhere; at most num_features of the largest |coef| above min_weight."""
        if positive_only and negative_only:
            raise ValueError("mask: positive_only and negative_only cannot both be True")
        order = np.argsort(-np.abs(self.coef), kind="stable")
        if positive_only:
            order = [k for k in order if self.coef[k] > max(min_weight, 0.0)]
        elif negative_only:
            order = [k for k in order if self.coef[k] < 0 and abs(self.coef[k]) > min_weight]
        else:
            order = [k for k in order if abs(self.coef[k]) >= min_weight]
        mask = np.zeros(self.segments.shape, dtype=np.int64)
        for k in order[:num_features]:
            mask[self.segments == k] = 1 if self.coef[k] > 0 else -1
        return mask


def _check_segments(segments: np.ndarray, height: int, width: int) -> np.ndarray:
    segments = np.asarray(segments)
    if segments.shape != (height, width) or segments.dtype.kind not in "iu":
        raise ValueError(f"explain: segments must be integer labels of shape ({height}, {width}), "
                         f"got {segments.dtype} {segments.shape}")
    labels = np.unique(segments)
    if labels[0] != 0 or labels[-1] != len(labels) - 1 or len(labels) < 2:
        raise ValueError(f"explain: segments must be labelled 0..K-1 with K >= 2, got labels {labels[:10].tolist()}...")
    return segments.astype(np.int64)


class LimeImageExplainer:
    def __init__(self, kernel_width: float = 0.25, alpha: float = 1.0):
        if not kernel_width > 0:
            raise ValueError(f"LimeImageExplainer: kernel_width must be positive, got {kernel_width}")
        self.kernel_width, self.alpha = kernel_width, alpha

    def explain(self, image: np.ndarray, predict_fn: PredictFn, target: int | None = None, cell_size: int = 4,
                segments: np.ndarray | None = None, hide_color: float | None = None, num_samples: int = 1000,
                batch_size: int = 100, seed: int | None = None) -> LimeExplanation:
        image = np.asarray(image)
        if image.ndim != 3 or image.dtype.kind != "f":
            raise ValueError(f"explain: image must be floating-point (C, H, W), got {image.dtype} {image.shape}")
        if num_samples < 2 or batch_size < 1:
            raise ValueError(f"explain: need num_samples >= 2 and batch_size >= 1, got {num_samples}, {batch_size}")
        channels, height, width = image.shape
        segments = (grid_segments(height, width, cell_size) if segments is None
                    else _check_segments(segments, height, width))
        count = int(segments.max()) + 1

        # What an "off" superpixel shows: a fixed value, or its own mean colour per channel.
        if hide_color is None:
            sums = np.stack([np.bincount(segments.ravel(), weights=image[c].ravel(), minlength=count)
                             for c in range(channels)])
            hidden = (sums / np.bincount(segments.ravel(), minlength=count))[:, segments]
        else:
            hidden = np.full_like(image, hide_color)

        rng = np.random.default_rng(seed)
        samples = rng.integers(0, 2, (num_samples, count))
        samples[0] = 1
        predictions = []
        with tqdm(total=num_samples, desc="LIME samples", unit="image", leave=False, disable=None) as bar:
            for start in range(0, num_samples, batch_size):
                visible = samples[start:start + batch_size][:, segments][:, None]  # (b, 1, H, W)
                batch = np.where(visible == 1, image, hidden).astype(image.dtype)
                out = predict_fn(batch)
                out = np.asarray(getattr(out, "data", out))  # a minidl Tensor is welcome too
                if out.ndim != 2 or out.shape[0] != len(batch):
                    raise ValueError(f"explain: predict_fn must return scores (batch, classes); for a batch of "
                                     f"{len(batch)} images it returned shape {out.shape}")
                predictions.append(out)
                bar.update(len(batch))
        predictions = np.concatenate(predictions)
        classes = predictions.shape[1]
        if target is None:
            target = int(predictions[0].argmax())
        elif not isinstance(target, (int, np.integer)) or not 0 <= target < classes:
            raise ValueError(f"explain: target must be a class in [0, {classes - 1}], got {target!r}")

        # Cosine distance to the all-on vector, and the exponential kernel on it.
        norms = np.linalg.norm(samples, axis=1) * np.sqrt(count)
        on = samples.sum(axis=1).astype(np.float64)
        similarity = np.divide(on, norms, out=np.zeros_like(on), where=norms > 0)  # an all-off row: distance 1
        distances = 1.0 - similarity
        weights = np.sqrt(np.exp(-distances ** 2 / self.kernel_width ** 2))
        y = predictions[:, target].astype(np.float64)
        coef, intercept = weighted_ridge(samples, y, weights, self.alpha)
        fitted = intercept + samples @ coef
        y_mean = weights @ y / weights.sum()
        total = weights @ (y - y_mean) ** 2
        score = 1.0 - (weights @ (y - fitted) ** 2) / total if total > 0 else 1.0
        return LimeExplanation(segments, coef, intercept, float(score), float(fitted[0]), int(target), samples,
                               predictions, weights)
