"""Explanations on cases whose answer is known by hand: linear models, a conv layer that copies its
input, a predict_fn that is exactly linear in the superpixels, and the normal equations."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import nn
from minidl.xai import (
    GradCAM,
    GradCAMPlusPlus,
    LimeImageExplainer,
    deletion_curve,
    grid_segments,
    insertion_curve,
    randomisation_check,
    resize_bilinear,
    saliency,
    spearman,
    weighted_ridge,
)
from minidl.xai.evaluation import auc, gaussian_blur

pytestmark = pytest.mark.xai


def set_weights(layer, weight, bias=None):
    layer.weight.data = np.asarray(weight, dtype=np.float64).reshape(layer.weight.shape)
    if bias is not None:
        layer.bias.data = np.asarray(bias, dtype=np.float64)


def copy_then_dense(channel_gains, height, width, head):
    """Conv 1×1 with out channel k = gain_k · input, then a dense head with the given weights."""
    gains = np.asarray(channel_gains, dtype=np.float64)
    model = nn.Sequential(
        nn.Conv2d(1, len(gains), 1, dtype=np.float64),
        nn.Flatten(),
        nn.Linear(len(gains) * height * width, head.shape[0], dtype=np.float64),
    )
    set_weights(model[0], gains, np.zeros(len(gains)))
    set_weights(model[2], head, np.zeros(head.shape[0]))
    return model


# ----- resizing and saliency ---------------------------------------------------------------------
def test_resize_bilinear_half_pixel_centres_by_hand():
    # 2 → 4 pixels: sources −0.25 (clamped to 0), 0.25, 0.75, 1.25 (past the last pixel)
    np.testing.assert_allclose(resize_bilinear(np.array([[0.0, 1.0]]), 1, 4), [[0, 0.25, 0.75, 1]])
    square = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(resize_bilinear(square, 3, 3), square)
    # 2×2 → 4×4: separable, so the corners stay and the middle averages
    out = resize_bilinear(np.array([[0.0, 4.0], [8.0, 12.0]]), 4, 4)
    np.testing.assert_allclose(out[[0, 0, 3, 3], [0, 3, 0, 3]], [0, 4, 8, 12])
    np.testing.assert_allclose(out[1, 1], 0.75 * 0.75 * 0 + 0.75 * 0.25 * 4 + 0.25 * 0.75 * 8 + 0.25 * 0.25 * 12)


def test_saliency_of_a_linear_model_is_its_weights():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(2 * 3 * 4, 5, dtype=np.float64))
    x = rng.standard_normal((3, 2, 3, 4))
    maps = saliency(model, x, target=[0, 4, 2])
    weights = model[1].weight.data.reshape(5, 2, 3, 4)
    for n, c in enumerate([0, 4, 2]):
        np.testing.assert_allclose(maps[n], np.abs(weights[c]).max(axis=0))
    logits = x.reshape(3, -1) @ model[1].weight.data.T + model[1].bias.data
    np.testing.assert_allclose(saliency(model, x), np.abs(weights[logits.argmax(axis=1)]).max(axis=1))


# ----- Grad-CAM and Grad-CAM++ -----------------------------------------------------------------
def test_gradcam_by_hand_on_a_copying_layer():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    model = copy_then_dense([1.0], 2, 2, head=np.ones((1, 4)))
    result = GradCAM(model, model[0]).explain(x)
    # g = 1 everywhere, α = 1, map = ReLU(A) = x, scaled to (x − 1) / (3 + 1e-7)
    np.testing.assert_allclose(result.weights, [[1.0]])
    np.testing.assert_allclose(result.raw, x[:, 0])
    np.testing.assert_allclose(result.cam, (x[:, 0] - 1) / (3 + 1e-7))


@given(data=st.data(), height=st.integers(2, 5), width=st.integers(2, 6))
def test_gradcam_and_plus_plus_follow_their_formulas_on_non_square_inputs(data, height, width):
    gains = data.draw(hnp.arrays(np.float64, 2, elements=st.floats(0.5, 2)))
    head = data.draw(hnp.arrays(np.float64, (3, 2 * height * width), elements=st.floats(-1, 1)))
    x = data.draw(hnp.arrays(np.float64, (2, 1, height, width), elements=st.floats(-2, 2)))
    model = copy_then_dense(gains, height, width, head)
    target = np.array([2, 0])
    activations = gains[None, :, None, None] * x  # (N, 2, h, w)
    gradients = head[target].reshape(2, 2, height, width)  # ∂y_c/∂A for a dense head
    plain = gradients.mean(axis=(2, 3))
    g2, g3 = gradients**2, gradients**3
    a = np.where(gradients != 0, g2 / (2 * g2 + activations.sum(axis=(2, 3), keepdims=True) * g3 + 1e-6), 0)
    plus = (a * np.maximum(gradients, 0)).sum(axis=(2, 3))
    for method, weights in ((GradCAM, plain), (GradCAMPlusPlus, plus)):
        result = method(model, "0").explain(x, target)
        np.testing.assert_allclose(result.gradients, gradients, atol=1e-12)
        np.testing.assert_allclose(result.weights, weights, rtol=1e-9, atol=1e-12)
        raw = np.maximum(np.einsum("nk,nkhw->nhw", weights, activations), 0)
        np.testing.assert_allclose(result.raw, raw, rtol=1e-9, atol=1e-12)
        low, high = raw.min(axis=(1, 2), keepdims=True), raw.max(axis=(1, 2), keepdims=True)
        np.testing.assert_allclose(result.cam, (raw - low) / (high - low + 1e-7), rtol=1e-9, atol=1e-12)
        assert result.cam.shape == (2, height, width)


def test_gradcam_resizes_to_the_input_and_leaves_the_model_as_it_was():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 4, 3))
    model.train()
    x = np.random.default_rng(0).random((2, 1, 8, 10)).astype(np.float32)
    maps = GradCAM(model, model[1])(x, target=1)
    assert maps.shape == (2, 8, 10) and maps.min() >= 0 and maps.max() <= 1
    assert model.training and all(p.requires_grad and p.grad is None for p in model.parameters())
    assert not model[1]._forward_hooks


@pytest.mark.parametrize(
    "make, call, error, words",
    [
        (lambda m: GradCAM(m, nn.Linear(2, 2)), None, ValueError, ["not a layer of this model"]),
        (lambda m: GradCAM(m, "features.9"), None, ValueError, ["no layer named 'features.9'", "'0'"]),
        (lambda m: GradCAM(m, m[4]), lambda c, x: c(x), ValueError, ["'4'", "Linear", "feature maps", "(1, 3)"]),
        (lambda m: GradCAM(m, m[0]), lambda c, x: c(x, target=3), ValueError, ["[0, 2]", "[3]"]),
        (lambda m: GradCAM(m, m[0]), lambda c, x: c(x, target=[0, 1]), ValueError, ["1 sample(s) need 1 target(s)"]),
        (lambda m: GradCAM(m, m[0]), lambda c, x: c(x[0]), ValueError, ["(N, C, H, W)", "x[None]"]),
    ],
)
def test_gradcam_bad_input_and_hooks_removed_after_errors(make, call, error, words):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 3))
    x = np.ones((1, 1, 8, 8), np.float32)
    with pytest.raises(error) as caught:
        call(make(model), x) if call else make(model)
    for word in words:
        assert word in str(caught.value)
    assert all(not m._forward_hooks for m in model.modules())
    assert all(p.requires_grad for p in model.parameters())


# ----- LIME ------------------------------------------------------------------------------------
def test_grid_segments_by_hand():
    np.testing.assert_array_equal(grid_segments(3, 5, 2), [[0, 0, 1, 1, 2], [0, 0, 1, 1, 2], [3, 3, 4, 4, 5]])
    np.testing.assert_array_equal(grid_segments(2, 3, 1), [[0, 1, 2], [3, 4, 5]])
    assert grid_segments(28, 28, 4).max() == 48 and grid_segments(4, 9, 4).max() == 2
    for size, cell, words in (
        ((4, 4), 0, "positive int"),
        ((4, 4), 5, "not smaller than the image"),
        ((4, 4), 4, "single superpixel"),
        ((4, 4), 2.0, "positive int"),
    ):
        with pytest.raises(ValueError, match=words):
            grid_segments(*size, cell)


def linear_in_superpixels(image, segments, coef, intercept):
    """A classifier whose score is intercept + Σ_k coef_k · [superpixel k visible], found by
    comparing each superpixel's mean with the original's (superpixels hold distinct non-zero values)."""
    count = segments.max() + 1
    original = np.bincount(segments.ravel(), weights=image[0].ravel()) / np.bincount(segments.ravel())

    def predict(batch):
        means = np.stack(
            [np.bincount(segments.ravel(), weights=b[0].ravel()) / np.bincount(segments.ravel()) for b in batch]
        )
        visible = np.isclose(means, original).astype(np.float64)
        score = intercept + visible @ coef
        return np.stack([score, -score], axis=1)

    assert len(original) == count
    return predict


def test_lime_recovers_the_coefficients_of_a_linear_classifier():
    segments = grid_segments(8, 8, 4)  # 4 superpixels
    image = (1.0 + segments[None]).astype(np.float64)  # distinct, non-zero values per superpixel
    coef = np.array([2.0, -1.0, 0.5, 0.0])
    predict = linear_in_superpixels(image, segments, coef, intercept=0.3)
    explanation = LimeImageExplainer(alpha=1e-9).explain(
        image, predict, target=0, cell_size=4, hide_color=0.0, num_samples=300, seed=1
    )
    np.testing.assert_allclose(explanation.coef, coef, atol=1e-6)
    np.testing.assert_allclose(explanation.intercept, 0.3, atol=1e-6)
    assert explanation.score == pytest.approx(1.0) and explanation.local_pred == pytest.approx(0.3 + 1.5)
    np.testing.assert_array_equal(explanation.mask(num_features=1), (segments == 0).astype(int))
    np.testing.assert_array_equal(
        explanation.mask(num_features=2, positive_only=False), (segments == 0).astype(int) - (segments == 1)
    )
    np.testing.assert_array_equal(
        explanation.mask(negative_only=True, positive_only=False, min_weight=1e-6), -(segments == 1).astype(int)
    )
    # with the default ridge penalty the same signs, shrunk towards 0
    shrunk = LimeImageExplainer().explain(image, predict, target=0, cell_size=4, hide_color=0.0, seed=1).coef
    assert np.all(np.sign(shrunk[:3]) == np.sign(coef[:3])) and np.all(np.abs(shrunk[:3]) < np.abs(coef[:3]))


def test_lime_perturbations_weights_and_seed():
    segments = grid_segments(6, 6, 3)
    image = (1.0 + segments[None]).astype(np.float64)
    predict = linear_in_superpixels(image, segments, np.array([1.0, 2.0, 3.0, 4.0]), 0.0)
    explainer = LimeImageExplainer()
    a = explainer.explain(image, predict, num_samples=50, seed=7)
    b = explainer.explain(image, predict, num_samples=50, seed=7)
    c = explainer.explain(image, predict, num_samples=50, seed=8)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert not np.array_equal(a.samples, c.samples)
    assert a.samples[0].tolist() == [1, 1, 1, 1] and a.weights[0] == pytest.approx(1.0)
    on = a.samples.sum(axis=1)
    distance = 1 - np.sqrt(on / 4)  # cosine distance to the all-on vector
    np.testing.assert_allclose(a.weights, np.sqrt(np.exp(-(distance**2) / 0.25**2)))
    assert a.target == 0  # the top class of the intact image (score 10 vs −10)
    as_tensor = explainer.explain(image, lambda batch: minidl.tensor(predict(batch)), num_samples=50, seed=7)
    np.testing.assert_array_equal(as_tensor.coef, a.coef)  # predict_fn may return a minidl Tensor


def test_lime_hides_superpixels_with_their_own_mean_by_default():
    image = np.array([[[0.0, 2.0], [4.0, 6.0]]])
    seen = []
    LimeImageExplainer().explain(
        image,
        lambda batch: seen.append(batch.copy()) or np.zeros((len(batch), 2)),
        segments=np.array([[0, 0], [1, 1]]),
        num_samples=20,
        seed=0,
    )
    batch = np.concatenate(seen)
    for sample in batch:
        assert sample[0, 0].tolist() in ([0.0, 2.0], [1.0, 1.0]) and sample[0, 1].tolist() in ([4.0, 6.0], [5.0, 5.0])


@pytest.mark.parametrize(
    "kwargs, predict, words",
    [
        ({"cell_size": 0}, None, ["cell_size", "positive"]),
        ({"cell_size": 9}, None, ["not smaller than the image"]),
        ({"target": 2}, None, ["[0, 1]", "2"]),
        ({}, lambda batch: np.zeros(len(batch)), ["(batch, classes)", "shape (100,)"]),
        ({}, lambda batch: np.zeros((3, 2)), ["batch of 100", "(3, 2)"]),
        ({"segments": np.zeros((8, 8), int)}, None, ["0..K-1 with K >= 2"]),
        ({"segments": np.zeros((4, 8), int)}, None, ["(8, 8)"]),
    ],
)
def test_lime_bad_input(kwargs, predict, words):
    image = np.random.default_rng(0).random((1, 8, 8))
    predict = predict or (lambda batch: np.zeros((len(batch), 2)))
    with pytest.raises(ValueError) as caught:
        LimeImageExplainer().explain(image, predict, **kwargs)
    for word in words:
        assert word in str(caught.value)


@given(data=st.data(), n=st.integers(3, 12), k=st.integers(1, 4), alpha=st.floats(0.01, 10))
def test_weighted_ridge_matches_the_normal_equations_and_its_invariances(data, n, k, alpha):
    X = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3)))
    y = data.draw(hnp.arrays(np.float64, n, elements=st.floats(-3, 3)))
    w = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 2)))
    coef, intercept = weighted_ridge(X, y, w, alpha)
    # Independently: minimise (y − Xa θ)ᵀ W (y − Xa θ) + α Σ β², θ = (β, b), the intercept unpenalised.
    Xa = np.hstack([X, np.ones((n, 1))])
    penalty = alpha * np.diag([1.0] * k + [0.0])
    theta = np.linalg.solve(Xa.T @ (w[:, None] * Xa) + penalty, Xa.T @ (w * y))
    np.testing.assert_allclose(coef, theta[:k], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(intercept, theta[k], rtol=1e-7, atol=1e-7)
    scaled = weighted_ridge(X, y, 3.0 * w, 3.0 * alpha)
    np.testing.assert_allclose(scaled[0], coef, rtol=1e-7, atol=1e-9)
    order = np.random.default_rng(n).permutation(n)
    permuted = weighted_ridge(X[order], y[order], w[order], alpha)
    np.testing.assert_allclose(permuted[0], coef, rtol=1e-7, atol=1e-9)


# ----- measuring explanations --------------------------------------------------------------------
def test_spearman_by_hand():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks with ties: [1, 2.5, 2.5, 4] against [1, 2, 3, 4]
    ranks = np.array([1, 2.5, 2.5, 4]) - 2.5
    assert spearman([1, 5, 5, 9], [1, 2, 3, 4]) == pytest.approx(
        ranks @ (np.arange(4) - 1.5) / np.sqrt((ranks @ ranks) * 5)
    )
    assert spearman([1, 1, 1], [1, 2, 3]) == 0.0


def test_deletion_and_insertion_curves():
    # A model that sees only the sum of the left column: deleting it first kills the class at once.
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, dtype=np.float64))
    left = np.zeros((4, 4))
    left[:, 0] = 1
    set_weights(model[1], np.stack([5 * left.ravel(), -5 * left.ravel()]), [0.0, 0.0])
    image = np.ones((1, 4, 4))
    fractions, good = deletion_curve(model, image, left, step=4)
    _, bad = deletion_curve(model, image, 1 - left, step=4)
    np.testing.assert_allclose(fractions, [0, 0.25, 0.5, 0.75, 1])
    assert good[0] == pytest.approx(bad[0]) and good[-1] == pytest.approx(bad[-1]) == pytest.approx(0.5)
    assert good[1] == pytest.approx(0.5) and auc(good) < auc(bad)
    _, rising = insertion_curve(model, image, left, step=4)
    np.testing.assert_allclose(rising[-1], good[0])  # everything inserted: the intact image
    assert auc(np.array([0.0, 1.0, 1.0])) == pytest.approx(0.75)
    blurred = gaussian_blur(np.pad(np.ones((1, 2, 2)), ((0, 0), (5, 5), (5, 5))))
    assert blurred.sum() == pytest.approx(4.0, rel=0.05) and blurred.max() < 0.2


def test_randomisation_check_restores_the_model():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    before = model.state_dict()
    images = np.random.default_rng(0).random((2, 1, 6, 6)).astype(np.float32)
    results = randomisation_check(model, lambda m, x: saliency(m, x), images)
    assert [name for name, _ in results] == ["3", "0"]  # from the output down
    assert all(corr.shape == (2,) and np.all(np.abs(corr) <= 1) for _, corr in results)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    unchanged = randomisation_check(model, lambda m, x: x[:, 0], images)  # ignores the model entirely
    assert all(np.allclose(corr, 1.0) for _, corr in unchanged)
