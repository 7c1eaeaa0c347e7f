"""Shapley values of superpixels — exact and Kernel SHAP — on games whose values are known: the
four axioms (efficiency, symmetry, dummy, linearity) under hypothesis, Kernel SHAP equal to the
exact values when it enumerates, and its error falling as it samples more coalitions."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from minidl.xai import KernelShapExplainer, grid_segments, shapley_values
from minidl.xai.shapley import all_coalitions

pytestmark = pytest.mark.nn


def game(table):
    """(image (1, 1, K), predict_fn) whose class-0 score is table[Σ_k 2^k z_k] for the coalition z
    of visible superpixels (one pixel each, values k + 1, hidden as 0): any set function v."""
    count = int(np.log2(len(table)))
    image = np.arange(1.0, count + 1)[None, None, :]

    def predict(batch):
        visible = (batch[:, 0, 0, :] != 0).astype(np.int64)
        score = np.asarray(table)[visible @ (1 << np.arange(count))]
        return np.stack([score, -score], axis=1)

    return image, predict


def exact(table):
    image, predict = game(table)
    return shapley_values(image, predict, target=0, cell_size=1, hide_color=0.0)


def tables(max_count=6):
    return st.integers(2, max_count).flatmap(
        lambda k: hnp.arrays(np.float64, 2**k, elements=st.floats(-5, 5, allow_nan=False))
    )


def test_shapley_values_of_a_two_player_game_by_hand():
    # v(∅)=0, v({0})=1, v({1})=2, v({0,1})=5: φ0 = ½(1 − 0) + ½(5 − 2) = 2, φ1 = ½(2 − 0) + ½(5 − 1) = 3
    result = exact([0.0, 1.0, 2.0, 5.0])
    np.testing.assert_allclose(result.values, [2.0, 3.0], rtol=1e-12)
    assert result.base_value == 0.0 and result.full_value == 5.0 and result.target == 0
    # three players, v = 1 when at least two are visible (majority): by symmetry each gets 1/3
    majority = [1.0 if bin(m).count("1") >= 2 else 0.0 for m in range(8)]
    np.testing.assert_allclose(exact(majority).values, [1 / 3] * 3, rtol=1e-12)
    np.testing.assert_array_equal(all_coalitions(2), [[0, 0], [1, 0], [0, 1], [1, 1]])


@given(table=tables())
def test_efficiency(table):
    result = exact(table)
    assert result.values.sum() == pytest.approx(table[-1] - table[0], abs=1e-10)


@given(table=tables(), data=st.data())
def test_symmetry(table, data):
    count = int(np.log2(len(table)))
    i, j = data.draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2, unique=True))
    rows = np.arange(len(table))
    bit_i, bit_j = (rows >> i) & 1, (rows >> j) & 1
    swapped = rows - (bit_i << i) - (bit_j << j) + (bit_i << j) + (bit_j << i)
    symmetric = (table + table[swapped]) / 2  # players i and j change every coalition alike
    values = exact(symmetric).values
    assert values[i] == pytest.approx(values[j], abs=1e-10)


@given(table=tables(), data=st.data())
def test_dummy(table, data):
    count = int(np.log2(len(table)))
    dummy = data.draw(st.integers(0, count - 1))
    ignoring = table[np.arange(len(table)) & ~(1 << dummy)]  # v(S) = v(S without the dummy)
    result = exact(ignoring)
    assert abs(result.values[dummy]) < 1e-12
    image, predict = game(ignoring)
    sampled = KernelShapExplainer().explain(image, predict, target=0, cell_size=1, hide_color=0.0, num_samples=2000)
    assert abs(sampled.values[dummy]) < 1e-10


@given(data=st.data(), count=st.integers(2, 6), a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_linearity(data, count, a, b):
    first = data.draw(hnp.arrays(np.float64, 2**count, elements=st.floats(-5, 5)))
    second = data.draw(hnp.arrays(np.float64, 2**count, elements=st.floats(-5, 5)))
    np.testing.assert_allclose(
        exact(a * first + b * second).values, a * exact(first).values + b * exact(second).values, atol=1e-10
    )


@given(table=tables(8))
def test_kernel_shap_enumerating_equals_the_exact_values(table):
    count = int(np.log2(len(table)))
    image, predict = game(table)
    sampled = KernelShapExplainer().explain(
        image, predict, target=0, cell_size=1, hide_color=0.0, num_samples=2**count - 2
    )
    np.testing.assert_allclose(sampled.values, exact(table).values, rtol=0, atol=1e-10)
    assert sampled.base_value == table[0] and sampled.full_value == table[-1]
    assert len(sampled.coalitions) == 2**count  # every coalition once, the full and empty included


def test_kernel_shap_recovers_a_linear_game_from_samples_and_keeps_efficiency():
    count = 10
    coef = np.linspace(-2, 3, count)
    table = 0.7 + all_coalitions(count) @ coef
    image, predict = game(table)
    result = KernelShapExplainer().explain(
        image, predict, target=0, cell_size=1, hide_color=0.0, num_samples=200, seed=0
    )
    np.testing.assert_allclose(result.values, coef, atol=1e-10)
    nonlinear = np.random.default_rng(1).normal(size=2**count)
    image, predict = game(nonlinear)
    result = KernelShapExplainer().explain(
        image, predict, target=0, cell_size=1, hide_color=0.0, num_samples=100, seed=0
    )
    assert result.values.sum() == pytest.approx(nonlinear[-1] - nonlinear[0], abs=1e-10)  # enforced exactly


def test_kernel_shap_samples_pairs_of_complements_by_the_kernels_size_distribution():
    coalitions, weights = KernelShapExplainer.perturb(12, 4000, np.random.default_rng(0))
    half = len(coalitions) // 2
    np.testing.assert_array_equal(coalitions[half:], 1 - coalitions[:half])
    sizes = coalitions[:half].sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= 11 and np.all(weights == 1)
    expected = 11 / (np.arange(1, 12) * (12 - np.arange(1, 12)))
    expected /= expected.sum()
    observed = np.bincount(sizes, minlength=12)[1:] / half
    np.testing.assert_allclose(observed, expected, atol=0.02)
    a = KernelShapExplainer.perturb(12, 100, np.random.default_rng(3))[0]
    b = KernelShapExplainer.perturb(12, 100, np.random.default_rng(3))[0]
    np.testing.assert_array_equal(a, b)


def test_kernel_shap_error_falls_as_it_samples_more():
    count = 12
    rng = np.random.default_rng(0)
    z = all_coalitions(count)
    # a game with interactions: pairs and a threshold, so no sample size gives it exactly
    table = (
        z @ rng.normal(size=count)
        + 0.5 * (z[:, ::2] * z[:, 1::2]) @ rng.normal(size=count // 2)
        + 2.0 * (z.sum(axis=1) > 6)
    )
    reference = exact(table).values
    image, predict = game(table)
    errors = []
    for samples in (50, 400, 3200):
        runs = [
            KernelShapExplainer()
            .explain(image, predict, target=0, cell_size=1, hide_color=0.0, num_samples=samples, seed=seed)
            .values
            for seed in range(8)
        ]
        errors.append(np.mean([np.sqrt(np.mean((run - reference) ** 2)) for run in runs]))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.5 * errors[0]


def test_shapley_values_and_kernel_shap_on_an_image_with_grid_superpixels():
    rng = np.random.default_rng(0)
    image = rng.random((2, 8, 8))
    weights = rng.normal(size=(3, 128))

    def predict(batch):
        flat = batch.reshape(len(batch), -1)
        return np.tanh(flat @ weights.T) + (flat @ weights.T) ** 2 / 10

    result = shapley_values(image, predict, cell_size=4)
    assert result.values.shape == (4,) and result.target == int(predict(image[None])[0].argmax())
    np.testing.assert_array_equal(result.segments, grid_segments(8, 8, 4))
    assert result.values.sum() == pytest.approx(result.full_value - result.base_value, abs=1e-10)
    estimate = KernelShapExplainer().explain(image, predict, cell_size=4, num_samples=14)
    np.testing.assert_allclose(estimate.values, result.values, atol=1e-10)
    top = int(np.argmax(result.values))
    assert result.mask(num_features=1)[result.segments == top].min() == (1 if result.values[top] > 0 else 0)
    # hidden superpixels show their own mean colour by default: the all-hidden image is the cell means
    means = image.reshape(2, 2, 4, 2, 4).mean(axis=(2, 4))
    assert result.base_value == pytest.approx(predict(np.repeat(np.repeat(means, 4, 1), 4, 2)[None])[0, result.target])


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda image, predict: shapley_values(image, predict, cell_size=1), ["36 superpixels", "at most 16"]),
        (lambda image, predict: KernelShapExplainer().explain(image, predict, num_samples=1), ["num_samples >= 2"]),
        (lambda image, predict: shapley_values(image[0], predict), ["(C, H, W)"]),
        (lambda image, predict: KernelShapExplainer().explain(image, predict, target=5), ["[0, 1]", "5"]),
    ],
)
def test_shapley_bad_input(call, words):
    image = np.random.default_rng(0).random((1, 6, 6))
    with pytest.raises(ValueError) as caught:
        call(image, lambda batch: np.zeros((len(batch), 2)))
    for word in words:
        assert word in str(caught.value)
