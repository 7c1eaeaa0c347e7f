"""im2col and col2im with numba: the same matrices as im2col_numpy.py, one pass over memory.

Lay the zero-padded input out flat. The window of output pixel (n, oy, ox) has its top-left corner
at flat index corner = n·C·H·W + oy·sh·W + ox·sw, and its tap (c, i, j) sits a fixed distance
further, offset = c·H·W + i·dh·W + j·dw (H, W the padded sizes). So

    cols[row, k] = x_flat[corner[row] + offset[k]]

an outer sum of two short index vectors: im2col is a gather through it, col2im the matching
scatter-add. (x_flat[corner[:, None] + offset] is the same thing in NumPy; the kernels avoid
building that index matrix, as large as cols itself.)

Single-threaded, like all minidl kernels (see minidl/kernels/__init__.py). Only
minidl.kernels.dispatch calls these, after checking shapes, dtypes and that the window fits.
"""
from __future__ import annotations

import functools

import numba
import numpy as np

from minidl.kernels.geometry import Window
from minidl.kernels.padding import crop_spatial, pad_spatial, symmetric_frame


@functools.lru_cache(maxsize=64)
def window_indices(padded_shape: tuple[int, int, int, int], window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(corner, offset): corner per row of cols in (n, oy, ox) order, offset per column in (c, i, j) order.

    Cached (read-only arrays): a training loop asks for the same few shapes at every step."""
    n, channels, height, width = padded_shape
    (kh, kw), (sh, sw), (dh, dw) = window.kernel, window.stride, window.dilation
    out_h, out_w = window._replace(padding=(0, 0)).output_size(height, width)  # the shape is padded already
    image, oy, ox = np.meshgrid(np.arange(n), np.arange(out_h), np.arange(out_w), indexing="ij")
    corner = image * channels * height * width + oy * sh * width + ox * sw
    c, i, j = np.meshgrid(np.arange(channels), np.arange(kh), np.arange(kw), indexing="ij")
    offset = c * height * width + i * dh * width + j * dw
    indices = corner.ravel().astype(np.int64), offset.ravel().astype(np.int64)
    for array in indices:
        array.flags.writeable = False
    return indices


@numba.njit(cache=True)
def _gather(flat: np.ndarray, corner: np.ndarray, offset: np.ndarray, cols: np.ndarray) -> None:
    for row in range(corner.size):
        for k in range(offset.size):
            cols[row, k] = flat[corner[row] + offset[k]]


@numba.njit(cache=True)
def _scatter_add(cols: np.ndarray, corner: np.ndarray, offset: np.ndarray, flat: np.ndarray) -> None:
    for row in range(corner.size):
        for k in range(offset.size):
            flat[corner[row] + offset[k]] += cols[row, k]


def im2col(x: np.ndarray, window: Window) -> np.ndarray:
    """Receptive fields of x (N, C, H, W), zero-padded, as a matrix (N·OH·OW, C·kh·kw)."""
    x_pad = np.ascontiguousarray(pad_spatial(x, symmetric_frame(window.padding)))
    corner, offset = window_indices(x_pad.shape, window)
    cols = np.empty((corner.size, offset.size), dtype=x.dtype)
    _gather(x_pad.ravel(), corner, offset, cols)
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], window: Window) -> np.ndarray:
    """The adjoint of im2col: rows of cols (N·OH·OW, C·kh·kw) summed back into shape x_shape."""
    n, c, h, w = x_shape
    ph, pw = window.padding
    x_pad = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    _scatter_add(cols, *window_indices(x_pad.shape, window), x_pad.ravel())
    return crop_spatial(x_pad, symmetric_frame(window.padding))
