"""Max-pooling in plain NumPy, through the same im2col windows as convolution.

Forward: pad with −∞ (padding never wins), lay every window out as a column, take the maximum and
remember where it was: `winner` holds, for each output, the flat index y·W + x of the winning
input pixel in its (H, W) plane, or −1 when a padding cell won (only possible if the whole window
is −∞). Ties go to the first maximal entry in row-major window order, and a NaN wins, as np.argmax
does. Backward: each output sends its gradient to its winner; winners shared by overlapping
windows add up. This is the reference the numba kernels (pooling_numba.py) must agree with.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.geometry import Window
from minidl.kernels.im2col_numpy import im2col
from minidl.kernels.padding import pad_spatial


def max_pool_forward(x: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(out, winner), both (N, C, OH, OW): the window maxima of x (N, C, H, W) and where they were."""
    n, c, h, w = x.shape
    kh, kw = window.kernel
    out_h, out_w = window.output_size(h, w)
    top, _, left, _ = frame = window.frame(h, w)
    x_pad = pad_spatial(x, frame, value=-np.inf)
    fields = im2col(x_pad, Window(window.kernel, window.stride)).reshape(n, c, kh * kw, out_h, out_w)
    tap = fields.argmax(axis=2)
    out = np.take_along_axis(fields, tap[:, :, np.newaxis], axis=2)[:, :, 0]
    # Tap (i, j) of output (oy, ox) reads row oy·sh − top + i, column ox·sw − left + j.
    sh, sw = window.stride
    rows = np.arange(out_h)[:, None] * sh - top + tap // kw
    columns = np.arange(out_w)[None, :] * sw - left + tap % kw
    inside = (rows >= 0) & (rows < h) & (columns >= 0) & (columns < w)
    winner = np.where(inside, rows * w + columns, -1)
    return out, winner


def max_pool_values(x: np.ndarray, window: Window) -> np.ndarray:
    """The window maxima alone (N, C, OH, OW), for a forward pass no gradient will follow."""
    return max_pool_forward(x, window)[0]


def max_pool_backward(grad: np.ndarray, winner: np.ndarray, x_shape: tuple[int, int, int, int]) -> np.ndarray:
    """∂L/∂x (x_shape) from ∂L/∂out (N, C, OH, OW): each output's gradient added at its winner."""
    n, c, h, w = x_shape
    planes = n * c
    grad_x = np.zeros((planes, h * w), dtype=grad.dtype)
    outputs = grad.shape[2] * grad.shape[3]
    winner = winner.reshape(planes, outputs)
    plane = np.broadcast_to(np.arange(planes)[:, None], winner.shape)
    won = winner >= 0
    np.add.at(grad_x, (plane[won], winner[won]), grad.reshape(planes, outputs)[won])
    return grad_x.reshape(x_shape)
