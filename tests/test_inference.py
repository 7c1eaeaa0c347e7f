"""predict and probabilities: batched outputs in evaluation mode without a graph, mode restored."""

import numpy as np
import pytest

import minidl
from minidl.inference import predict, probabilities
from minidl.nn import Dropout, Linear, Sequential

pytestmark = pytest.mark.nn


def test_predict_batches_evaluates_without_a_graph_and_restores_the_mode():
    minidl.manual_seed(0)
    model = Sequential(Linear(3, 4), Dropout(0.5), Linear(4, 2))
    x = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    model.train()
    outputs = predict(model, x, batch_size=3)  # batches of 3, 3 and 1
    assert model.training
    model.eval()
    np.testing.assert_allclose(outputs, model(minidl.tensor(x)).data, rtol=1e-6)
    assert all(p.grad is None for p in model.parameters())


def test_probabilities_are_the_softmax_of_the_outputs():
    model = Sequential(Linear(2, 3))
    x = np.array([[1.0, -2.0], [0.5, 0.5]], dtype=np.float32)
    logits = predict(model, x).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities(model, x), expected, rtol=1e-12)
