"""The numba kernels agree with their NumPy twins, and the switch between them behaves.

im2col, max-pool forward and max-pool backward only copy or add values in the same order in both
backends, so they must agree exactly; col2im adds overlapping windows in a different order, so it
agrees to rounding.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

from minidl.kernels import (
    Window,
    col2im,
    im2col,
    kernel_backend,
    max_pool_backward,
    max_pool_forward,
    max_pool_values,
    set_kernel_backend,
    use_kernels,
)

pytestmark = pytest.mark.kernels

pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))
dtypes = st.sampled_from([np.float32, np.float64])


def both_backends(fn):
    """fn() under the NumPy twins, then under numba."""
    with use_kernels("numpy"):
        reference = fn()
    with use_kernels("numba"):
        fast = fn()
    return reference, fast


@st.composite
def conv_case(draw):
    window = Window(draw(pairs(1, 4)), draw(pairs(1, 3)), draw(pairs(0, 2)), draw(pairs(1, 3)), draw(st.booleans()))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + draw(pairs(1, 9))
    assume(min(window.output_size(*shape[2:])) >= 1)
    dtype = draw(dtypes)
    x = draw(hnp.arrays(dtype, shape, elements=st.floats(-4, 4, width=32)))
    return x, window


@given(case=conv_case())
def test_im2col_backends_agree_exactly(case):
    x, window = case
    reference, fast = both_backends(lambda: im2col(x, window))
    assert fast.dtype == x.dtype
    np.testing.assert_array_equal(fast, reference)


@given(case=conv_case())
def test_im2col_puts_each_receptive_field_in_a_column(case):
    """cols[n, (c·kh + i)·kw + j, oy·OW + ox] = x_pad[n, c, oy·sh + i·dh, ox·sw + j·dw], written out
    as loops: the layout the convolution's products rely on, in both backends."""
    x, window = case
    top, bottom, left, right = window.frame(*x.shape[2:])
    x_pad = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (kh, kw), (sh, sw), (dh, dw) = window.kernel, window.stride, window.dilation
    out_h, out_w = window.output_size(*x.shape[2:])
    expected = np.empty((x.shape[0], x.shape[1] * kh * kw, out_h * out_w), x.dtype)
    for n, c, i, j, oy, ox in np.ndindex(x.shape[0], x.shape[1], kh, kw, out_h, out_w):
        expected[n, (c * kh + i) * kw + j, oy * out_w + ox] = x_pad[n, c, oy * sh + i * dh, ox * sw + j * dw]
    for cols in both_backends(lambda: im2col(x, window)):
        np.testing.assert_array_equal(cols, expected)


@given(case=conv_case(), data=st.data())
def test_col2im_backends_agree(case, data):
    x, window = case
    shape = (
        x.shape[0],
        x.shape[1] * window.kernel[0] * window.kernel[1],
        int(np.prod(window.output_size(*x.shape[2:]))),
    )
    cols = data.draw(hnp.arrays(x.dtype, shape, elements=st.floats(-4, 4, width=32)))
    reference, fast = both_backends(lambda: col2im(cols, x.shape, window))
    assert fast.dtype == x.dtype and fast.shape == x.shape
    tolerance = 1e-5 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fast, reference, rtol=tolerance, atol=tolerance)


@given(case=conv_case(), data=st.data())
def test_col2im_is_the_adjoint_of_im2col(case, data):
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c: what makes col2im the right backward."""
    x, window = case
    x = x.astype(np.float64)
    cols = data.draw(hnp.arrays(np.float64, im2col(x, window).shape, elements=st.floats(-4, 4)))
    np.testing.assert_allclose(
        np.sum(im2col(x, window) * cols), np.sum(x * col2im(cols, x.shape, window)), rtol=1e-10, atol=1e-10
    )


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


# Few distinct values make ties common; ±inf and NaN test the argmax rules at the edges.
@given(case=pool_case(elements=st.sampled_from([-np.inf, -1.0, 0.0, 1.0, 2.0, np.inf, np.nan])), data=st.data())
def test_max_pool_backends_agree_exactly_with_ties_infinities_and_nans(case, data):
    x, window = case
    (out_ref, winner_ref), (out, winner) = both_backends(lambda: max_pool_forward(x, window))
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(winner, winner_ref)
    grad = data.draw(hnp.arrays(x.dtype, out.shape, elements=st.floats(-4, 4, width=32)))
    reference, fast = both_backends(lambda: max_pool_backward(grad, winner, x.shape))
    np.testing.assert_array_equal(fast, reference)


def test_max_pool_winner_is_the_first_maximum_or_padding():
    x = np.array([[[[3.0, 3.0], [1.0, 3.0]]]])
    for backend in ("numpy", "numba"):
        with use_kernels(backend):
            out, winner = max_pool_forward(x, Window((2, 2), (2, 2)))
            assert out[0, 0, 0, 0] == 3.0 and winner[0, 0, 0, 0] == 0  # first of three tied maxima
            _, winner = max_pool_forward(np.full((1, 1, 2, 2), -np.inf), Window((3, 3), (1, 1), (1, 1)))
            assert winner[0, 0, 0, 0] == -1  # all −∞: the first tap, a padding cell, keeps the win
            assert winner[0, 0, 1, 1] == 0  # here the first tap is the real pixel (0, 0)


def test_kernels_accept_non_contiguous_input_and_never_change_it():
    x = np.arange(2 * 3 * 6 * 8, dtype=np.float64).reshape(2, 3, 6, 8)[:, :, ::2, ::-1]
    before = x.copy()
    window = Window((2, 2), (1, 1), (1, 1))
    reference, fast = both_backends(lambda: im2col(x, window))
    np.testing.assert_array_equal(fast, reference)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: im2col(np.ones((2, 3, 4)), Window((2, 2), (1, 1))), TypeError, ["im2col", "4 axes", "(2, 3, 4)"]),
        (
            lambda: im2col(np.ones((1, 1, 4, 4), np.int32), Window((2, 2), (1, 1))),
            TypeError,
            ["float32 or float64", "int32"],
        ),
        (lambda: im2col([[[[1.0]]]], Window((1, 1), (1, 1))), TypeError, ["im2col", "list"]),
        (
            lambda: col2im(np.ones((1, 5, 9)), (1, 1, 4, 4), Window((2, 2), (1, 1))),
            ValueError,
            ["(1, 5, 9)", "expected (1, 4, 9)"],
        ),
        (
            lambda: col2im(np.ones((4, 9)), (1, 1, 4, 4), Window((2, 2), (1, 1))),
            TypeError,
            ["col2im", "3 axes", "(4, 9)"],
        ),
        (
            lambda: max_pool_forward(np.ones((1, 4, 4)), Window((2, 2), (2, 2))),
            TypeError,
            ["max_pool_forward", "(1, 4, 4)"],
        ),
        (
            lambda: max_pool_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int32), (1, 1, 4, 4)),
            TypeError,
            ["int64", "int32"],
        ),
        (
            lambda: max_pool_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 3), np.int64), (1, 1, 4, 4)),
            ValueError,
            ["(1, 1, 2, 3)", "(1, 1, 2, 2)"],
        ),
        (
            lambda: max_pool_backward(np.ones((1, 2, 2, 2)), np.zeros((1, 2, 2, 2), np.int64), (1, 1, 4, 4)),
            ValueError,
            ["(1, 2)", "(1, 1)"],
        ),
    ],
)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_kernels_reject_arrays_they_were_not_written_for(backend, call, error, words):
    """The kernels trust minidl's ops for what the arrays hold (the public functions check the user's
    input), but a numba kernel must never see an array it was not compiled for."""
    with use_kernels(backend), pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value), f"{word!r} missing from: {caught.value}"


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


@given(data=st.data(), size=pairs(2, 9), dtype=dtypes)
def test_the_unrolled_2x2_max_pool_agrees_with_the_general_rules(data, size, dtype):
    """LeNet's and the U-Net's pooling (2×2, stride 2, no padding) has its own numba kernel."""
    x = data.draw(
        hnp.arrays(dtype, (2, 3) + size, elements=st.sampled_from([-np.inf, -1.0, 0.0, 1.0, 2.0, np.inf, np.nan]))
    )
    window = Window((2, 2), (2, 2))
    (out_ref, winner_ref), (out, winner) = both_backends(lambda: max_pool_forward(x, window))
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(winner, winner_ref)


@given(data=st.data(), size=pairs(1, 9), dtype=dtypes, general=st.booleans())
def test_max_pool_values_are_the_forward_maxima_without_the_winners(data, size, dtype, general):
    """The no-gradient path (2×2 numba kernel of its own, any other window through the full forward):
    the same maxima as max_pool_forward, ties, ±inf and NaN included, in both backends."""
    window = Window((3, 2), (2, 1), (1, 0)) if general else Window((2, 2), (2, 2))
    assume(min(window.output_size(*size)) >= 1)
    x = data.draw(
        hnp.arrays(dtype, (2, 3) + size, elements=st.sampled_from([-np.inf, -1.0, 0.0, 1.0, 2.0, np.inf, np.nan]))
    )
    (expected, _), _ = both_backends(lambda: max_pool_forward(x, window))
    for values in both_backends(lambda: max_pool_values(x, window)):
        assert values.dtype == x.dtype
        np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize("shape, kernel", [((1, 1, 4, 4), (5, 5)), ((1, 1, 10, 4), (1, 5)), ((2, 1, 4, 10), (5, 1))])
def test_a_window_larger_than_the_input_gives_empty_matrices_in_both_backends(shape, kernel):
    """No output pixel (OH or OW = 0): im2col is (N, C·kh·kw, 0) and col2im gives zeros, in both backends
    (the numba kernels once divided by OW)."""
    window = Window(kernel, (1, 1))
    for cols in both_backends(lambda: im2col(np.ones(shape), window)):
        assert cols.shape == (shape[0], kernel[0] * kernel[1], 0)
    empty = np.ones((shape[0], kernel[0] * kernel[1], 0))
    for grad_x in both_backends(lambda: col2im(empty, shape, window)):
        np.testing.assert_array_equal(grad_x, np.zeros(shape))
