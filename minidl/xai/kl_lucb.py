"""KL-LUCB (Kaufmann & Kalyanakrishnan, "Information complexity in bandit subset selection", COLT
2013): find the m arms of highest mean among Bernoulli arms, sampling only the arms whose place in
the ranking is still in doubt. Anchors (minidl/xai/anchors.py) uses it to pick the candidate
rules of highest precision.

The confidence bounds come from the Kullback-Leibler divergence of two Bernoulli laws,

    d(p, q) = p log(p / q) + (1 − p) log((1 − p) / (1 − q)),

which Chernoff's bound turns into intervals: after n draws with mean p̂, the true mean lies in

    [L, U],  U = max{q ≥ p̂ : n d(p̂, q) ≤ β},  L = min{q ≤ p̂ : n d(p̂, q) ≤ β},

narrower than Hoeffding's p̂ ± sqrt(β / 2n) near 0 and 1, where precisions live. d(p̂, ·) grows
monotonically away from p̂, so U and L are found by bisection.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

BISECTION_STEPS = 40  # halves [0, 1] down to 2⁻⁴⁰ ≈ 10⁻¹²
KL_LUCB_ALPHA, KL_LUCB_K1 = 1.1, 405.5  # α > 1 and k₁ > 2e + 1 + e/(α − 1) + (e + 1)/(α − 1)² = 405.4


def bernoulli_kl(p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """d(p, q) = p log(p/q) + (1 − p) log((1 − p)/(1 − q)), with 0 log 0 = 0 (so d(1, q) = −log q)
    and +inf where q leaves (0, 1) that p does not."""
    p, q = np.broadcast_arrays(np.asarray(p, np.float64), np.asarray(q, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        on = np.where(p > 0, p * np.log(p / q), 0.0)
        off = np.where(p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0)
    return on + off


def kl_upper_bound(mean: np.ndarray | float, level: np.ndarray | float) -> np.ndarray:
    """U = max{q ∈ [mean, 1] : d(mean, q) ≤ level}, by bisection; the bisection's outer end is
    returned, so U is never smaller than the exact bound. level = β / n."""
    mean, level = np.broadcast_arrays(np.asarray(mean, np.float64), np.asarray(level, np.float64))
    low, high = mean.copy(), np.ones_like(mean)
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        outside = bernoulli_kl(mean, middle) > level
        high, low = np.where(outside, middle, high), np.where(outside, low, middle)
    return high


def kl_lower_bound(mean: np.ndarray | float, level: np.ndarray | float) -> np.ndarray:
    """L = min{q ∈ [0, mean] : d(mean, q) ≤ level}, by bisection; never larger than the exact bound."""
    return 1.0 - kl_upper_bound(1.0 - np.asarray(mean, np.float64), level)  # d(p, q) = d(1 − p, 1 − q)


def exploration_rate(arms: int, round_: int, delta: float) -> float:
    """β(t, δ) = log(k₁ K t^α / δ) + log log(k₁ K t^α / δ) for K arms at round t: with α = 1.1 and
    k₁ = 405.5 the bounds hold at every round at once with probability 1 − δ (Kaufmann &
    Kalyanakrishnan 2013, Theorem 3)."""
    inner = np.log(KL_LUCB_K1 * arms * round_**KL_LUCB_ALPHA / delta)
    return float(inner + np.log(inner))


def kl_lucb(
    positives: np.ndarray,
    counts: np.ndarray,
    pull: Callable[[int], tuple[int, int]],
    top: int,
    epsilon: float,
    delta: float,
    max_draws: float = np.inf,
) -> np.ndarray:
    """Indices of the `top` arms of highest mean, with probability 1 − δ up to ε: each arm's true
    mean is within ε of the worst chosen one's or below it.

    positives, counts (K,): each arm's successes and draws so far, every count ≥ 1; pull(i) draws
    arm i again and returns (new successes, new draws). Each round t takes J, the `top` arms of
    highest empirical mean; l, the arm of J with the lowest L; u, the arm outside J with the highest
    U. It stops when U_u − L_l ≤ ε, else pulls l and u; or, without that guarantee, once its pulls
    have drawn max_draws times (then J is returned as it stands)."""
    positives, counts = np.array(positives, np.float64), np.array(counts, np.float64)
    if top >= len(counts):
        return np.arange(len(counts))
    round_, drawn_so_far = 1, 0
    while True:
        means = positives / counts
        order = np.argsort(-means, kind="stable")
        chosen, others = order[:top], order[top:]
        level = exploration_rate(len(counts), round_, delta) / counts
        lower, upper = kl_lower_bound(means[chosen], level[chosen]), kl_upper_bound(means[others], level[others])
        if upper.max() - lower.min() <= epsilon or drawn_so_far >= max_draws:
            return np.sort(chosen)
        weakest, strongest = chosen[np.argmin(lower)], others[np.argmax(upper)]
        for arm in (weakest, strongest):
            won, drawn = pull(int(arm))
            positives[arm] += won
            counts[arm] += drawn
            drawn_so_far += drawn
        round_ += 1
