"""Max-pooling with numba: the same maxima and gradients as the reading path's (minidl/ops/pooling.py),
without building the window matrix. The forward pass keeps, for each output, `winner`: the flat
index y·W + x of the winning input pixel in its (H, W) plane, or −1 when a frame cell won (only
possible if the whole window is −∞); the backward pass adds each output's gradient at its winner.
The rule is np.argmax's, as on the reading path: the first maximal tap in row-major window order
wins a tie, and the first NaN wins over everything. Each call runs on its caller's thread without
the GIL. The fast path's MaxPooling2d calls these with C-contiguous float arrays (arrays.py).
"""

from __future__ import annotations

import functools
from typing import Callable

import numba
import numpy as np

from minidl.kernels.arrays import kernel_array, require_layout
from minidl.ops.window import Window, pad_spatial


@numba.njit(cache=True, inline="always")
def window_argmax(planes: np.ndarray, plane: int, top: int, left: int, kh: int, kw: int) -> tuple[float, int]:
    """(best, tap): the maximum of the kh×kw window at (top, left) of planes[plane] and its tap i·kw + j.

    The rule of np.argmax: the first maximal tap in row-major order wins a tie, and the first NaN
    wins over everything (a NaN input gives a NaN output and its gradient, as in PyTorch)."""
    best, best_tap, saw_nan = planes[plane, top, left], 0, False
    for i in range(kh):
        for j in range(kw):
            value = planes[plane, top + i, left + j]
            # Move on only for a strictly greater value; a select, not a branch: random data would mispredict it.
            move = value > best
            best = value if move else best
            best_tap = i * kw + j if move else best_tap
            saw_nan |= value != value
    if saw_nan:  # rare, so found by a second look, from the last tap back to the first NaN
        for tap in range(kh * kw - 1, -1, -1):
            value = planes[plane, top + tap // kw, left + tap % kw]
            if value != value:
                best, best_tap = value, tap
    return best, best_tap


@functools.cache
def max_pool_kernel(kh: int, kw: int, sh: int, sw: int) -> Callable[..., None]:
    """The max-pool forward for kh×kw windows moved by (sh, sw), with these compiled in as constants (one
    kernel per window, made on first use and cached on disk), so that numba unrolls the window loop."""

    @numba.njit(cache=True, nogil=True)
    def max_pool_forward_into(
        x_pad: np.ndarray, out: np.ndarray, winner: np.ndarray, top: int, left: int, height: int, width: int
    ) -> None:
        """out = window_argmax's maximum of each window of the −∞-framed planes x_pad (planes, H', W')
        whose input starts at row `top`, column `left` and is height×width; winner = flat index
        y·width + x of the winning input pixel, −1 if the winner is a frame cell."""
        for plane in range(x_pad.shape[0]):
            for oy in range(out.shape[1]):
                for ox in range(out.shape[2]):
                    best, tap = window_argmax(x_pad, plane, oy * sh, ox * sw, kh, kw)
                    y, x = oy * sh + tap // kw - top, ox * sw + tap % kw - left
                    out[plane, oy, ox] = best
                    winner[plane, oy, ox] = y * width + x if 0 <= y < height and 0 <= x < width else -1

    return max_pool_forward_into


ONE, TWO = np.uint64(1), np.uint64(2)


@numba.njit(cache=True, inline="always")
def _max_of_window(source: np.ndarray, k: np.uint64, columns: np.uint64, width: int) -> tuple[float, int, bool]:
    """(best, where, saw_nan) for the 2×2 window whose top-left value is source[k], rows `columns`
    apart: window_argmax's rule over its values in row-major order, as selects, where = the winner's
    offset from the top-left pixel in a plane of `width` columns. A NaN is not handled here (every
    comparison with it fails): the callers redo its row when saw_nan."""
    v0, v1, v2, v3 = source[k], source[k + ONE], source[k + columns], source[k + columns + ONE]
    best, where = v0, 0
    move = v1 > best
    best, where = (v1, 1) if move else (best, where)
    move = v2 > best
    best, where = (v2, width) if move else (best, where)
    move = v3 > best
    best, where = (v3, width + 1) if move else (best, where)
    return best, where, (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)


@numba.njit(cache=True, nogil=True)
def _max_pool_2x2_into(x: np.ndarray, out: np.ndarray, winner: np.ndarray) -> None:
    """The common case — 2×2 windows, stride 2, no frame — without the frame's bookkeeping (the
    benchmarks show it pays over max_pool_kernel(2, 2, 2, 2)): along each
    output row, the four values of each window by flat unsigned indices (so that the row runs in
    vector lanes, see im2col_numba.py), and a row with a NaN done again by window_argmax."""
    planes, height, width = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    source, best_of, winner_of, columns = x.ravel(), out.ravel(), winner.ravel(), np.uint64(width)
    for plane in range(planes):
        for oy in range(out_h):
            top, at = np.uint64((plane * height + 2 * oy) * width), np.uint64((plane * out_h + oy) * out_w)
            saw_nan = False
            for ox in range(np.uint64(out_w)):
                best, where, nan = _max_of_window(source, top + TWO * ox, columns, width)
                saw_nan |= nan
                best_of[at + ox] = best
                winner_of[at + ox] = 2 * (oy * width + np.int64(ox)) + where
            if saw_nan:  # rare
                for ox in range(out_w):
                    best, tap = window_argmax(x, plane, 2 * oy, 2 * ox, 2, 2)
                    out[plane, oy, ox] = best
                    winner[plane, oy, ox] = (2 * oy + tap // 2) * width + 2 * ox + tap % 2


@numba.njit(cache=True, nogil=True)
def _max_pool_2x2_values_into(x: np.ndarray, out: np.ndarray) -> None:
    """_max_pool_2x2_into's maxima without the winners, for a forward pass no gradient will follow:
    the winners' index arithmetic and int64 stores make that kernel slower, and one kernel for both
    with a flag for the winners measured slower than this one."""
    planes, height, width = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    source, best_of, columns = x.ravel(), out.ravel(), np.uint64(width)
    for plane in range(planes):
        for oy in range(out_h):
            top, at = np.uint64((plane * height + 2 * oy) * width), np.uint64((plane * out_h + oy) * out_w)
            saw_nan = False
            for ox in range(np.uint64(out_w)):
                best, _, nan = _max_of_window(source, top + TWO * ox, columns, width)
                saw_nan |= nan
                best_of[at + ox] = best
            if saw_nan:  # rare
                for ox in range(out_w):
                    out[plane, oy, ox] = window_argmax(x, plane, 2 * oy, 2 * ox, 2, 2)[0]


@numba.njit(cache=True, nogil=True)
def _max_pool_backward_into(grad: np.ndarray, winner: np.ndarray, grad_x: np.ndarray) -> None:
    """grad_x (planes, H·W), zeros on entry, += grad (planes, OH·OW) at each output's winner."""
    for plane in range(grad.shape[0]):
        for k in range(grad.shape[1]):
            at = winner[plane, k]
            if at >= 0:
                grad_x[plane, at] += grad[plane, k]


def max_pool_forward(x: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(out, winner), both (N, C, OH, OW): the window maxima of x (N, C, H, W) and where they were."""
    x = kernel_array("max_pool2d", x, 4)
    n, c, h, w = x.shape
    out_h, out_w = window.output_size(h, w)
    out, winner = np.empty((n * c, out_h, out_w), dtype=x.dtype), np.empty((n * c, out_h, out_w), dtype=np.int64)
    if window == Window((2, 2), (2, 2)):
        _max_pool_2x2_into(x.reshape(n * c, h, w), out, winner)
    else:
        frame = window.frame(h, w)
        x_pad = pad_spatial(x, frame, value=-np.inf)
        kernel = max_pool_kernel(*window.kernel, *window.stride)
        kernel(x_pad.reshape(n * c, *x_pad.shape[2:]), out, winner, frame[0], frame[2], h, w)
    return out.reshape(n, c, out_h, out_w), winner.reshape(n, c, out_h, out_w)


def max_pool_values(x: np.ndarray, window: Window) -> np.ndarray:
    """max_pool_forward's out alone (N, C, OH, OW): a kernel without the winners for 2×2 windows moved by 2
    (LeNet's and the U-Net's), the full forward with its winners dropped for any other window."""
    if window != Window((2, 2), (2, 2)):
        return max_pool_forward(x, window)[0]
    x = kernel_array("max_pool2d", x, 4)
    n, c, h, w = x.shape
    out = np.empty((n * c, h // 2, w // 2), dtype=x.dtype)
    _max_pool_2x2_values_into(x.reshape(n * c, h, w), out)
    return out.reshape(n, c, h // 2, w // 2)


def max_pool_backward(grad: np.ndarray, winner: np.ndarray, x_shape: tuple[int, int, int, int]) -> np.ndarray:
    """∂L/∂x (x_shape) from ∂L/∂out (N, C, OH, OW): each output's gradient added at its winner, which
    max_pool_forward gave for an input of x_shape."""
    require_layout("max_pool2d", "winners", winner, (*x_shape[:2], None, None), np.dtype(np.int64))
    grad = kernel_array("max_pool2d", grad, 4)
    require_layout("max_pool2d", "gradients", grad, winner.shape, grad.dtype)
    planes = x_shape[0] * x_shape[1]
    grad_x = np.zeros((planes, x_shape[2] * x_shape[3]), dtype=grad.dtype)
    outputs = grad.shape[2] * grad.shape[3]
    _max_pool_backward_into(grad.reshape(planes, outputs), winner.reshape(planes, outputs), grad_x)
    return grad_x.reshape(x_shape)
