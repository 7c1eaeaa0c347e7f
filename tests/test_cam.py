"""Class Activation Mapping (Zhou et al. 2016): a case computed by hand, the identity that makes the
map part of the network (score = mean of the map + bias), Grad-CAM's map equal to CAM's up to the
positive constant 1/hw on a network that ends in global average pooling (Selvaraju et al. 2017,
§3.1), and the refusal of models that do not end that way."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minidl
from minidl import nn
from minidl.models import LeNet5GAP
from minidl.xai import CAM, GradCAM

pytestmark = pytest.mark.xai


def gap_network(in_channels, maps, classes, seed, dtype=np.float64):
    """conv 3×3 → ReLU → global average pooling → flatten → linear, weights drawn from `seed`."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        nn.Conv2d(in_channels, maps, 3, padding=1, dtype=dtype),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(maps, classes, dtype=dtype),
    )
    for parameter in model.parameters():
        parameter.data = rng.normal(size=parameter.shape).astype(dtype)
    return model


def test_cam_of_a_case_computed_by_hand():
    # A¹ = 2x, A² = x (a 1×1 convolution); class 0 weighs them 1 and 3, class 1 weighs them 0 and −1.
    model = nn.Sequential(
        nn.Conv2d(1, 2, 1, dtype=np.float64), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2, dtype=np.float64)
    )
    model[0].weight.data = np.array([2.0, 1.0]).reshape(2, 1, 1, 1)
    model[0].bias.data = np.zeros(2)
    model[3].weight.data = np.array([[1.0, 3.0], [0.0, -1.0]])
    model[3].bias.data = np.array([0.5, 0.0])
    x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    result = CAM(model, "0").explain(x)
    assert result.targets.tolist() == [0]  # scores 13 and −2.5
    np.testing.assert_allclose(result.scores, [[13.0, -2.5]])
    np.testing.assert_allclose(result.class_map, [[[5.0, 10.0], [15.0, 20.0]]])  # 1·2x + 3·x = 5x
    np.testing.assert_allclose(result.bias, [0.5])
    np.testing.assert_allclose(result.cam, [[[0.0, 1 / 3], [2 / 3, 1.0]]], atol=1e-7)  # (5x − 5) / 15
    against = CAM(model, "0").explain(x, target=1, contrast=0)  # weights (0 − 1, −1 − 3): M = −2x − 4x
    np.testing.assert_allclose(against.class_map, [[[-6.0, -12.0], [-18.0, -24.0]]])
    np.testing.assert_allclose(against.bias, [-0.5])
    np.testing.assert_allclose(against.raw, np.zeros((1, 2, 2)))  # no evidence for 1 over 0 anywhere


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    in_channels=st.integers(1, 2),
    maps=st.integers(1, 4),
    classes=st.integers(2, 4),
    height=st.integers(2, 6),
    width=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_grad_cam_is_cam_divided_by_the_number_of_positions(n, in_channels, maps, classes, height, width, seed):
    model = gap_network(in_channels, maps, classes, seed)
    x = np.random.default_rng(seed + 1).normal(size=(n, in_channels, height, width))
    cam = CAM(model, "1").explain(x)
    grad_cam = GradCAM(model, "1").explain(x)
    # Grad-CAM's α_k^c = w_k^c / hw, so its map before the ReLU, Σ_k α_k^c A^k, is M_c / hw
    before_relu = np.einsum("nk,nkhw->nhw", grad_cam.weights, grad_cam.activations)
    scale = max(np.abs(cam.class_map).max(), 1e-300)
    assert np.abs(before_relu * height * width - cam.class_map).max() <= 1e-12 * scale
    assert np.abs(grad_cam.raw * height * width - cam.raw).max() <= 1e-12 * scale  # and so after the ReLU
    # the map is the score: y_c = (1 / hw) Σ_ij M_c(i, j) + b_c, for the top class and against another
    rows = np.arange(n)
    np.testing.assert_allclose(cam.class_map.mean(axis=(1, 2)) + cam.bias, cam.scores[rows, cam.targets], atol=1e-12)
    against = CAM(model, "1").explain(x, target=0, contrast=1)
    np.testing.assert_allclose(
        against.class_map.mean(axis=(1, 2)) + against.bias, cam.scores[:, 0] - cam.scores[:, 1], atol=1e-12
    )


def test_lenet5_gap_keeps_the_identity_in_float32():
    minidl.manual_seed(0)
    model = LeNet5GAP()
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    result = CAM(model, LeNet5GAP.CAM_LAYER).explain(x, target=[0, 4, 9])
    assert result.activations.shape == (3, 32, 7, 7) and result.cam.shape == (3, 28, 28)
    explained = result.scores[np.arange(3), [0, 4, 9]]
    np.testing.assert_allclose(result.class_map.mean(axis=(1, 2)) + result.bias, explained, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"LeNet5GAP: expected images of shape \(N, C, 28, 28\), got \(1, 1, 32, 32\)"):
        model(minidl.tensor(np.zeros((1, 1, 32, 32), np.float32)))


def images(n=2, value=None):
    x = np.random.default_rng(0).normal(size=(n, 1, 5, 5))
    if value is not None:
        x[1, 0, 2, 3] = value
    return x


@pytest.mark.parametrize(
    "make_model, layer, call, words",
    [
        (
            lambda: gap_network(1, 3, 3, 0),
            "1",
            lambda cam: cam(images(value=np.nan)),
            ["CAM: 1 non-finite value(s) in the images, the first (nan) at sample 1, channel 0, row 2, column 3"],
        ),
        (
            lambda: gap_network(1, 3, 3, 0),
            "1",
            lambda cam: cam(images()[0]),
            ["CAM: expected images (N, C, H, W), got shape (1, 5, 5)", "x[None]"],
        ),
        (lambda: gap_network(1, 3, 3, 0), "1", lambda cam: cam(images(), target=3), ["[0, 2]", "got [3, 3]"]),
        (lambda: gap_network(1, 3, 3, 0), "1", lambda cam: cam(images(), target=[0]), ["2 sample(s) need 2 target(s)"]),
        (lambda: gap_network(1, 3, 3, 0), "1", lambda cam: cam(images(), target=1, contrast=1), ["same class"]),
        (lambda: gap_network(1, 3, 3, 0), "9", None, ["no layer named '9'"]),
        (
            # the convolution's maps, not the ReLU's: the pooling averages other numbers
            lambda: gap_network(1, 3, 3, 0),
            "0",
            lambda cam: cam(images()),
            ["other numbers than their spatial means", "'1' ReLU, '2' AdaptiveAvgPool2d, '3' Flatten"],
        ),
        (
            lambda: nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(75, 3)),
            "1",
            lambda cam: cam(images().astype(np.float32)),
            [
                "'3' to be the global average of the feature maps of layer '1' (2, 3, 5, 5): it is (2, 75)",
                "'2' Flatten",
            ],
        ),
        (
            lambda: nn.Sequential(
                nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(5), nn.Flatten(), nn.Linear(3, 3)
            ),
            "1",
            lambda cam: cam(images().astype(np.float32)),
            ["other numbers than their spatial means", "'2' MaxPool2d, '3' Flatten"],
        ),
        (
            lambda: nn.Sequential(gap_network(1, 3, 3, 0), nn.Softplus()),
            "0.1",
            lambda cam: cam(images()),
            ["ends in global average pooling and one Linear layer", "'0.4' Linear, '1' Softplus"],
        ),
        (
            lambda: gap_network(1, 3, 3, 0),
            "4",
            lambda cam: cam(images()),
            ["layer '4' (Linear) must output feature maps (N, K, h, w); it gave (2, 3)"],
        ),
    ],
)
def test_cam_refuses_what_it_cannot_explain(make_model, layer, call, words):
    with pytest.raises(ValueError) as caught:
        call(CAM(make_model(), layer))
    for word in words:
        assert word in str(caught.value)


def test_cam_refuses_non_finite_scores():
    model = gap_network(1, 3, 3, 0)
    model[4].bias.data[1] = np.inf
    with pytest.raises(ValueError, match=r"CAM: 2 non-finite value\(s\) in the model's scores, the first \(inf\)"):
        CAM(model, "1")(images())
