"""Kernel SHAP (Lundberg & Lee, "A unified approach to interpreting model predictions", NeurIPS
2017): Shapley values estimated by a weighted linear regression on sampled coalitions.

With the Shapley kernel π(z) = (K − 1) / (C(K, |z|) · |z| · (K − |z|)) as the weight of a
coalition z ∈ {0, 1}^K of |z| visible superpixels, the solution of

    min_φ Σ_z π(z) (v(z) − v(∅) − Σᵢ φᵢ zᵢ)²   subject to   Σᵢ φᵢ = v(N) − v(∅)

over all coalitions is exactly the Shapley values (the paper's Theorem 2; the empty and the full
coalition have infinite weight, which is what fixing v(∅) and the constraint express). Kernel SHAP
solves it on a sample:

- perturb: below 2^K − 2 samples, draw coalition sizes s with probability ∝ (K − 1) / (s (K − s)),
  the kernel's total weight of all coalitions of that size, then a uniform coalition of that size
  and its complement (which has the same weight); these samples get weight 1 because the kernel is
  in how often they are drawn. With num_samples ≥ 2^K − 2 every coalition is enumerated once and
  weighted by π(z), so the result is exact.
- predict: as LIME (minidl/xai/perturbation.py).
- fit: eliminate φ_K = Δ − Σ_{i<K} φᵢ with Δ = v(N) − v(∅), as the paper's implementation does, and
  solve the unconstrained weighted least squares for φ₁..φ_{K−1}:
      v(z) − v(∅) − z_K Δ ≈ Σ_{i<K} φᵢ (zᵢ − z_K).
Unlike LIME there is no intercept to fit and no ridge penalty: the weights come from the Shapley
axioms, not from a distance chosen by hand.
"""

from __future__ import annotations

from math import comb

import numpy as np

from minidl.blas_threads import one_blas_thread
from minidl.rng import generator_for
from minidl.xai.perturbation import PredictFn, check_image_and_segments, hidden_image, pick_target, predict_coalitions
from minidl.xai.shapley import ShapleyExplanation, all_coalitions


def shapley_kernel(coalitions: np.ndarray) -> np.ndarray:
    """π(z) (n,) for coalitions (n, K) with 0 < |z| < K."""
    count = coalitions.shape[1]
    sizes = coalitions.sum(axis=1)
    return np.array([(count - 1) / (comb(count, s) * s * (count - s)) for s in sizes])


class KernelShapExplainer:
    """explanation = KernelShapExplainer().explain(image, predict_fn, num_samples=1000, seed=0);
    explanation.values (K,) sum to explanation.full_value − explanation.base_value."""

    @staticmethod
    def perturb(count: int, num_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(coalitions (n, count), regression weights (n,)), the empty and full coalitions excluded."""
        if num_samples >= 2**count - 2:
            coalitions = all_coalitions(count)[1:-1]
            return coalitions, shapley_kernel(coalitions)
        sizes = np.arange(1, count)
        size_probability = (count - 1) / (sizes * (count - sizes))
        pairs = num_samples // 2
        drawn = rng.choice(sizes, size=pairs, p=size_probability / size_probability.sum())
        # a uniform subset of each drawn size: the superpixels whose random key ranks below it
        ranks = np.argsort(np.argsort(rng.random((pairs, count)), axis=1), axis=1)
        chosen = (ranks < drawn[:, None]).astype(np.int64)
        return np.concatenate([chosen, 1 - chosen]), np.ones(2 * pairs)

    @staticmethod
    def fit(
        coalitions: np.ndarray, scores: np.ndarray, weights: np.ndarray, base_value: float, full_value: float
    ) -> np.ndarray:
        """φ (K,) of the weighted least squares with Σφ = full_value − base_value enforced exactly.
        With fewer distinct coalitions than superpixels the problem is underdetermined and lstsq
        returns its minimum-norm solution."""
        delta = full_value - base_value
        last = coalitions[:, -1].astype(np.float64)
        X = coalitions[:, :-1] - last[:, None]
        y = scores - base_value - last * delta
        root = np.sqrt(weights)
        with one_blas_thread():  # the same sums on any machine (minidl/blas_threads.py)
            head = np.linalg.lstsq(root[:, None] * X, root * y, rcond=None)[0]
        return np.append(head, delta - head.sum())

    def explain(
        self,
        image: np.ndarray,
        predict_fn: PredictFn,
        target: int | None = None,
        cell_size: int = 4,
        segments: np.ndarray | None = None,
        hide_color: float | None = None,
        num_samples: int = 1000,
        seed: int | None = None,
        batch_size: int = 100,
    ) -> ShapleyExplanation:
        """Estimated Shapley values of the superpixels of image (C, H, W) for predict_fn's score of
        target (None: the top class of the intact image), from num_samples coalitions; seed None
        draws from minidl's global generator (minidl.manual_seed)."""
        image, segments = check_image_and_segments("KernelSHAP", image, cell_size, segments)
        if not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
            raise ValueError(f"KernelSHAP: need num_samples >= 2, got {num_samples!r}")
        count = int(segments.max()) + 1
        sampled, weights = self.perturb(count, num_samples, generator_for(seed))
        coalitions = np.concatenate([np.ones((1, count), np.int64), np.zeros((1, count), np.int64), sampled])
        predictions = predict_coalitions(
            "KernelSHAP", image, hidden_image(image, segments, hide_color), segments, coalitions, predict_fn, batch_size
        )
        target = pick_target("KernelSHAP", predictions[0], target)
        scores = predictions[:, target]
        full_value, base_value = float(scores[0]), float(scores[1])
        values = self.fit(sampled, scores[2:], weights, base_value, full_value)
        return ShapleyExplanation(segments, values, base_value, full_value, target, coalitions, scores)
