"""The direct path of conv2d for images of one to three channels (minidl/kernels/direct.py): the same
sums as the naive loop, its gradients by finite differences, its NumPy twin (direct_numpy.py) giving
the same numbers, its float32 rounding bounded, and conv2d taking it exactly where it should."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minidl
import minidl.functional as F
from minidl.kernels import pieces, seam, use_workers
from minidl.kernels.direct import DirectConvolution, DirectConvolution2d
from minidl.kernels.direct_numpy import direct_backward, direct_forward
from conv_paths import (
    assert_gradients_equal_the_reading_path,
    assert_refuses_a_bias_or_gradient_of_another_shape,
    made_as_conv2d_makes_it,
    assert_read_only_input_works,
    layer,
    path_taken,
    REFUSED_BY_EVERY_OWN_PATH,
    worst_float32_errors,
)
from naive_loops import naive_conv2d
from strategies import leaf, values

pytestmark = pytest.mark.nn


@pytest.fixture
def every_width(monkeypatch):
    """conv2d takes the direct path for a window of any width, however narrow."""
    monkeypatch.setattr(seam, "DIRECT_MIN_WINDOW_WIDTH", 1)


def function_of(out: minidl.Tensor) -> type:
    """The Function that made `out` (recorded when an input requires a gradient)."""
    return out._node.function


@given(
    data=st.data(),
    n=st.integers(0, 3),
    channels=st.integers(1, 3),
    filters=st.integers(1, 3),
    size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    bias=st.booleans(),
    workers=st.integers(1, 2),
    input_grad=st.booleans(),
)
def test_direct_matches_the_naive_loop_and_gradcheck(
    data, n, channels, filters, size, kernel, padding, bias, workers, input_grad
):
    """Windows of 1-4 rows and columns, square or not, paddings 0-2 on each side, empty batches, one
    worker or two, with or without the input's gradient: the same numbers as the loop, in float64,
    and as the NumPy twin, whose gradients are those of the numba path."""
    assume(all(size[a] + 2 * padding[a] >= kernel[a] for a in (0, 1)))
    x = leaf(data.draw(values((n, channels, *size))))
    x.requires_grad = input_grad
    w = leaf(data.draw(values((filters, channels, *kernel))))
    b = leaf(data.draw(values((filters,)))) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    with pytest.MonkeyPatch.context() as patch, use_workers(workers):
        patch.setattr(seam, "DIRECT_MIN_WINDOW_WIDTH", 1)
        patch.setattr(pieces, "PIECE_MULTIPLY_ADDS", 1)  # a piece per image: two workers share them
        out = F.conv2d(*inputs, padding=padding)
        assert function_of(out) is DirectConvolution2d
        expected = naive_conv2d(x.data, w.data, None if b is None else b.data, (1, 1), padding, (1, 1), 1)
        np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
        bias_values = np.zeros(filters) if b is None else b.data
        np.testing.assert_allclose(
            direct_forward(x.data, w.data, bias_values, padding), expected, rtol=1e-10, atol=1e-10
        )
        if n:
            upstream = data.draw(values(out.shape), label="upstream")
            (out * minidl.Tensor(upstream)).sum().backward()
            twin = direct_backward(x.data, w.data, upstream, padding)
            mine = (x.grad if input_grad else twin[0], w.grad, b.grad if bias else twin[2])
            for name, fast, plain in zip(("dx", "dW", "db"), mine, twin):
                np.testing.assert_allclose(fast, plain, rtol=1e-10, atol=1e-10, err_msg=name)
            assert minidl.gradcheck(lambda *t: F.conv2d(*t, padding=padding), inputs)


def test_direct_gradients_equal_the_reading_path():
    """On LeNet-5's first layer (5×5, padded by 2), every gradient (x, w, b) agrees with the reading
    path's to float64 rounding."""
    rng = np.random.default_rng(0)
    arrays = rng.standard_normal((5, 1, 28, 28)), rng.standard_normal((6, 1, 5, 5)), rng.standard_normal(6)
    upstream = rng.standard_normal((5, 6, 28, 28))
    assert_gradients_equal_the_reading_path("direct", arrays, upstream, padding=2)


def test_direct_by_hand(every_width):
    """Ones convolved with a 2×3 filter of ones, no padding, on a 3×4 image of ones: each output sums
    6 ones; each input pixel's gradient counts the outputs that read it (1 or 2 down, 1 or 2 across);
    each tap of the filter reads 2·2 = 4 pixels."""
    x = minidl.Tensor(np.ones((1, 1, 3, 4)), requires_grad=True)
    w = minidl.Tensor(np.ones((1, 1, 2, 3)), requires_grad=True)
    out = F.conv2d(x, w)
    assert function_of(out) is DirectConvolution2d
    np.testing.assert_array_equal(out.data[0, 0], [[6, 6], [6, 6]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]])
    np.testing.assert_array_equal(w.grad[0, 0], np.full((2, 3), 4.0))


@pytest.mark.parametrize("shape", [(8, 1, 28, 28, 6, 5), (4, 3, 32, 32, 16, 3), (3, 2, 9, 7, 5, 3)])
def test_direct_float32_error_stays_within_a_few_roundings(every_width, shape):
    """Float32 through the runs: every output, dx and dW within 8 ε₃₂ of the exact float64 value,
    measured against the sum of absolute terms that the value is made of (|w| ⋆ |x| for the output).
    The sums of dW run over a whole image per tap, as BLAS's over im2col's columns do."""
    n, channels, height, width, filters, k = shape
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((n, channels, height, width)), rng.standard_normal((filters, channels, k, k))
    upstream = rng.standard_normal((n, filters, height, width))
    worst = worst_float32_errors(x, w, upstream, k // 2, "direct")
    assert max(worst.values()) <= 8, f"in ε₃₂: {worst}"


SUITED_LAYER = layer(batch=2, channels=1, height=12, width=12, filters=6, kernel=5)


@pytest.mark.parametrize(
    "change, why",
    [
        *REFUSED_BY_EVERY_OWN_PATH,
        (dict(channels=4), "four input channels"),
        (dict(kernel=3), "a window narrower than 5 columns"),
        (dict(groups=2, channels=2, filters=4), "groups"),
    ],
)
def test_conv2d_takes_the_direct_path_only_where_it_suits(change, why):
    """The rule: at most DIRECT_MAX_CHANNELS (3) input channels, a window at least
    DIRECT_MIN_WINDOW_WIDTH (5) wide, stride 1, no dilation, one group, numba's kernels; else im2col's
    path (the reading path under MINIDL_KERNELS=numpy)."""
    assert path_taken(SUITED_LAYER | change) in ("im2col", "reference"), why


def test_conv2d_takes_the_direct_path_for_the_suited_layer():
    """The layer the cases above each change one thing of, also with float32 weights on float64 input."""
    assert path_taken(SUITED_LAYER) == "direct"
    assert path_taken(SUITED_LAYER | dict(weight_dtype=np.float32)) == "direct"


def test_conv2d_takes_the_direct_path_at_the_default_sizes():
    """Without patching: LeNet-5's first layer and a 5×5 layer on colour images take it; 3×3 layers
    on one or three channels (the U-Net's first) stay on im2col's path, one of 16 channels on Winograd's."""
    for shape, kernel, expected in [
        ((2, 1, 28, 28), (6, 1, 5, 5), "direct"),
        ((2, 3, 32, 32), (16, 3, 5, 5), "direct"),
        ((2, 3, 32, 32), (16, 3, 3, 3), "im2col"),
        ((2, 1, 64, 64), (8, 1, 3, 3), "im2col"),
        ((2, 16, 32, 32), (32, 16, 3, 3), "winograd"),
    ]:
        assert seam.conv2d_path(shape, kernel, padding=kernel[2] // 2)[0] == expected, shape


def make(x: np.ndarray, w: np.ndarray, padding: int = 1, **window) -> DirectConvolution:
    return made_as_conv2d_makes_it(DirectConvolution, x, w, padding, **window)


def test_direct_refuses_arrays_it_was_not_written_for():
    x, w = np.zeros((2, 1, 6, 6)), np.zeros((4, 1, 3, 3))
    with pytest.raises(ValueError, match="stride 1, no dilation and one group only"):
        make(x, w, dilation=(2, 2))
    with pytest.raises(TypeError, match="float32 or float64"):
        make(x.astype(np.int32), w.astype(np.int32))
    assert_refuses_a_bias_or_gradient_of_another_shape(make(x, w))


def test_direct_takes_a_broadcast_gradient_of_another_dtype(every_width):
    """The gradient of a sum arrives broadcast (zero strides), and may be float64 for float32 input:
    both are copied into what the kernels take, and dx keeps x's dtype."""
    x = np.random.default_rng(2).standard_normal((2, 1, 6, 6)).astype(np.float32)
    convolution = make(x, np.ones((4, 1, 3, 3), np.float32))
    convolution.forward(None)
    grad_x, grad_w, grad_b = convolution.backward(np.broadcast_to(1.0, (2, 4, 6, 6)), True, True)
    assert grad_x.dtype == grad_w.dtype == grad_b.dtype == np.float32
    np.testing.assert_allclose(grad_b, np.full(4, 72.0))
    np.testing.assert_allclose(grad_x[0, 0, 0], [16, 24, 24, 24, 24, 16])


def test_direct_takes_read_only_input():
    x = np.random.default_rng(3).standard_normal((2, 1, 9, 9)).astype(np.float32)
    assert_read_only_input_works(x, np.ones((3, 1, 5, 5), np.float32), 2, "direct")


def test_direct_kernels_load_from_the_disk_cache(tmp_path):
    """A second process compiles nothing: the kernels, one per window width, come from numba's cache
    (a kernel that captured another compiled function was saved again in every process, 1 s each)."""
    script = """
import numpy as np, minidl, minidl.functional as F
from minidl.kernels import direct_numba
for k in (5, 7):
    x = minidl.Tensor(np.ones((2, 1, 8, 8), np.float32), requires_grad=True)
    w = minidl.Tensor(np.ones((2, 1, k, k), np.float32), requires_grad=True)
    F.conv2d(x, w, padding=k // 2).sum().backward()
kernels = [direct_numba.forward_kernel(k) for k in (5, 7)] + [direct_numba.input_grad_kernel(k) for k in (5, 7)]
kernels += [direct_numba.weight_grad, direct_numba._add_row]
print(sum(sum(kernel.stats.cache_misses.values()) for kernel in kernels))
"""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[-1].stderr
    first, second = (int(run.stdout.split()[-1]) for run in runs)
    assert first > 0 and second == 0, f"cache misses: {first} in the first process, {second} in the second"
