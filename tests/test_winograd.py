"""Winograd's F(2×2, 3×3) path of conv2d (minidl/kernels/winograd.py): the same sums as the direct
convolution, its gradients by finite differences, its NumPy twin (winograd_numpy.py) giving the same
numbers, its float32 rounding bounded, and conv2d taking it exactly where it should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minidl
import minidl.functional as F
from minidl.kernels import pieces, seam, use_workers, winograd
from minidl.kernels.winograd import WinogradConvolution, WinogradConvolution2d
from minidl.kernels.winograd_numpy import winograd_backward, winograd_forward
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
def every_size(monkeypatch):
    """conv2d takes the Winograd path for any 3×3 stride-1 convolution, however small."""
    monkeypatch.setattr(seam, "WINOGRAD_MIN_CHANNELS_BY_WIDTH", ((1, 1),))


def function_of(out: minidl.Tensor) -> type:
    """The Function that made `out` (recorded when an input requires a gradient)."""
    return out._node.function


@given(
    data=st.data(),
    n=st.integers(0, 4),
    channels=st.integers(1, 3),
    filters=st.integers(1, 3),
    size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    bias=st.booleans(),
    group_bytes=st.sampled_from([1, 1 << 20]),
    workers=st.integers(1, 2),
)
def test_winograd_matches_the_naive_loop_and_gradcheck(
    data, n, channels, filters, size, padding, bias, group_bytes, workers
):
    """Odd and even output sizes (a cut last tile), paddings 0-2 on each side, empty batches, one
    image per group or all of a piece's, one worker or two: the same numbers as the loop, in float64,
    and as the NumPy twin."""
    assume(all(size[a] + 2 * padding[a] >= 3 for a in (0, 1)))
    x = leaf(data.draw(values((n, channels, *size))))
    w = leaf(data.draw(values((filters, channels, 3, 3))))
    b = leaf(data.draw(values((filters,)))) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    with pytest.MonkeyPatch.context() as patch, use_workers(workers):
        patch.setattr(seam, "WINOGRAD_MIN_CHANNELS_BY_WIDTH", ((1, 1),))
        patch.setattr(pieces, "PIECE_MULTIPLY_ADDS", 1)  # a piece per image: two workers share them
        patch.setattr(winograd, "GROUP_BYTES", group_bytes)
        out = F.conv2d(*inputs, padding=padding)
        assert function_of(out) is WinogradConvolution2d
        expected = naive_conv2d(x.data, w.data, None if b is None else b.data, (1, 1), padding, (1, 1), 1)
        np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
        twin = winograd_forward(x.data, w.data, np.zeros(filters) if b is None else b.data, padding)
        np.testing.assert_allclose(twin, expected, rtol=1e-10, atol=1e-10)
        if n:
            assert minidl.gradcheck(lambda *t: F.conv2d(*t, padding=padding), inputs)


def test_winograd_gradients_equal_the_reading_path(every_size):
    """On a layer of the segmentation workshop's size, every gradient (x, w, b) agrees with the reading
    path's to float64 rounding, including the bias's, which the Winograd path sums while its gradient
    passes by."""
    rng = np.random.default_rng(0)
    arrays = rng.standard_normal((6, 5, 17, 12)), rng.standard_normal((7, 5, 3, 3)), rng.standard_normal(7)
    upstream = rng.standard_normal((6, 7, 17, 12))
    assert_gradients_equal_the_reading_path("winograd", arrays, upstream, padding=1)


@given(
    data=st.data(),
    n=st.integers(1, 3),
    channels=st.integers(1, 3),
    filters=st.integers(1, 3),
    size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
)
def test_the_numpy_twin_gives_the_numba_paths_gradients(data, n, channels, filters, size, padding):
    """winograd_numpy.py's backward pass, the transforms' adjoints as small matrices, against the
    numba path's (dx, dW, db) under a random upstream gradient."""
    assume(all(size[a] + 2 * padding[a] >= 3 for a in (0, 1)))
    x, w, b = (
        leaf(data.draw(values(shape))) for shape in ((n, channels, *size), (filters, channels, 3, 3), (filters,))
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seam, "WINOGRAD_MIN_CHANNELS_BY_WIDTH", ((1, 1),))
        patch.setattr(pieces, "PIECE_MULTIPLY_ADDS", 1)  # a piece per image: two workers share them
        out = F.conv2d(x, w, b, padding=padding)
    assert function_of(out) is WinogradConvolution2d
    upstream = data.draw(values(out.shape))
    (out * minidl.Tensor(upstream)).sum().backward()
    for name, mine, twin in zip(
        ("dx", "dW", "db"), (x.grad, w.grad, b.grad), winograd_backward(x.data, w.data, upstream, padding)
    ):
        np.testing.assert_allclose(twin, mine, rtol=1e-10, atol=1e-10, err_msg=name)


def test_winograd_by_hand(every_size):
    """Ones convolved with a 3×3 filter of ones, padded by one: each output counts the input pixels of
    its window (4 in a corner, 6 on an edge, 9 inside); each input pixel's gradient counts the outputs
    that read it, and the filter's gradient the pixels each tap reads (the 5×5 image less a row or a
    column per side it looks past)."""
    x = minidl.Tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
    w = minidl.Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    assert function_of(out) is WinogradConvolution2d
    edge = [4, 6, 6, 6, 4]
    np.testing.assert_allclose(out.data[0, 0], [edge, *([[6, 9, 9, 9, 6]] * 3), edge])
    out.sum().backward()
    np.testing.assert_allclose(x.grad[0, 0], [edge, *([[6, 9, 9, 9, 6]] * 3), edge])
    np.testing.assert_allclose(w.grad[0, 0], [[16, 20, 16], [20, 25, 20], [16, 20, 16]])


@pytest.mark.parametrize("shape", [(4, 16, 32, 32, 32), (2, 64, 16, 16, 64), (3, 3, 9, 7, 5)])
def test_winograd_float32_error_stays_within_a_few_roundings(every_size, shape):
    """Float32 through the transforms: every output, dx and dW within 8 ε₃₂ of the exact float64 value,
    measured against the sum of absolute terms that the value is made of (|w| ⋆ |x| for the output);
    the README's measurement found at most 1.9 ε₃₂, as im2col's path."""
    n, channels, height, width, filters = shape
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((n, channels, height, width)), rng.standard_normal((filters, channels, 3, 3))
    upstream = rng.standard_normal((n, filters, height, width))
    worst = worst_float32_errors(x, w, upstream, 1, "winograd")
    assert max(worst.values()) <= 8, f"in ε₃₂: {worst}"


SUITED_LAYER = layer(batch=1, channels=16, height=8, width=32, filters=4, kernel=3)


@pytest.mark.parametrize(
    "change, why",
    [
        *REFUSED_BY_EVERY_OWN_PATH,
        (dict(groups=2), "groups"),
        (dict(kernel=5), "a 5×5 window"),
        (dict(width=8), "an output narrower than 16 columns"),
        (dict(channels=8), "fewer than 16 channels at 32 columns"),
    ],
)
def test_conv2d_takes_winograd_only_where_it_suits(change, why):
    """The default rule: 3×3, stride 1, no dilation, one group, numba's kernels, and at least 16
    channels for 32 output columns (32 for 16 columns, 4 for 64); else im2col's path (the reading
    path under MINIDL_KERNELS=numpy)."""
    assert path_taken(SUITED_LAYER | change) in ("im2col", "reference"), why


def test_conv2d_takes_winograd_for_the_suited_layer():
    """The layer the cases above each change one thing of, also with float32 weights on float64
    input: the path computes in the dtype NumPy's promotion gives them together."""
    assert path_taken(SUITED_LAYER) == "winograd"
    assert path_taken(SUITED_LAYER | dict(weight_dtype=np.float32)) == "winograd"


def test_conv2d_takes_winograd_at_the_default_sizes():
    """Without the fixture: the CIFAR-sized layer of the benchmarks, a U-Net layer of 8 channels at
    64×64 and of 32 channels at 16×16 take it; the U-Net's 1-channel first layer and a layer of 16
    channels at 16×16 do not."""
    for shape, filters, expected in [
        ((2, 16, 32, 32), 32, "winograd"),
        ((2, 8, 64, 64), 8, "winograd"),
        ((2, 1, 64, 64), 8, "im2col"),
        ((2, 32, 16, 16), 32, "winograd"),
        ((2, 16, 16, 16), 16, "im2col"),
    ]:
        assert seam.conv2d_path(shape, (filters, shape[1], 3, 3), padding=1)[0] == expected, shape


def make(x: np.ndarray, w: np.ndarray, padding: int = 1, **window) -> WinogradConvolution:
    return made_as_conv2d_makes_it(WinogradConvolution, x, w, padding, **window)


def test_winograd_refuses_arrays_it_was_not_written_for():
    x, w = np.zeros((2, 3, 6, 6)), np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match="a 3×3 window of stride 1 and one group only"):
        make(x, np.zeros((4, 3, 5, 5)))
    with pytest.raises(ValueError, match="a 3×3 window of stride 1 and one group only"):
        make(x, w, stride=(2, 2))
    with pytest.raises(TypeError, match="float32 or float64"):
        make(x.astype(np.int64), w.astype(np.int64))
    assert_refuses_a_bias_or_gradient_of_another_shape(make(x, w))


def test_winograd_takes_a_broadcast_gradient_of_another_dtype(every_size):
    """The gradient of a sum arrives broadcast (zero strides), and may be float64 for float32 input:
    both are copied into what the kernels take, and dx keeps x's dtype."""
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6)).astype(np.float32)
    convolution = make(x, np.ones((4, 3, 3, 3), np.float32))
    convolution.forward(None)
    grad_x, grad_w, grad_b = convolution.backward(np.broadcast_to(1.0, (2, 4, 6, 6)), True, True)
    assert grad_x.dtype == grad_w.dtype == grad_b.dtype == np.float32
    np.testing.assert_allclose(grad_b, np.full(4, 72.0))


def test_winograd_takes_read_only_input():
    x = np.random.default_rng(3).standard_normal((2, 16, 32, 32)).astype(np.float32)
    assert_read_only_input_works(x, np.ones((8, 16, 3, 3), np.float32), 1, "winograd")
