"""Checks shared by the tests of conv2d's fast-path algorithms (test_winograd.py, test_direct.py): which
path conv2d takes for a layer, the same results as the reading path, how far float32 strays from the
exact sums, and read-only input."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl.kernels import conv2d_path, implementation, use_kernels
from minidl.ops.convolution import Convolution2d
from minidl.ops.window import Window

EPS32 = float(np.finfo(np.float32).eps)


def layer(**sizes: int) -> dict:
    """A layer for path_taken: `sizes` (batch, channels, height, width, filters, kernel), stride 1,
    no dilation, one group, float64 weights, numba's kernels."""
    return dict(stride=1, dilation=1, groups=1, weight_dtype=np.float64, backend="numba") | sizes


# Changes that send a layer back to im2col's path (or the reading path), whichever algorithm of its
# own it suited (each needs stride 1, no dilation and numba's kernels), with why.
REFUSED_BY_EVERY_OWN_PATH = [
    (dict(stride=2), "stride 2"),
    (dict(dilation=2), "dilation"),
    (dict(backend="numpy"), "the reading path alone"),
]


def made_as_conv2d_makes_it(algorithm: type, x: np.ndarray, w: np.ndarray, padding: int = 1, **window):
    """algorithm (WinogradConvolution, DirectConvolution) of x and w, as the fast path's conv2d makes
    it; `window` may give the stride, the dilation and the groups."""
    geometry = Window(w.shape[2:], window.get("stride", (1, 1)), (padding, padding), window.get("dilation", (1, 1)))
    return algorithm(x, w, geometry, window.get("groups", 1), np.result_type(x, w), keep=True)


def assert_refuses_a_bias_or_gradient_of_another_shape(convolution) -> None:
    """For a convolution of 2 images and 4 filters with a 6×6 output."""
    with pytest.raises(ValueError, match=r"bias of shape \(3,\) do not fit; expected \(4,\)"):
        convolution.forward(np.zeros(3))
    with pytest.raises(ValueError, match=r"gradients of shape \(2, 4, 5, 6\) do not fit; expected \(2, 4, 6, 6\)"):
        convolution.backward(np.zeros((2, 4, 5, 6)), True, True)


def path_taken(layer: dict) -> str:
    """The path conv2d takes for a layer of zeros, as conv2d_path names it, after checking that conv2d
    records that path's Function: `layer` gives the batch, channels, height, width, filters, (square)
    kernel, stride, dilation, groups, weight_dtype (x is float64) and the kernels' backend; the
    padding keeps an odd kernel's output size at stride 1."""
    x = np.zeros((layer["batch"], layer["channels"], layer["height"], layer["width"]))
    k = layer["kernel"]
    w = np.zeros((layer["filters"], layer["channels"] // layer["groups"], k, k), layer["weight_dtype"])
    geometry = dict(stride=layer["stride"], padding=k // 2 * layer["dilation"], dilation=layer["dilation"])
    with use_kernels(layer["backend"]):
        name, _ = conv2d_path(x.shape, w.shape, **geometry, groups=layer["groups"], dtype=np.result_type(x, w))
        out = F.conv2d(minidl.Tensor(x, requires_grad=True), minidl.Tensor(w), **geometry, groups=layer["groups"])
        assert out._node.function is implementation(Convolution2d, name)
    return name


def conv2d_and_gradients(x: np.ndarray, w: np.ndarray, upstream: np.ndarray, padding: int, path: str) -> tuple:
    """(out, dx, dW) of conv2d(x, w, padding) under the gradient `upstream`, in x's dtype, asserting
    that conv2d took `path` (conv2d_path's name)."""
    xt, wt = minidl.Tensor(x, requires_grad=True), minidl.Tensor(w.astype(x.dtype), requires_grad=True)
    out = F.conv2d(xt, wt, padding=padding)
    assert out._node.function is implementation(Convolution2d, path)
    (out * minidl.Tensor(upstream.astype(x.dtype))).sum().backward()
    return out.data, xt.grad, wt.grad


def worst_float32_errors(x: np.ndarray, w: np.ndarray, upstream: np.ndarray, padding: int, path: str) -> dict:
    """For out, dx and dW: the largest distance of the float32 result from the exact (float64) one, in
    ε₃₂, measured against the sum of absolute terms that each value is made of (|w| ⋆ |x| for out)."""
    single = conv2d_and_gradients(x.astype(np.float32), w, upstream, padding, path)
    exact = conv2d_and_gradients(x, w, upstream, padding, path)
    scales = conv2d_and_gradients(np.abs(x), np.abs(w), np.abs(upstream), padding, path)
    return {
        name: float(np.max(np.abs(low - high) / scale)) / EPS32
        for name, low, high, scale in zip(("out", "dx", "dW"), single, exact, scales)
    }


def assert_read_only_input_works(x: np.ndarray, w: np.ndarray, padding: int, path: str) -> None:
    """numba types a read-only array (writeable=False, as np.load's memory maps give) apart from a
    writeable one: the kernels only read x, so that it compiles and gives the same results."""
    frozen = x.copy()
    frozen.flags.writeable = False
    upstream = np.ones_like(F.conv2d(minidl.Tensor(x), minidl.Tensor(w), padding=padding).data)
    for mine, theirs in zip(*(conv2d_and_gradients(a, w, upstream, padding, path) for a in (x, frozen))):
        np.testing.assert_array_equal(mine, theirs)


def assert_gradients_equal_the_reading_path(path: str, arrays: tuple, upstream: np.ndarray, padding: int) -> None:
    """conv2d of arrays (x, w, b) on `path` and on the reading path (MINIDL_KERNELS=numpy): the output
    and every gradient agree to float64 rounding."""
    results = []
    for backend, expected in (("numba", path), ("numpy", "reference")):
        with use_kernels(backend):
            x, w, b = (minidl.Tensor(a, requires_grad=True) for a in arrays)
            out = F.conv2d(x, w, b, padding=padding)
            assert out._node.function is implementation(Convolution2d, expected)
            (out * minidl.Tensor(upstream)).sum().backward()
            results.append((out.data, x.grad, w.grad, b.grad))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-11)
