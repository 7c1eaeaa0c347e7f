"""Exact Shapley values of superpixels (Shapley 1953; for explanations: Lundberg & Lee, "A unified
approach to interpreting model predictions", NeurIPS 2017).

The players are the K superpixels of one image, a coalition S ⊆ {1..K} is the set left visible (the
others hidden as LIME hides them), and v(S) is the classifier's score for the target class on that
image. The Shapley value of superpixel i is its marginal contribution averaged over all orders in
which the superpixels could be revealed:

    φᵢ = Σ_{S ⊆ N∖{i}} |S|! (K − |S| − 1)! / K! · (v(S ∪ {i}) − v(S))

It is the only attribution with four properties: efficiency Σᵢ φᵢ = v(N) − v(∅), symmetry (two
superpixels that change every coalition alike get the same value), dummy (one that changes no
coalition gets 0) and linearity (the values of v + w are those of v plus those of w). Computing it
needs all 2^K coalitions, so it is the reference for K ≤ 16 — Kernel SHAP estimates it for more.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from minidl.xai.perturbation import (
    PredictFn,
    check_image_and_segments,
    hidden_image,
    pick_target,
    predict_coalitions,
    superpixel_mask,
)

MAX_EXACT_SUPERPIXELS = 16


@dataclass
class ShapleyExplanation:
    segments: np.ndarray  # (H, W) superpixel labels 0..K−1
    values: np.ndarray  # (K,) φ, the Shapley value of each superpixel
    base_value: float  # v(∅): the score with every superpixel hidden
    full_value: float  # v(N): the score of the intact image; Σ φ = full_value − base_value
    target: int
    coalitions: np.ndarray  # (n, K) the coalitions evaluated (1 = visible)
    scores: np.ndarray  # (n,) the target's score on each

    def mask(
        self, num_features: int = 5, positive_only: bool = True, negative_only: bool = False, min_weight: float = 0.0
    ) -> np.ndarray:
        """(H, W) ints: 1 on the superpixels that push the class up, −1 on those that push it down
        (unless positive_only), 0 elsewhere; at most num_features of the largest |φ| above min_weight."""
        return superpixel_mask(self.segments, self.values, num_features, positive_only, negative_only, min_weight)


def all_coalitions(count: int) -> np.ndarray:
    """(2^count, count) int64: row m is the coalition whose bit k of m says whether superpixel k is visible."""
    return (np.arange(2**count)[:, None] >> np.arange(count)) & 1


def shapley_from_coalition_values(values: np.ndarray, count: int) -> np.ndarray:
    """φ (count,) from v (2^count,) indexed like all_coalitions: for each i, the pairs (S, S ∪ {i})
    are the rows whose bit i is 0 and the same rows with bit i set."""
    sizes = all_coalitions(count).sum(axis=1)
    # |S|! (K − |S| − 1)! / K! = 1 / (K · C(K − 1, |S|))
    weight_of_size = np.array([1.0 / (count * comb(count - 1, s)) for s in range(count)])
    rows = np.arange(2**count)
    phi = np.empty(count)
    for i in range(count):
        without = rows[(rows >> i) & 1 == 0]
        phi[i] = weight_of_size[sizes[without]] @ (values[without | (1 << i)] - values[without])
    return phi


def shapley_values(
    image: np.ndarray,
    predict_fn: PredictFn,
    target: int | None = None,
    cell_size: int = 4,
    segments: np.ndarray | None = None,
    hide_color: float | None = None,
    batch_size: int = 256,
) -> ShapleyExplanation:
    """Exact Shapley values of the superpixels of image (C, H, W) for predict_fn's score of target
    (None: the top class of the intact image), by evaluating all 2^K coalitions; K ≤ 16."""
    image, segments = check_image_and_segments("shapley_values", image, cell_size, segments)
    count = int(segments.max()) + 1
    if count > MAX_EXACT_SUPERPIXELS:
        raise ValueError(
            f"shapley_values: {count} superpixels need 2^{count} = {2**count:,} evaluations; exact "
            f"values are computed for at most {MAX_EXACT_SUPERPIXELS} (use a larger cell_size, or "
            "KernelShapExplainer to estimate them)"
        )
    coalitions = all_coalitions(count)
    predictions = predict_coalitions(
        "shapley_values", image, hidden_image(image, segments, hide_color), segments, coalitions, predict_fn, batch_size
    )
    target = pick_target("shapley_values", predictions[-1], target)
    scores = predictions[:, target]
    return ShapleyExplanation(
        segments,
        shapley_from_coalition_values(scores, count),
        float(scores[0]),
        float(scores[-1]),
        target,
        coalitions,
        scores,
    )
