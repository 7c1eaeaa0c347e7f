"""Neuron Shapley on a layer whose filters' worth is known: compared with the exact Shapley values of
the performance over all 2^K filter sets, efficiency per permutation, dummy filters, truncation."""

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.xai import NeuronShapley
from minidl.xai.shapley import all_coalitions, shapley_from_coalition_values

pytestmark = pytest.mark.nn


def filters_then_head(gains, head):
    """Conv 1×1 with filter k = gains[k] · input, ReLU, then a dense head (classes, K·H·W)."""
    gains, head = np.asarray(gains, np.float64), np.asarray(head, np.float64)
    model = nn.Sequential(
        nn.Conv2d(1, len(gains), 1, dtype=np.float64),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(head.shape[1], head.shape[0], dtype=np.float64),
    )
    model[0].weight.data = gains.reshape(-1, 1, 1, 1).copy()
    model[0].bias.data = np.zeros(len(gains))
    model[3].weight.data = head.copy()
    model[3].bias.data = np.zeros(head.shape[0])
    return model


def data(seed=0, n=60):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 1, 2, 2))
    minidl.manual_seed(seed)
    head = rng.normal(size=(3, 4 * 4))
    head[:, 12:] = 0.0  # filter 3 feeds nothing: a dummy
    model = filters_then_head([1.0, 0.7, 1.3, 2.0], head)
    with minidl.no_grad():
        labels = model(minidl.tensor(images)).data.argmax(axis=1)
    labels[::5] = (labels[::5] + 1) % 3  # some mistakes, so that accuracy is not 1 everywhere
    return model, images, labels


def exact_values(explainer):
    coalitions = all_coalitions(explainer.num_filters).astype(bool)
    return shapley_from_coalition_values(
        np.array([explainer.performance(c) for c in coalitions]), explainer.num_filters
    )


def test_removing_filters_zeroes_their_output():
    model, images, labels = data()
    explainer = NeuronShapley(model, "0", images, labels)
    assert explainer.num_filters == 4 and explainer.full_performance == pytest.approx(0.8)
    kept = np.array([True, False, True, True])
    zeroed = filters_then_head([1.0, 0.0, 1.3, 2.0], model[3].weight.data)
    with minidl.no_grad():
        accuracy = np.mean(zeroed(minidl.tensor(images)).data.argmax(axis=1) == labels)
    assert explainer.performance(kept) == pytest.approx(accuracy)
    assert not model[0]._forward_hooks  # the removal hook is gone afterwards
    loss = NeuronShapley(model, "0", images, labels, metric="negative_loss")
    logits = model(minidl.tensor(images)).data
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert loss.full_performance == pytest.approx(log_probabilities[np.arange(60), labels].mean())


@pytest.mark.parametrize("metric", ["accuracy", "negative_loss"])
def test_monte_carlo_values_approach_the_exact_shapley_values(metric):
    model, images, labels = data()
    explainer = NeuronShapley(model, "0", images, labels, metric=metric)
    exact = exact_values(explainer)
    result = explainer.explain(permutations=400, tolerance=0.0, seed=0)
    # without truncation every permutation's contributions add up to v(all) − v(none) exactly
    assert result.values.sum() == pytest.approx(result.full_performance - result.empty_performance, abs=1e-12)
    assert result.values[3] == 0.0 and exact[3] == pytest.approx(0.0, abs=1e-15)  # the dummy filter
    assert np.all(np.abs(result.values - exact) <= 4 * result.standard_errors + 1e-12)
    assert np.abs(result.values - exact).max() < 0.1 * np.abs(exact).max()
    np.testing.assert_array_equal(result.ranking()[:3], np.argsort(-exact)[:3])


def test_truncation_skips_what_cannot_matter_and_seeds_repeat():
    model, images, labels = data()
    explainer = NeuronShapley(model, "0", images, labels)
    everything = explainer.explain(permutations=5, tolerance=0.0, seed=1)
    assert everything.evaluations == 1 + 5 * 3  # the empty model, then 3 subsets per permutation (the 4th is empty)
    spread = abs(everything.full_performance - everything.empty_performance)
    nothing = explainer.explain(permutations=5, tolerance=spread + 1e-9, seed=1)
    assert nothing.evaluations == 1 and np.all(nothing.values == 0)
    again = explainer.explain(permutations=5, tolerance=0.0, seed=1)
    np.testing.assert_array_equal(again.values, everything.values)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"layer": "9"}, ["no layer named '9'"]),
        ({"labels": np.zeros(3, np.int64)}, ["60 ints", "(3,)"]),
        ({"labels": np.full(60, 5)}, ["[0, 2]"]),
        ({"metric": "f1"}, ["accuracy, negative_loss", "'f1'"]),
    ],
)
def test_neuron_shapley_bad_input(kwargs, words):
    model, images, labels = data()
    arguments = {"layer": "0", "labels": labels, **kwargs}
    with pytest.raises(ValueError) as caught:
        NeuronShapley(model, arguments.pop("layer"), images, arguments.pop("labels"), **arguments)
    for word in words:
        assert word in str(caught.value)
