"""Student's two-sample t-test (equal variances), written out for TCAV's significance test, with
the p-value from the regularised incomplete beta function:

    t = (x̄ − ȳ) / (s_p √(1/n + 1/m)),   s_p² = ((n − 1) s_x² + (m − 1) s_y²) / (n + m − 2)
    two-sided p = P(|T_ν| ≥ |t|) = I_{ν/(ν + t²)}(ν/2, 1/2),   ν = n + m − 2

I_x(a, b) is evaluated by its continued fraction (modified Lentz's method; Press et al.,
"Numerical Recipes", 3rd ed., §6.4), on whichever of x and 1 − x makes it converge fast.
"""

from __future__ import annotations

from math import exp, lgamma, log
from typing import NamedTuple

import numpy as np

TINY = 1e-300
PRECISION = 1e-15
MAX_TERMS = 10_000


class TTest(NamedTuple):
    statistic: float
    p_value: float
    degrees_of_freedom: int


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b)·B(a, b)·a / (x^a (1 − x)^b), converging for x < (a + 1) / (a + b + 2)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > TINY else TINY)
    fraction = d
    for m in range(1, MAX_TERMS):
        # even step: d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m))
        numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + numerator * d
        c = 1.0 + numerator / c
        d = 1.0 / (d if abs(d) > TINY else TINY)
        c = c if abs(c) > TINY else TINY
        fraction *= d * c
        # odd step: d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
        numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + numerator * d
        c = 1.0 + numerator / c
        d = 1.0 / (d if abs(d) > TINY else TINY)
        c = c if abs(c) > TINY else TINY
        step = d * c
        fraction *= step
        if abs(step - 1.0) < PRECISION:
            return fraction
    raise ArithmeticError(f"incomplete beta: no convergence for x={x}, a={a}, b={b}")


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) = ∫₀ˣ t^(a−1) (1 − t)^(b−1) dt / B(a, b) for 0 ≤ x ≤ 1, a, b > 0."""
    if not 0.0 <= x <= 1.0 or a <= 0 or b <= 0:
        raise ValueError(f"regularized_incomplete_beta: need 0 <= x <= 1 and a, b > 0, got x={x}, a={a}, b={b}")
    if x in (0.0, 1.0):
        return x
    # x^a (1 − x)^b / B(a, b), in logarithms
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1.0 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(x, a, b) / a
    return 1.0 - front * _beta_continued_fraction(1.0 - x, b, a) / b  # I_x(a, b) = 1 − I_{1−x}(b, a)


def two_sample_t_test(first: np.ndarray, second: np.ndarray) -> TTest:
    """Student's two-sided t-test of equal means with pooled variance (scipy.stats.ttest_ind's default).
    Two constant samples give t = 0, p = 1 when their means agree and t = ±inf, p = 0 when not."""
    first, second = np.asarray(first, np.float64).ravel(), np.asarray(second, np.float64).ravel()
    n, m = len(first), len(second)
    if n < 2 or m < 2 or not (np.all(np.isfinite(first)) and np.all(np.isfinite(second))):
        raise ValueError(f"two_sample_t_test: need at least 2 finite values in each sample, got {n} and {m}")
    dof = n + m - 2
    difference = first.mean() - second.mean()
    pooled = ((n - 1) * first.var(ddof=1) + (m - 1) * second.var(ddof=1)) / dof
    if pooled == 0:
        return TTest(0.0, 1.0, dof) if difference == 0 else TTest(float(np.sign(difference) * np.inf), 0.0, dof)
    t = difference / np.sqrt(pooled * (1 / n + 1 / m))
    return TTest(float(t), float(regularized_incomplete_beta(dof / (dof + t * t), dof / 2, 0.5)), dof)
