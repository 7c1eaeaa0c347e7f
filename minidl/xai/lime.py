"""LIME for images (Ribeiro, Singh & Guestrin, "Why should I trust you?", KDD 2016), with a grid
of square superpixels instead of SLIC and a weighted ridge regression written out by hand.

LIME explains one prediction with a model simple enough to read: a linear function of which
superpixels are visible. It switches superpixels off at random (an off superpixel shows
`hide_color`, or its own mean colour), asks the classifier about each perturbed image, weights
every sample by how close it is to the original — kernel sqrt(exp(−d²/w²)) of the cosine distance d
between its on/off vector and the all-on vector, kernel width w = 0.25 — and fits the weighted
linear model. Its coefficients say how much each superpixel pushes the class score up or down.

The four steps of the paper are four methods: perturb (draw coalitions), predict (the classifier's
scores on the perturbed images, shared with Kernel SHAP in minidl/xai/perturbation.py), weight
(the kernel) and fit (the weighted ridge regression).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minidl.blas_threads import one_blas_thread
from minidl.rng import generator_for
from minidl.xai.perturbation import (
    PredictFn,
    check_image_and_segments,
    hidden_image,
    pick_target,
    predict_coalitions,
    superpixel_mask,
)


def weighted_ridge(
    X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, alpha: float = 1.0
) -> tuple[np.ndarray, float]:
    """(coef, intercept) minimising Σᵢ wᵢ (yᵢ − b − xᵢ·β)² + α |β|².

    Weighted, because LIME trusts samples near the original image more than far ones; ridge
    (α > 0), because with many superpixels and few samples the plain least-squares problem is
    ill-conditioned, and the penalty keeps the coefficients small and the solution unique.
    The intercept is not penalised: centre X and y on their weighted means x̄, ȳ, solve
    (Xcᵀ W Xc + αI) β = Xcᵀ W yc, and b = ȳ − x̄·β (α is not scaled by Σw, as in scikit-learn).
    """
    X, y, w = np.asarray(X, np.float64), np.asarray(y, np.float64), np.asarray(sample_weight, np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],) or w.shape != (X.shape[0],):
        raise ValueError(
            f"weighted_ridge: need X (n, k), y (n,) and sample_weight (n,), got {X.shape}, {y.shape}, {w.shape}"
        )
    if np.any(w < 0) or not w.sum() > 0 or alpha < 0:
        raise ValueError("weighted_ridge: weights must be non-negative with a positive sum, and alpha >= 0")
    with one_blas_thread():  # the same sums on any machine (minidl/blas_threads.py)
        x_mean, y_mean = w @ X / w.sum(), w @ y / w.sum()
        Xc, yc = X - x_mean, y - y_mean
        coef = np.linalg.solve(Xc.T @ (w[:, None] * Xc) + alpha * np.eye(X.shape[1]), Xc.T @ (w * yc))
        return coef, float(y_mean - x_mean @ coef)


@dataclass
class LimeExplanation:
    segments: np.ndarray  # (H, W) superpixel labels 0..K−1
    coef: np.ndarray  # (K,) weight of each superpixel in the local linear model
    intercept: float
    score: float  # weighted R² of the linear model on the perturbed samples
    local_pred: float  # the linear model's prediction for the unperturbed image
    target: int
    samples: np.ndarray  # (num_samples, K) on/off of each superpixel; row 0 all on
    predictions: np.ndarray  # (num_samples, classes) the classifier's outputs for them
    weights: np.ndarray  # (num_samples,) kernel weights

    def mask(
        self, num_features: int = 5, positive_only: bool = True, negative_only: bool = False, min_weight: float = 0.0
    ) -> np.ndarray:
        """(H, W) ints: 1 on the superpixels that push the class up, −1 on those that push it down
        (unless positive_only), 0 elsewhere; at most num_features of the largest |coef| above min_weight."""
        return superpixel_mask(self.segments, self.coef, num_features, positive_only, negative_only, min_weight)


def weighted_r2(y: np.ndarray, fitted: np.ndarray, weights: np.ndarray) -> float:
    """1 − Σ w (y − ŷ)² / Σ w (y − ȳ)², ȳ the weighted mean; 1 when y is constant (the intercept explains it)."""
    y_mean = weights @ y / weights.sum()
    total = weights @ (y - y_mean) ** 2
    return float(1.0 - (weights @ (y - fitted) ** 2) / total) if total > 0 else 1.0


class LimeImageExplainer:
    def __init__(self, kernel_width: float = 0.25, alpha: float = 1.0):
        if not kernel_width > 0:
            raise ValueError(f"LimeImageExplainer: kernel_width must be positive, got {kernel_width}")
        self.kernel_width, self.alpha = kernel_width, alpha

    @staticmethod
    def perturb(count: int, num_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Step 1: (num_samples, count) coalitions, each superpixel on by a fair coin; row 0 all on."""
        samples = rng.integers(0, 2, (num_samples, count))
        samples[0] = 1
        return samples

    def weight(self, samples: np.ndarray) -> np.ndarray:
        """Step 3: kernel sqrt(exp(−d²/w²)) of the cosine distance d between each coalition and the all-on vector."""
        count = samples.shape[1]
        norms = np.linalg.norm(samples, axis=1) * np.sqrt(count)
        on = samples.sum(axis=1).astype(np.float64)
        similarity = np.divide(on, norms, out=np.zeros_like(on), where=norms > 0)  # an all-off row: distance 1
        distances = 1.0 - similarity
        return np.sqrt(np.exp(-(distances**2) / self.kernel_width**2))

    def fit(self, samples: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Step 4: (coef, intercept, weighted R²) of the weighted ridge regression of y on the coalitions."""
        coef, intercept = weighted_ridge(samples, y, weights, self.alpha)
        return coef, intercept, weighted_r2(y, intercept + samples @ coef, weights)

    def explain(
        self,
        image: np.ndarray,
        predict_fn: PredictFn,
        target: int | None = None,
        cell_size: int = 4,
        segments: np.ndarray | None = None,
        hide_color: float | None = None,
        num_samples: int = 1000,
        batch_size: int = 100,
        seed: int | None = None,
    ) -> LimeExplanation:
        """Explain predict_fn's score for target on image (C, H, W); predict_fn maps images
        (n, C, H, W) to scores (n, classes). seed None draws from minidl's global generator."""
        image, segments = check_image_and_segments("LIME", image, cell_size, segments)
        if num_samples < 2:
            raise ValueError(f"LIME: need num_samples >= 2, got {num_samples}")
        samples = self.perturb(int(segments.max()) + 1, num_samples, generator_for(seed))
        predictions = predict_coalitions(
            "LIME", image, hidden_image(image, segments, hide_color), segments, samples, predict_fn, batch_size
        )
        target = pick_target("LIME", predictions[0], target)
        weights = self.weight(samples)
        coef, intercept, score = self.fit(samples, predictions[:, target], weights)
        return LimeExplanation(
            segments,
            coef,
            intercept,
            score,
            float(intercept + samples[0] @ coef),
            target,
            samples,
            predictions,
            weights,
        )
