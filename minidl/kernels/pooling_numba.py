"""Max-pooling with numba: the same (out, winner) and gradients as pooling_numpy.py, without
building the window matrix. Single-threaded, like all minidl kernels (see minidl/kernels/__init__.py).
Only minidl.kernels.dispatch calls these, after checking shapes, dtypes and winners.
"""
from __future__ import annotations

import numba
import numpy as np

from minidl.kernels.geometry import Window
from minidl.kernels.padding import pad_spatial, symmetric_frame


@numba.njit(cache=True)
def _max_pool_forward_into(x_pad: np.ndarray, out: np.ndarray, winner: np.ndarray, kh: int, kw: int,
                           sh: int, sw: int, ph: int, pw: int) -> None:
    """out = max of each window of the −∞-padded planes; winner = flat index y·W + x (unpadded) of
    its first maximal tap in row-major order (the first NaN, if any), −1 if that tap is padding."""
    planes, padded_height, padded_width = x_pad.shape
    height, width = padded_height - 2 * ph, padded_width - 2 * pw
    out_h, out_w = out.shape[1], out.shape[2]
    for plane in range(planes):
        for oy in range(out_h):
            for ox in range(out_w):
                top, left = oy * sh, ox * sw
                # As np.argmax: start at the first tap, move on only for a strictly greater value
                # (a select, not a branch: random data would mispredict it) ...
                best, best_tap, saw_nan = x_pad[plane, top, left], 0, False
                for i in range(kh):
                    for j in range(kw):
                        value = x_pad[plane, top + i, left + j]
                        move = value > best
                        best = value if move else best
                        best_tap = i * kw + j if move else best_tap
                        saw_nan |= value != value
                # ... except that the first NaN wins; rare, so found by a second look.
                if saw_nan:
                    for tap in range(kh * kw - 1, -1, -1):
                        value = x_pad[plane, top + tap // kw, left + tap % kw]
                        if value != value:
                            best, best_tap = value, tap
                y, x = top + best_tap // kw - ph, left + best_tap % kw - pw
                out[plane, oy, ox] = best
                winner[plane, oy, ox] = y * width + x if 0 <= y < height and 0 <= x < width else -1


@numba.njit(cache=True)
def _max_pool_2x2_into(x: np.ndarray, out: np.ndarray, winner: np.ndarray) -> None:
    """The common case — 2×2 windows, stride 2, no padding — unrolled: the same rules as above
    (first maximum in row-major order, the first NaN wins), about four times faster."""
    width = x.shape[2]
    for plane in range(x.shape[0]):
        for oy in range(out.shape[1]):
            top = 2 * oy
            for ox in range(out.shape[2]):
                left = 2 * ox
                best, best_tap = x[plane, top, left], 0
                saw_nan = best != best
                for tap in range(1, 4):
                    value = x[plane, top + tap // 2, left + tap % 2]
                    move = value > best
                    best = value if move else best
                    best_tap = tap if move else best_tap
                    saw_nan |= value != value
                if saw_nan:
                    for tap in range(3, -1, -1):
                        value = x[plane, top + tap // 2, left + tap % 2]
                        if value != value:
                            best, best_tap = value, tap
                out[plane, oy, ox] = best
                winner[plane, oy, ox] = (top + best_tap // 2) * width + left + best_tap % 2


@numba.njit(cache=True)
def _max_pool_backward_into(grad: np.ndarray, winner: np.ndarray, grad_x: np.ndarray) -> None:
    """grad_x (planes, H·W), zeros on entry, += grad (planes, OH·OW) at each output's winner."""
    for plane in range(grad.shape[0]):
        for k in range(grad.shape[1]):
            at = winner[plane, k]
            if at >= 0:
                grad_x[plane, at] += grad[plane, k]


def max_pool_forward(x: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(out, winner), both (N, C, OH, OW): the window maxima of x (N, C, H, W) and where they were."""
    n, c, h, w = x.shape
    out_h, out_w = window.output_size(h, w)
    out, winner = np.empty((n * c, out_h, out_w), dtype=x.dtype), np.empty((n * c, out_h, out_w), dtype=np.int64)
    if window == Window((2, 2), (2, 2)):
        _max_pool_2x2_into(np.ascontiguousarray(x).reshape(n * c, h, w), out, winner)
    else:
        x_pad = np.ascontiguousarray(pad_spatial(x, symmetric_frame(window.padding), value=-np.inf))
        kh, kw, sh, sw, ph, pw, _, _ = window.scalars()
        _max_pool_forward_into(x_pad.reshape(n * c, *x_pad.shape[2:]), out, winner, kh, kw, sh, sw, ph, pw)
    return out.reshape(n, c, out_h, out_w), winner.reshape(n, c, out_h, out_w)


def max_pool_backward(grad: np.ndarray, winner: np.ndarray, x_shape: tuple[int, int, int, int]) -> np.ndarray:
    """∂L/∂x (x_shape) from ∂L/∂out (N, C, OH, OW): each output's gradient added at its winner."""
    planes = x_shape[0] * x_shape[1]
    grad_x = np.zeros((planes, x_shape[2] * x_shape[3]), dtype=grad.dtype)
    _max_pool_backward_into(np.ascontiguousarray(grad).reshape(planes, -1),
                            np.ascontiguousarray(winner).reshape(planes, -1), grad_x)
    return grad_x.reshape(x_shape)
