"""The numba kernels agree with their twins on the reading path, and the switch between the paths behaves.

im2col copies values and max-pooling picks them, so both agree exactly with the reading path's
(minidl/ops/im2col.py, minidl/ops/pooling.py); col2im adds overlapping windows in another order, so
it agrees to rounding. The kernels refuse every array they were not compiled for.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

from minidl.autograd import Context
from minidl.kernels import im2col_numba, kernel_backend, pooling_numba, set_kernel_backend, use_kernels
from minidl.kernels.pooling import MaxPooling2d as FastMaxPooling2d
from minidl.ops import im2col as reading
from minidl.ops.pooling import MaxPooling2d
from minidl.ops.window import Window, framed_shape

pytestmark = pytest.mark.kernels

pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))
dtypes = st.sampled_from([np.float32, np.float64])
EDGES = [-np.inf, -1.0, 0.0, 1.0, 2.0, np.inf, np.nan]  # few values: ties are common; ±∞ and NaN test the rules


def fast_im2col(x: np.ndarray, window: Window) -> np.ndarray:
    cols = np.full(reading.im2col(x, window).shape, np.nan, x.dtype)
    assert im2col_numba.im2col(x, window, cols) is cols
    return cols


def fast_col2im(cols: np.ndarray, x_shape: tuple, window: Window) -> np.ndarray:
    return im2col_numba.col2im(
        cols, x_shape, window, np.zeros(framed_shape(x_shape, window.frame(*x_shape[2:])), cols.dtype)
    )


@st.composite
def conv_case(draw):
    window = Window(draw(pairs(1, 4)), draw(pairs(1, 3)), draw(pairs(0, 2)), draw(pairs(1, 3)), draw(st.booleans()))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + draw(pairs(1, 9))
    assume(min(window.output_size(*shape[2:])) >= 1)
    x = draw(hnp.arrays(draw(dtypes), shape, elements=st.floats(-4, 4, width=32)))
    return x, window


@given(case=conv_case())
def test_im2col_equals_the_reading_path_exactly(case):
    x, window = case
    cols = fast_im2col(x, window)
    assert cols.dtype == x.dtype
    np.testing.assert_array_equal(cols, reading.im2col(x, window))


@given(case=conv_case())
def test_im2col_puts_each_receptive_field_in_a_column(case):
    """cols[n, (c·kh + i)·kw + j, oy·OW + ox] = x_pad[n, c, oy·sh + i·dh, ox·sw + j·dw], written out
    as loops: the layout the convolution's products rely on, on both paths."""
    x, window = case
    top, bottom, left, right = window.frame(*x.shape[2:])
    x_pad = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (kh, kw), (sh, sw), (dh, dw) = window.kernel, window.stride, window.dilation
    out_h, out_w = window.output_size(*x.shape[2:])
    expected = np.empty((x.shape[0], x.shape[1] * kh * kw, out_h * out_w), x.dtype)
    for n, c, i, j, oy, ox in np.ndindex(x.shape[0], x.shape[1], kh, kw, out_h, out_w):
        expected[n, (c * kh + i) * kw + j, oy * out_w + ox] = x_pad[n, c, oy * sh + i * dh, ox * sw + j * dw]
    for cols in (reading.im2col(x, window), fast_im2col(x, window)):
        np.testing.assert_array_equal(cols, expected)


@given(case=conv_case(), data=st.data())
def test_col2im_equals_the_reading_path(case, data):
    x, window = case
    cols = data.draw(hnp.arrays(x.dtype, reading.im2col(x, window).shape, elements=st.floats(-4, 4, width=32)))
    fast = fast_col2im(cols, x.shape, window)
    assert fast.dtype == x.dtype and fast.shape == x.shape
    tolerance = 1e-5 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fast, reading.col2im(cols, x.shape, window), rtol=tolerance, atol=tolerance)


@given(case=conv_case(), data=st.data())
def test_col2im_is_the_adjoint_of_im2col(case, data):
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c: what makes col2im the right backward."""
    x, window = case
    x = x.astype(np.float64)
    cols = data.draw(hnp.arrays(np.float64, reading.im2col(x, window).shape, elements=st.floats(-4, 4)))
    for im2col, col2im in ((reading.im2col, reading.col2im), (fast_im2col, fast_col2im)):
        np.testing.assert_allclose(
            np.sum(im2col(x, window) * cols), np.sum(x * col2im(cols, x.shape, window)), rtol=1e-10, atol=1e-10
        )


@given(case=conv_case(), data=st.data())
def test_col2im_adds_to_what_its_frame_holds(case, data):
    """The fast path's backward hands col2im slices of one framed array per batch: it must add to
    them, not overwrite them, and return the input's part of that array (a view)."""
    x, window = case
    cols = data.draw(hnp.arrays(x.dtype, reading.im2col(x, window).shape, elements=st.floats(-4, 4, width=32)))
    framed = np.ones(framed_shape(x.shape, window.frame(*x.shape[2:])), x.dtype)
    summed = im2col_numba.col2im(cols, x.shape, window, framed)
    assert summed.shape == x.shape and np.shares_memory(summed, framed)
    tolerance = 1e-5 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(summed, reading.col2im(cols, x.shape, window) + 1, rtol=tolerance, atol=tolerance)


@st.composite
def pool_case(draw, elements=st.floats(-4, 4, width=32)):
    kernel = draw(pairs(1, 4))
    window = Window(
        kernel,
        draw(pairs(1, 3)),
        draw(st.tuples(st.integers(0, kernel[0] // 2), st.integers(0, kernel[1] // 2))),
        ceil_mode=draw(st.booleans()),
    )
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + draw(pairs(1, 9))
    assume(min(window.output_size(*shape[2:])) >= 1)
    x = draw(hnp.arrays(draw(dtypes), shape, elements=elements))
    return x, window


def max_pool(function: type, x: np.ndarray, window: Window, grad: np.ndarray | None = None) -> tuple:
    """(out, ∂L/∂x) of `function` (the reading path's MaxPooling2d or its twin) under the gradient grad."""
    ctx = Context((True,))
    out = function.forward(ctx, x, window=window)
    return out, function.backward(ctx, np.ones_like(out) if grad is None else grad)


@given(case=pool_case(elements=st.sampled_from(EDGES)), data=st.data())
def test_max_pool_equals_the_reading_path_with_ties_infinities_and_nans(case, data):
    """Integer-valued gradients, so that the sums of overlapping windows are exact in any order."""
    x, window = case
    grad = data.draw(hnp.arrays(x.dtype, window.output_size(*x.shape[2:]), elements=st.integers(-4, 4)))
    grad = np.broadcast_to(grad, (*x.shape[:2], *grad.shape)).copy()
    out, grad_x = max_pool(FastMaxPooling2d, x, window, grad)
    expected_out, expected_grad_x = max_pool(MaxPooling2d, x, window, grad)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(grad_x, expected_grad_x)


def test_max_pool_gives_the_gradient_to_the_first_maximum_or_to_no_one_in_the_frame():
    for function in (MaxPooling2d, FastMaxPooling2d):
        out, grad_x = max_pool(function, np.array([[[[3.0, 3.0], [1.0, 3.0]]]]), Window((2, 2), (2, 2)))
        assert out[0, 0, 0, 0] == 3.0 and grad_x.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]  # the first of three
        # All −∞ with a frame of 1: the top-left window's first tap is a frame cell, which keeps the
        # win (its gradient goes nowhere); the bottom-right window's first tap is the pixel (0, 0).
        _, grad_x = max_pool(function, np.full((1, 1, 2, 2), -np.inf), Window((3, 3), (1, 1), (1, 1)))
        assert grad_x.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]], function


@given(data=st.data(), size=pairs(1, 9), dtype=dtypes, general=st.booleans())
def test_max_pool_values_are_the_forward_maxima_without_the_winners(data, size, dtype, general):
    """The no-gradient forward (2×2 windows moved by 2 have a kernel of their own, as with winners):
    the same maxima as the reading path, ties, ±∞ and NaN included."""
    window = Window((3, 2), (2, 1), (1, 0)) if general else Window((2, 2), (2, 2))
    assume(min(window.output_size(*size)) >= 1)
    x = data.draw(hnp.arrays(dtype, (2, 3) + size, elements=st.sampled_from(EDGES)))
    expected = MaxPooling2d.forward(Context((True,)), x, window=window)
    for values in (
        pooling_numba.max_pool_values(x, window),
        FastMaxPooling2d.forward(Context((False,)), x, window=window),
    ):
        assert values.dtype == x.dtype
        np.testing.assert_array_equal(values, expected)


def test_kernels_accept_non_contiguous_input_and_never_change_it():
    x = np.arange(2 * 3 * 6 * 8, dtype=np.float64).reshape(2, 3, 6, 8)[:, :, ::2, ::-1]
    before = x.copy()
    window = Window((2, 2), (1, 1), (1, 1))
    out, _ = max_pool(FastMaxPooling2d, x, Window((2, 2), (2, 2)))
    np.testing.assert_array_equal(out, max_pool(MaxPooling2d, x, Window((2, 2), (2, 2)))[0])
    np.testing.assert_array_equal(fast_im2col(np.ascontiguousarray(x), window), reading.im2col(x, window))
    np.testing.assert_array_equal(x, before)


window = Window((2, 3), (1, 2), (1, 0))
x_shape = (2, 3, 5, 6)  # cols (2, 3·2·3, 6·2) = (2, 18, 12); framed input (2, 3, 7, 6)


def test_the_refusal_tests_window_makes_the_shapes_they_expect():
    """The shapes in the messages below follow from these sizes."""
    assert window.output_size(*x_shape[2:]) == (6, 2) and window.frame(*x_shape[2:]) == (1, 1, 0, 0)


def read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def im2col_into(cols: object, x: np.ndarray | None = None) -> np.ndarray:
    return im2col_numba.im2col(np.ones(x_shape) if x is None else x, window, cols)


def col2im_into(x_pad: object, cols: np.ndarray | None = None, shape: tuple = x_shape, at: Window = window):
    return im2col_numba.col2im(np.ones((2, 18, 12)) if cols is None else cols, shape, at, x_pad)


def pool_backward(winner: np.ndarray, grad_shape: tuple = (1, 1, 2, 2), x_shape: tuple = (1, 1, 4, 4)):
    return pooling_numba.max_pool_backward(np.ones(grad_shape), winner, x_shape)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: im2col_into(np.empty((2, 18, 11))), ValueError, ["(2, 18, 11)", "expected (2, 18, 12)"]),
        (lambda: im2col_into(np.empty((2, 18, 12), np.float32)), TypeError, ["C-contiguous float64", "float32"]),
        (lambda: im2col_into(np.empty((12, 18, 2)).T), TypeError, ["C-contiguous float64"]),
        (lambda: im2col_into(np.empty((4, 18, 12))[::2]), TypeError, ["C-contiguous"]),
        (lambda: im2col_into(read_only(np.empty((2, 18, 12)))), TypeError, ["writeable"]),
        (lambda: im2col_into(np.empty((2, 18, 12)), np.ones(x_shape[1:])), ValueError, ["x of shape (3, 5, 6)"]),
        (lambda: im2col_into(np.empty((2, 18, 12)), np.ones(x_shape)[..., ::2]), TypeError, ["x must be"]),
        (lambda: col2im_into(np.zeros(x_shape)), ValueError, ["x_pad of shape (2, 3, 5, 6)", "(2, 3, 7, 6)"]),
        (lambda: col2im_into(np.zeros((2, 3, 7, 6), np.float32)), TypeError, ["C-contiguous float64", "float32"]),
        (lambda: col2im_into(read_only(np.zeros((2, 3, 7, 6)))), TypeError, ["writeable"]),
        (
            lambda: col2im_into(np.zeros((1, 1, 4, 4)), np.ones((1, 5, 9)), (1, 1, 4, 4), Window((2, 2), (1, 1))),
            ValueError,
            ["(1, 5, 9)", "expected (1, 4, 9)"],
        ),
        (
            lambda: pooling_numba.max_pool_forward(np.ones((1, 4, 4)), Window((2, 2), (2, 2))),
            TypeError,
            ["max_pool2d", "4 axes", "(1, 4, 4)"],
        ),
        (
            lambda: pooling_numba.max_pool_forward(np.ones((1, 1, 4, 4), np.int32), Window((2, 2), (2, 2))),
            TypeError,
            ["float32 or float64", "int32"],
        ),
        (lambda: pooling_numba.max_pool_values([[[[1.0]]]], Window((1, 1), (1, 1))), TypeError, ["max_pool2d", "list"]),
        (lambda: pool_backward(np.zeros((1, 1, 2, 2), np.int32)), TypeError, ["int64", "int32"]),
        (lambda: pool_backward(np.zeros((1, 1, 2, 3), np.int64)), ValueError, ["(1, 1, 2, 2)", "(1, 1, 2, 3)"]),
        (
            lambda: pool_backward(np.zeros((1, 2, 2, 2), np.int64), grad_shape=(1, 2, 2, 2)),
            ValueError,
            ["winners", "(1, 2, 2, 2)", "(1, 1, None, None)"],
        ),
    ],
)
def test_kernels_refuse_arrays_they_were_not_written_for(call, error, words):
    """The kernels trust the fast path's Functions for what the arrays hold (the public functions check
    the user's input), but a numba kernel must never see an array it was not compiled for: it would
    write past its end or through the wrong strides."""
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value), f"{word!r} missing from: {caught.value}"


@given(data=st.data(), size=pairs(2, 9), dtype=dtypes)
def test_the_unrolled_2x2_max_pool_agrees_with_the_general_kernel(data, size, dtype):
    """LeNet's and the U-Net's pooling (2×2, stride 2, no padding) has its own numba kernel."""
    x = data.draw(hnp.arrays(dtype, (2, 3) + size, elements=st.sampled_from(EDGES)))
    window = Window((2, 2), (2, 2))
    out, winner = pooling_numba.max_pool_forward(x, window)
    general = np.empty((6, size[0] // 2, size[1] // 2), dtype), np.empty((6, size[0] // 2, size[1] // 2), np.int64)
    pooling_numba.max_pool_kernel(2, 2, 2, 2)(x.reshape(6, *size), *general, 0, 0, *size)
    np.testing.assert_array_equal(out.reshape(general[0].shape), general[0])
    np.testing.assert_array_equal(winner.reshape(general[1].shape), general[1])


@pytest.mark.parametrize("shape, kernel", [((1, 1, 4, 4), (5, 5)), ((1, 1, 10, 4), (1, 5)), ((2, 1, 4, 10), (5, 1))])
def test_a_window_larger_than_the_input_gives_empty_matrices_on_both_paths(shape, kernel):
    """No output pixel (OH or OW = 0): im2col is (N, C·kh·kw, 0) and col2im gives zeros (the numba
    kernels once divided by OW)."""
    window = Window(kernel, (1, 1))
    for cols in (reading.im2col(np.ones(shape), window), fast_im2col(np.ones(shape), window)):
        assert cols.shape == (shape[0], kernel[0] * kernel[1], 0)
    empty = np.ones((shape[0], kernel[0] * kernel[1], 0))
    for grad_x in (reading.col2im(empty, shape, window), fast_col2im(empty, shape, window)):
        np.testing.assert_array_equal(grad_x, np.zeros(shape))


def test_use_kernels_restores_the_backend_even_after_an_error():
    start = kernel_backend()
    with pytest.raises(RuntimeError):
        with use_kernels("numpy"):
            assert kernel_backend() == "numpy"
            raise RuntimeError("boom")
    assert kernel_backend() == start
    with pytest.raises(ValueError, match="'numba', 'numpy'.*'cuda'"):
        set_kernel_backend("cuda")
    with pytest.raises(ValueError, match="'fortran'"):
        with use_kernels("fortran"):
            pass
    assert kernel_backend() == start


@pytest.mark.parametrize("value, expected", [("numpy", "numpy"), (" NUMBA ", "numba")])
def test_environment_variable_chooses_the_backend(value, expected):
    probe = "import minidl.kernels as k; print(k.kernel_backend())"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "MINIDL_KERNELS": value},
        check=True,
    )
    assert done.stdout.strip() == expected


def test_unknown_environment_value_fails_on_import_with_the_choices():
    done = subprocess.run(
        [sys.executable, "-c", "import minidl.functional"],
        capture_output=True,
        text=True,
        env={**os.environ, "MINIDL_KERNELS": "gpu"},
    )
    assert done.returncode != 0
    assert "MINIDL_KERNELS" in done.stderr and "'gpu'" in done.stderr and "'numpy'" in done.stderr
