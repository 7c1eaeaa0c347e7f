"""Concept attribution: the t-test against scipy's numbers, CAVs and regression concept vectors on
activations whose concept direction is known, TCAV on a model whose gradient is known by hand."""

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import nn
from minidl.xai import (
    activations,
    bidirectional_relevance,
    concept_activation_vector,
    concept_sensitivities,
    r2_permutation_test,
    regression_concept_vector,
    tcav,
    two_sample_t_test,
)
from minidl.xai.concepts import logistic_regression
from minidl.xai.student_t import regularized_incomplete_beta

pytestmark = pytest.mark.nn


# ----- Student's t-test ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "first, second, t, p",
    [
        # scipy.stats.ttest_ind (equal variances) on the same data, computed once in a scratch script
        ([0.7, 0.8, 0.75, 0.9], [0.5, 0.4, 0.55, 0.45], 5.83874208121142, 0.001112216510866167),
        (
            [0.2, 0.35, 0.1, 0.6, 0.45, 0.3],
            [0.5, 0.65, 0.7, 0.55, 0.8, 0.9, 0.6, 0.75, 0.7, 0.85, 0.6],
            -4.84329763062212,
            0.0002148699311729314,
        ),
        (
            list(range(1, 12)),
            [1.5, 2.5, 3.2, 4.1, 5.3, 6, 7.7, 8.1, 9.6, 10.2, 12.5],
            -0.2938418399272091,
            0.7719064778760504,
        ),
    ],
)
def test_t_test_matches_known_values(first, second, t, p):
    result = two_sample_t_test(first, second)
    assert result.statistic == pytest.approx(t, rel=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-10)
    assert result.degrees_of_freedom == len(first) + len(second) - 2


@pytest.mark.parametrize(
    "x, a, b, expected",
    [
        # scipy.special.betainc(a, b, x)
        (0.3, 2.5, 0.5, 0.018927124071945658),
        (0.95, 10, 0.5, 0.31715157546554495),
        (0.5, 0.5, 0.5, 0.5),
        (0.999, 30, 0.5, 0.8072373061595369),
    ],
)
def test_incomplete_beta_matches_known_values(x, a, b, expected):
    assert regularized_incomplete_beta(x, a, b) == pytest.approx(expected, rel=1e-12)


def test_t_test_edge_cases():
    assert two_sample_t_test([0.5, 0.5], [0.5, 0.5]) == (0.0, 1.0, 2)
    assert two_sample_t_test([1.0, 1.0], [0.0, 0.0]) == (np.inf, 0.0, 2)
    # [−1, 1] against [0, 0]: s_p² = (2 + 0) / 2 = 1, t = 0 / … = 0 — and against [1, 1]:
    # t = −1 / √(1 · (½ + ½)) = −1; with 2 degrees of freedom P(|T| ≥ t) = 1 − t / √(2 + t²) = 1 − 1/√3
    assert two_sample_t_test([-1.0, 1.0], [0.0, 0.0]).statistic == 0.0
    result = two_sample_t_test([-1.0, 1.0], [1.0, 1.0])
    assert result.statistic == pytest.approx(-1.0) and result.p_value == pytest.approx(1 - 1 / np.sqrt(3), rel=1e-12)
    with pytest.raises(ValueError, match="at least 2 finite values"):
        two_sample_t_test([1.0], [1.0, 2.0])


# ----- concept activation vectors -------------------------------------------------------------------
@given(seed=st.integers(0, 1000), dims=st.integers(2, 12), shift=st.floats(3, 6))
def test_cav_points_from_random_towards_the_concept(seed, dims, shift):
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dims)
    direction /= np.linalg.norm(direction)
    # 200 examples a side: with 60, seed 341 in 12 dimensions at shift 3 gave cos 0.71 (the fitted
    # direction's noise); with 200, the worst of seeds 0-1000 in 2, 7 and 12 dimensions is cos 0.90.
    random = rng.normal(size=(200, dims))
    concept = rng.normal(size=(200, dims)) + shift * direction
    cav = concept_activation_vector(concept, random, seed=seed)
    assert np.linalg.norm(cav.vector) == pytest.approx(1.0)
    assert cav.vector @ direction > 0.8
    assert cav.accuracy > 0.75  # the Bayes accuracy is Φ(shift / 2) ≥ 0.93, on a third held out (worst seen 0.84)


def test_logistic_regression_reaches_the_optimum_of_its_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X @ [1.0, -2.0, 0.5] + rng.normal(size=80) > 0).astype(float)
    w, b = logistic_regression(X, y, l2=0.1, iterations=3000)
    z = X @ w + b
    gradient_w = X.T @ (1 / (1 + np.exp(-z)) - y) / 80 + 0.1 * w
    gradient_b = np.mean(1 / (1 + np.exp(-z)) - y)
    assert np.abs(gradient_w).max() < 1e-8 and abs(gradient_b) < 1e-8  # the optimality conditions


# ----- TCAV on a model whose gradient is known ---------------------------------------------------------
def linear_head(weight):
    """Flatten then Linear: at the layer "0" (Flatten) the gradient of class k is weight[k] for every image."""
    weight = np.asarray(weight, np.float64)
    model = nn.Sequential(nn.Flatten(), nn.Linear(weight.shape[1], weight.shape[0], dtype=np.float64))
    model[1].weight.data = weight.copy()
    model[1].bias.data = np.zeros(weight.shape[0])
    return model


def test_tcav_by_hand_on_a_linear_head():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(2, 16))
    model = linear_head(weight)
    class_images = rng.normal(size=(30, 1, 4, 4))
    randoms = [rng.normal(size=(20, 1, 4, 4)) for _ in range(10)]
    along = rng.normal(size=(20, 1, 4, 4)) + 3 * weight[0].reshape(1, 4, 4) / np.linalg.norm(weight[0])
    result = tcav(model, "0", class_images, along, randoms, target=0)
    assert result.score == 1.0 and np.all(result.scores == 1.0)  # S = w₀ · v > 0 for every image and CAV
    assert np.all(result.cav_accuracies > 0.7)  # Bayes accuracy Φ(1.5) = 0.93, 13 held-out examples
    # a constant gradient gives every image the same sign: the null scores are each 0 or 1
    assert set(np.unique(result.random_scores)) <= {0.0, 1.0}
    test = two_sample_t_test(result.scores, result.random_scores)
    assert (result.t_statistic, result.p_value) == (test.statistic, test.p_value)
    assert result.sensitivities.shape == (10, 30)
    np.testing.assert_allclose(result.sensitivities, result.sensitivities[:, :1].repeat(30, axis=1))
    against = tcav(model, "0", class_images, along, randoms, target=1, contrast=0)
    assert against.score == 0.0  # y₁ − y₀ falls along the concept that raises y₀
    with pytest.raises(ValueError, match="at least 10 random image sets, got 9"):
        tcav(model, "0", class_images, along, randoms[:9], target=0)


def test_concept_sensitivities_are_directional_derivatives():
    minidl.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, dtype=np.float64),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(2 * 4 * 4, 3, dtype=np.float64),
    )
    images = np.random.default_rng(1).normal(size=(3, 1, 4, 4))
    v = np.random.default_rng(2).normal(size=32)
    v /= np.linalg.norm(v)
    sensitivities = concept_sensitivities(model, "1", images, v, target=2)
    # the head after layer "1" is linear: h₂(a) = W₂ · flatten(a) + b₂, so S = W₂ · v for every image
    np.testing.assert_allclose(sensitivities, np.full(3, model[3].weight.data[2] @ v), rtol=1e-12)
    assert activations(model, "1", images).shape == (3, 32)
    with pytest.raises(ValueError, match="32 activations per image, the vector"):
        concept_sensitivities(model, "1", images, v[:5])


# ----- regression concept vectors ------------------------------------------------------------------
@given(seed=st.integers(0, 1000), dims=st.integers(3, 20))
def test_rcv_finds_the_direction_of_a_linear_measure_and_not_of_a_random_one(seed, dims):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, dims))
    u = rng.normal(size=dims)
    measure = X @ u + 0.05 * np.linalg.norm(u) * rng.normal(size=150)  # noise 5 % of the signal's scale
    rcv = regression_concept_vector(X, measure, alpha=1e-3, seed=seed)
    assert rcv.vector @ u / np.linalg.norm(u) > 0.99 and rcv.r2 > 0.95
    control = regression_concept_vector(X, rng.normal(size=150), alpha=1e-3, seed=seed)
    assert control.r2 < 0.2


def test_bidirectional_relevance_by_hand():
    # R² · μ / σ with σ the population standard deviation: 0.5 · 2 / sqrt(2/3)
    assert bidirectional_relevance(0.5, [1.0, 2.0, 3.0]) == pytest.approx(0.5 * 2 / np.sqrt(2 / 3))
    # minidl's clipping (not in the paper): a held-out R² below 0 counts as 0, so Br says nothing about encoding
    assert bidirectional_relevance(-0.3, [1.0, 2.0, 3.0]) == 0.0
    assert bidirectional_relevance(0.5, [-1.0, -2.0, -3.0]) < 0
    assert bidirectional_relevance(0.5, [2.0, 2.0]) == np.inf and bidirectional_relevance(0.5, [0.0, 0.0]) == 0.0


@given(data=st.data(), noise=st.floats(0, 3))
def test_rcv_r2_is_the_held_out_coefficient_of_determination(data, noise):
    X = data.draw(hnp.arrays(np.float64, (30, 3), elements=st.floats(-2, 2)))
    # the fit sees the last 20 of the seeded shuffle: with one of its columns constant there the
    # regression may find no direction at all (tested below)
    assume(np.ptp(X[np.random.default_rng(3).permutation(30)[10:]], axis=0).min() > 0.1)
    y = X @ [1.0, -0.5, 0.2] + noise * np.random.default_rng(0).normal(size=30)
    rcv = regression_concept_vector(X, y, alpha=0.5, seed=3)
    test = np.random.default_rng(3).permutation(30)[:10]
    fitted = X[test] @ rcv.coef + rcv.intercept
    residual, total = np.sum((y[test] - fitted) ** 2), np.sum((y[test] - y[test].mean()) ** 2)
    assert rcv.r2 == pytest.approx(1 - residual / total if total > 0 else 0.0, abs=1e-9)
    assert np.linalg.norm(rcv.vector) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_r2_permutation_test_tells_an_encoded_measure_from_a_random_one(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(90, 12))
    encoded = X @ rng.normal(size=12) + 0.5 * rng.normal(size=90)
    test = r2_permutation_test(X, encoded, alpha=1.0, seed=seed, permutations=19)
    assert test.r2 > 0.5 and test.shuffled_r2.shape == (19,)
    assert test.p_value == pytest.approx(1 / 20)  # no shuffle reaches the observed R²: the smallest p there is
    assert test.r2 == regression_concept_vector(X, encoded, alpha=1.0, seed=seed).r2  # the RCV's own split
    noise = r2_permutation_test(X, rng.normal(size=90), alpha=1.0, seed=seed, permutations=19)
    assert noise.p_value > 0.05
    # the p-value counts the shuffles that reach the observed R², plus one, over P + 1
    assert noise.p_value == pytest.approx((1 + np.sum(noise.shuffled_r2 >= noise.r2)) / 20)


def test_r2_permutation_test_bad_input():
    with pytest.raises(ValueError, match="at least 1 permutation, got 0"):
        r2_permutation_test(np.random.default_rng(0).normal(size=(10, 2)), np.arange(10.0), permutations=0)


def test_rcv_bad_input():
    with pytest.raises(ValueError, match="no direction"):
        regression_concept_vector(np.random.default_rng(0).normal(size=(10, 2)), np.ones(10))
    with pytest.raises(ValueError, match=r"\(N, D\).*N >= 6"):
        regression_concept_vector(np.ones((10, 2)), np.ones(9))
