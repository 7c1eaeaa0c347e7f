"""The same numbers on any number of workers: the fast path cuts a batch into pieces by the batch alone
and adds their sums in one order, and holds BLAS to one thread, so that neither the workers nor BLAS's
own threads decide a rounding. Results are compared bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import minidl
import minidl.functional as F
from minidl.kernels import conv2d_path, pieces, seam, use_workers
from minidl.models import LeNet5, UNet
from minidl.optim import SGD, Adam

pytestmark = pytest.mark.kernels


def conv2d_step(x: np.ndarray, w: np.ndarray, b: np.ndarray, upstream: np.ndarray, padding: int) -> list[np.ndarray]:
    """out, dx, dW and db of one conv2d under the gradient `upstream`."""
    tensors = [minidl.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*tensors, padding=padding)
    (out * minidl.tensor(upstream)).sum().backward()
    return [out.data] + [t.grad for t in tensors]


@pytest.mark.parametrize(
    "path, x_shape, w_shape, padding, limits",
    [
        ("im2col", (9, 6, 10, 10), (8, 6, 5, 5), 2, {}),
        ("im2col", (9, 6, 10, 10), (8, 6, 5, 5), 2, dict(KEEP_COLS_BYTES=0, PIECE_COLS_BYTES=2 * 150 * 100 * 4)),
        ("winograd", (9, 16, 12, 40), (8, 16, 3, 3), 1, {}),
        ("direct", (9, 1, 28, 28), (6, 1, 5, 5), 2, {}),
    ],
    ids=["im2col", "im2col, cols rebuilt", "winograd", "direct"],
)
def test_each_convolution_path_gives_the_same_bits_on_one_two_and_three_workers(
    monkeypatch, path, x_shape, w_shape, padding, limits
):
    """Nine images cut into five pieces (more pieces than workers, and not a multiple of them)."""
    monkeypatch.setattr(pieces, "PIECE_MULTIPLY_ADDS", 1)
    monkeypatch.setattr(pieces, "MAX_PIECES", 5)
    monkeypatch.setattr(seam, "WINOGRAD_MIN_CHANNELS_BY_WIDTH", ((32, 16),))
    for name, value in limits.items():
        monkeypatch.setattr(pieces, name, value)
    assert conv2d_path(x_shape, w_shape, padding=padding)[0] == path
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in (x_shape, w_shape, w_shape[:1])]
    out_shape = (
        x_shape[0],
        w_shape[0],
        x_shape[2] + 2 * padding - w_shape[2] + 1,
        x_shape[3] + 2 * padding - w_shape[3] + 1,
    )
    upstream = rng.standard_normal(out_shape).astype(np.float32)
    results = {}
    for count in (1, 2, 3):
        with use_workers(count):
            results[count] = conv2d_step(*arrays, upstream, padding)
    for count in (2, 3):
        for name, one, many in zip(("out", "dx", "dW", "db"), results[1], results[count]):
            np.testing.assert_array_equal(many, one, err_msg=f"{name} with {count} workers")


def lenet_after_steps(steps: int, workers: int, blas_threads: int) -> dict[str, np.ndarray]:
    """LeNet-5's weights after `steps` SGD steps (momentum 0.9) on batches of 64 random digits."""
    minidl.manual_seed(0)
    model = LeNet5()
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(1)
    with use_workers(workers), threadpool_limits(blas_threads, user_api="blas"):
        for _ in range(steps):
            x = minidl.tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
            optimizer.zero_grad()
            F.cross_entropy(model(x), rng.integers(0, 10, 64)).backward()
            optimizer.step()
    return {name: value.copy() for name, value in model.state_dict().items()}


def test_twenty_lenet5_steps_give_the_same_weights_on_one_and_two_workers():
    """The issue's case: with BLAS held to one thread (one worker) and left at two (two workers), LeNet-5
    drifted apart within ten steps. Also two workers beside a user's BLAS limit of one thread."""
    one = lenet_after_steps(20, workers=1, blas_threads=1)
    for workers, blas_threads in ((2, 2), (2, 1), (1, 2)):
        other = lenet_after_steps(20, workers, blas_threads)
        for name in one:
            np.testing.assert_array_equal(
                other[name], one[name], err_msg=f"{name}: {workers} workers, BLAS {blas_threads}"
            )


def test_a_unet_trains_to_the_same_bits_on_one_and_two_workers():
    """The segmentation workshop's network, its 3×3 layers on Winograd's path and im2col's, its
    up-convolutions and pooling: three Adam steps on 16 phantoms of 32×32."""
    from minidl.datasets import make_phantoms

    images, masks = make_phantoms(16, 32, seed=0)
    weights = {}
    for workers in (1, 2):
        minidl.manual_seed(0)
        model = UNet(base_channels=8, depth=2)
        optimizer = Adam(model.parameters(), lr=1e-3)
        with use_workers(workers):
            for _ in range(3):
                optimizer.zero_grad()
                logits = model(minidl.tensor(images))
                F.binary_cross_entropy_with_logits(logits, minidl.tensor(masks[:, None].astype(np.float32))).backward()
                optimizer.step()
        weights[workers] = model.state_dict()
    for name, value in weights[1].items():
        np.testing.assert_array_equal(weights[2][name], value, err_msg=name)


def test_a_dense_layer_gives_the_same_bits_whatever_blas_may_use():
    """OpenBLAS splits this float64 product along its sums on two threads (measured: x @ W.T of (64, 400)
    by (400, 120) rounds differently with one BLAS thread and with two); the fast path holds BLAS to one."""
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((64, 400)), rng.standard_normal((120, 400)), rng.standard_normal(120)
    results = []
    for blas_threads in (1, 2):
        with threadpool_limits(blas_threads, user_api="blas"):
            tensors = [minidl.tensor(a, requires_grad=True) for a in (x, w, b)]
            out = F.linear(*tensors)
            (out * out).sum().backward()
            results.append([out.data] + [t.grad for t in tensors])
    for name, one, two in zip(("out", "dx", "dW", "db"), *results):
        np.testing.assert_array_equal(two, one, err_msg=name)


def test_the_explanations_fits_give_the_same_bits_whatever_blas_may_use():
    """LIME's weighted ridge, Kernel SHAP's least squares and a CAV's logistic regression, unheld,
    rounded differently on one BLAS thread and on two (measured: the ridge's coefficients by up to
    8e-17 for 1000 samples of 256 superpixels), and BLAS's count itself depended on the workers: the
    crew keeps BLAS at one thread for a second after a convolution."""
    from minidl.xai.concepts import logistic_regression
    from minidl.xai.kernel_shap import KernelShapExplainer
    from minidl.xai.lime import weighted_ridge

    rng = np.random.default_rng(0)
    coalitions = rng.integers(0, 2, (1000, 256))
    scores, weights = rng.random(1000), rng.random(1000)
    activations, labels = rng.standard_normal((600, 400)), rng.integers(0, 2, 600).astype(np.float64)
    results = []
    for blas_threads in (1, 2):
        with threadpool_limits(blas_threads, user_api="blas"):
            results.append(
                [
                    weighted_ridge(coalitions, scores, weights)[0],
                    KernelShapExplainer.fit(coalitions, scores, weights, 0.1, 0.9),
                    logistic_regression(activations, labels, iterations=50)[0],
                ]
            )
    for name, one, two in zip(("LIME's ridge", "Kernel SHAP", "CAV"), *results):
        np.testing.assert_array_equal(two, one, err_msg=name)
