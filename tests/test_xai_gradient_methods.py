"""Integrated Gradients, SmoothGrad and contrastive targets on models whose gradients are known by
hand, plus IG's completeness under hypothesis."""

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import nn
from minidl.xai import GradCAM, integrated_gradients, saliency, smoothgrad

pytestmark = pytest.mark.nn


def set_weights(layer, weight, bias):
    layer.weight.data = np.asarray(weight, dtype=np.float64).reshape(layer.weight.shape)
    layer.bias.data = np.asarray(bias, dtype=np.float64).reshape(layer.bias.shape)


def linear_model(weight, bias):
    weight = np.asarray(weight, np.float64)
    model = nn.Sequential(nn.Flatten(), nn.Linear(weight.shape[1], weight.shape[0], dtype=np.float64))
    set_weights(model[1], weight, bias)
    return model


def small_cnn(seed, channels, classes):
    minidl.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 3, 3, padding=1, dtype=np.float64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3 * 2 * 2, 6, dtype=np.float64),
        nn.ReLU(),
        nn.Linear(6, classes, dtype=np.float64),
    )


def scores(model, x):
    with minidl.no_grad():
        return model(minidl.tensor(x)).data


# ----- Integrated Gradients ----------------------------------------------------------------------
def test_integrated_gradients_of_a_relu_by_hand():
    # F(x) = ReLU(x − 1) at x = 3 from 0: IG = 3 · ∫₀¹ 1[3α > 1] dα = 3 · 2/3 = 2 = F(3) − F(0),
    # while the gradient times the input gives 3. With 6 midpoints, 4 lie above α = 1/3: exactly 2.
    model = nn.Sequential(nn.Flatten(), nn.Linear(1, 1, dtype=np.float64), nn.ReLU())
    set_weights(model[1], [[1.0]], [-1.0])
    x = np.array([[[[3.0]]]])
    np.testing.assert_allclose(integrated_gradients(model, x, target=0, steps=6), [[[[2.0]]]], rtol=1e-12)
    np.testing.assert_allclose(integrated_gradients(model, x, target=0, baseline=1.0, steps=6), [[[[2.0]]]])


@given(data=st.data(), channels=st.integers(1, 2), classes=st.integers(2, 4), n=st.integers(1, 3))
def test_integrated_gradients_of_a_linear_model_is_the_difference_times_the_weights(data, channels, classes, n):
    size = channels * 2 * 3
    weight = data.draw(hnp.arrays(np.float64, (classes, size), elements=st.floats(-2, 2)))
    model = linear_model(weight, np.zeros(classes))
    x = data.draw(hnp.arrays(np.float64, (n, channels, 2, 3), elements=st.floats(-2, 2)))
    baseline = data.draw(hnp.arrays(np.float64, (channels, 2, 3), elements=st.floats(-1, 1)))
    target = data.draw(st.integers(0, classes - 1))
    attributions = integrated_gradients(model, x, target=target, baseline=baseline, steps=3)
    np.testing.assert_allclose(attributions, (x - baseline) * weight[target].reshape(channels, 2, 3), atol=1e-12)


def smooth_cnn(seed, channels, classes):
    """Tanh and softplus, no pooling: the score is smooth along any path, so the midpoint rule's
    error falls as 1/steps² and 1 % at 64 steps is a property, not luck."""
    minidl.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 3, 3, padding=1, dtype=np.float64),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(3 * 4 * 4, 6, dtype=np.float64),
        nn.Softplus(),
        nn.Linear(6, classes, dtype=np.float64),
    )


def completeness_gaps(model, x, baseline, steps):
    """(Σ attributions − (F(x) − F(x′)), F(x) − F(x′)) per image, for each image's top class."""
    attributions = integrated_gradients(model, x, baseline=baseline, steps=steps)
    targets = scores(model, x).argmax(axis=1)
    start = np.zeros_like(x) if baseline is None else np.full_like(x, baseline)
    rows = np.arange(len(x))
    change = scores(model, x)[rows, targets] - scores(model, start)[rows, targets]
    return attributions.sum(axis=(1, 2, 3)) - change, change


@given(data=st.data(), seed=st.integers(0, 10_000), channels=st.integers(1, 2), n=st.integers(1, 2))
def test_integrated_gradients_completeness_within_one_percent_at_64_steps(data, seed, channels, n):
    model = smooth_cnn(seed, channels, 3)
    x = data.draw(hnp.arrays(np.float64, (n, channels, 4, 4), elements=st.floats(-2, 2)))
    baseline = data.draw(st.sampled_from([None, 0.5]))
    gaps, change = completeness_gaps(model, x, baseline, 64)
    assume(np.all(np.abs(change) > 1e-3))  # 1 % of a change near 0 is no test of the integral
    assert np.all(np.abs(gaps) <= 0.01 * np.abs(change)), (gaps, change)


def test_integrated_gradients_completeness_on_a_relu_network():
    # ReLU and max pooling make the gradient jump along the path, so the midpoint rule's error
    # falls only as 1/steps: on this untrained network with small score changes the gap at 64
    # steps is about 1 % (slightly above for one image), and it shrinks as the steps grow.
    model = small_cnn(7, 1, 3)
    x = np.random.default_rng(7).normal(size=(4, 1, 4, 4)) * 2
    gaps = {steps: completeness_gaps(model, x, None, steps)[0] for steps in (4, 64, 1024)}
    change = completeness_gaps(model, x, None, 4)[1]
    assert np.all(np.abs(gaps[64]) <= 0.02 * np.abs(change))
    assert np.all(np.abs(gaps[1024]) <= 0.002 * np.abs(change))
    assert np.abs(gaps[1024]).sum() < np.abs(gaps[64]).sum() < np.abs(gaps[4]).sum()


def test_integrated_gradients_keeps_the_target_of_the_image_and_takes_contrasts():
    model = small_cnn(3, 1, 3)
    x = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    top = scores(model, x).argmax(axis=1)
    np.testing.assert_array_equal(
        integrated_gradients(model, x, steps=8), integrated_gradients(model, x, target=top, steps=8)
    )
    # IG is linear in the score: IG(y_c − y_c′) = IG(y_c) − IG(y_c′) on the same path
    contrastive = integrated_gradients(model, x, target=0, contrast=2, steps=8)
    np.testing.assert_allclose(
        contrastive,
        integrated_gradients(model, x, target=0, steps=8) - integrated_gradients(model, x, target=2, steps=8),
        atol=1e-12,
    )
    per_image = np.stack([np.zeros((1, 4, 4)), np.ones((1, 4, 4))])
    np.testing.assert_allclose(
        integrated_gradients(model, x, baseline=per_image, steps=8)[1],
        integrated_gradients(model, x[1:], baseline=1.0, steps=8)[0],
    )


# ----- SmoothGrad --------------------------------------------------------------------------------
def test_smoothgrad_averages_the_gradient_over_the_same_noise_it_draws():
    # F(x) = ReLU(w·x + b)·v: ∂F/∂x = v · w · 1[w·x + b > 0], so the mean over noisy copies is
    # w·v times the share of copies on the positive side.
    rng = np.random.default_rng(0)
    w = rng.normal(size=8)
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 1, dtype=np.float64), nn.ReLU(), nn.Linear(1, 2, dtype=np.float64))
    set_weights(model[1], w, [0.1])
    set_weights(model[3], [[2.0], [-1.0]], [0.0, 0.0])
    x = rng.normal(size=(1, 2, 2, 2)) * 0.1
    result = smoothgrad(model, x, target=0, noise=0.2, samples=40, seed=5)
    sigma = 0.2 * (x.max() - x.min())
    noisy = x[0] + sigma * np.random.default_rng(5).standard_normal((40, 2, 2, 2))
    active = (noisy.reshape(40, 8) @ w + 0.1 > 0).mean()
    np.testing.assert_allclose(result[0], 2.0 * active * w.reshape(2, 2, 2), atol=1e-12)
    assert 0 < active < 1  # the noise crosses the kink: the test sees the averaging


def test_smoothgrad_without_noise_is_the_gradient_and_is_seeded():
    model = small_cnn(1, 1, 3)
    x = np.random.default_rng(1).normal(size=(2, 1, 4, 4))
    plain = smoothgrad(model, x, noise=0.0, samples=3, seed=0)
    np.testing.assert_allclose(np.abs(plain).max(axis=1), saliency(model, x), atol=1e-12)
    np.testing.assert_array_equal(smoothgrad(model, x, seed=4, samples=5), smoothgrad(model, x, seed=4, samples=5))
    assert not np.array_equal(smoothgrad(model, x, seed=4, samples=5), smoothgrad(model, x, seed=5, samples=5))


# ----- contrastive targets -----------------------------------------------------------------------
def lowering_model():
    """Two classes; logit 1 is a constant and logit 0 = w·x: the model decides "class 1" only by
    lowering logit 0. Class 1's own gradient is zero everywhere."""
    model = nn.Sequential(nn.Conv2d(1, 2, 1, dtype=np.float64), nn.Flatten(), nn.Linear(2 * 3 * 3, 2, dtype=np.float64))
    set_weights(model[0], [1.0, 0.5], [0.0, 0.0])
    head = np.zeros((2, 18))
    head[0] = np.linspace(-1, 1, 18)
    set_weights(model[2], head, [0.0, 0.3])
    return model, head[0].reshape(2, 3, 3)


def test_contrast_explains_the_log_odds_where_the_plain_logit_shows_nothing():
    model, w = lowering_model()
    x = np.random.default_rng(0).random((2, 1, 3, 3))
    gradient_of_logit0 = w[0] * 1.0 + w[1] * 0.5  # through the 1×1 conv: ∂y₀/∂x = Σ_k gain_k w_k
    np.testing.assert_array_equal(saliency(model, x, target=1), np.zeros((2, 3, 3)))
    np.testing.assert_allclose(saliency(model, x, target=1, contrast=0), np.abs(gradient_of_logit0)[None].repeat(2, 0))
    assert np.all(GradCAM(model, "0").explain(x, target=1).raw == 0)
    contrastive = GradCAM(model, "0").explain(x, target=1, contrast=0)
    np.testing.assert_allclose(contrastive.gradients, -w[None].repeat(2, 0))
    assert contrastive.raw.max() > 0
    np.testing.assert_allclose(
        integrated_gradients(model, x, target=1, contrast=0, steps=4), -x * gradient_of_logit0, atol=1e-12
    )


def test_runner_up_contrast_and_bad_contrasts():
    model = small_cnn(2, 1, 4)
    x = np.random.default_rng(2).normal(size=(3, 1, 4, 4))
    ranked = np.argsort(-scores(model, x), axis=1)
    np.testing.assert_allclose(
        saliency(model, x, contrast="runner_up"), saliency(model, x, target=ranked[:, 0], contrast=ranked[:, 1])
    )
    for contrast, words in (
        (ranked[:, 0], ["sample 0", "against the same class"]),
        ("best", ["'runner_up'"]),
        (7, ["contrast classes must lie in [0, 3]"]),
        ([0, 1], ["3 sample(s) need 3 contrast(s)"]),
    ):
        with pytest.raises(ValueError) as caught:
            saliency(model, x, contrast=contrast)
        for word in words:
            assert word in str(caught.value)


def test_runner_up_contrast_equals_a_log_odds_wrapper_on_two_classes():
    """A two-class model wrapped to output (y₀ − y₁, y₁ − y₀), as the lessons once did, gives the
    same Grad-CAM, saliency and Integrated Gradients as contrast="runner_up" on the bare model."""

    class LogOdds(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            logits = self.model(x)
            odds = logits[:, 1:2] - logits[:, 0:1]
            return minidl.concatenate([-odds, odds], axis=1)

    model = small_cnn(4, 1, 2)
    wrapped = LogOdds(model)
    x = np.random.default_rng(4).normal(size=(3, 1, 4, 4))
    np.testing.assert_allclose(GradCAM(model, "0")(x, contrast="runner_up"), GradCAM(wrapped, "model.0")(x), atol=1e-12)
    np.testing.assert_allclose(saliency(model, x, contrast="runner_up"), saliency(wrapped, x), atol=1e-12)
    np.testing.assert_allclose(
        integrated_gradients(model, x, contrast="runner_up", steps=8),
        integrated_gradients(wrapped, x, steps=8),
        atol=1e-12,
    )
