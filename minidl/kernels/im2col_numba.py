"""im2col and col2im with numba: the same matrices as im2col_numpy.py, one pass over memory.

Lay the zero-padded input out flat. The window of output pixel (n, oy, ox) has its top-left corner
at flat index corner = n·C·H·W + oy·sh·W + ox·sw, and its kernel row (c, i) starts a fixed distance
further, row_offset = c·H·W + i·dh·W (H, W the padded sizes); along that row the kw taps follow
each other dw apart. So, with column k = (c·kh + i)·kw + j of cols,

    cols[row, k] = x_flat[corner[row] + row_offset[c·kh + i] + j·dw]

im2col is a gather through these two short index vectors, col2im the matching scatter-add.
(x_flat[corner[:, None] + offset] with one offset per column is the same thing in NumPy; the
kernels avoid building that index matrix, as large as cols itself.)

The run of a kernel row, kw taps dw apart, is compiled into each kernel as a constant (one pair
of kernels per (kw, dw), made on first use and cached on disk like the rest): numba then unrolls
the innermost loop, which a loop of run-time length over one offset per column cannot do.

Each call runs on its caller's thread without the GIL, so that minidl's workers run two at once
(see minidl/kernels/__init__.py). Only minidl.kernels.dispatch calls these, with C-contiguous float
arrays of the ranks they take.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import numba
import numpy as np

from minidl.kernels.geometry import Window
from minidl.kernels.padding import crop_spatial, framed_shape, pad_spatial


@functools.lru_cache(maxsize=64)
def window_indices(x_shape: tuple[int, int, int, int], window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(corner, row_offset) in the input x_shape framed by window.frame: corner per row of cols in
    (n, oy, ox) order, row_offset per kernel row in (c, i) order.

    Cached (read-only arrays): a training loop asks for the same few shapes at every step."""
    n, channels, height, width = x_shape
    (kh, _), (sh, sw), (dh, _) = window.kernel, window.stride, window.dilation
    out_h, out_w = window.output_size(height, width)
    height, width = framed_shape((height, width), window.frame(height, width))
    image, oy, ox = np.meshgrid(np.arange(n), np.arange(out_h), np.arange(out_w), indexing="ij")
    corner = image * channels * height * width + oy * sh * width + ox * sw
    c, i = np.meshgrid(np.arange(channels), np.arange(kh), indexing="ij")
    row_offset = c * height * width + i * dh * width
    indices = corner.ravel().astype(np.int64), row_offset.ravel().astype(np.int64)
    for array in indices:
        array.flags.writeable = False
    return indices


class RowKernels(NamedTuple):
    gather: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]
    scatter_add: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]


@functools.cache
def row_kernels(taps: int, spacing: int) -> RowKernels:
    """The gather and scatter-add for kernel rows of `taps` taps `spacing` apart (kw and dw)."""

    @numba.njit(cache=True, nogil=True)
    def gather(flat: np.ndarray, corner: np.ndarray, row_offset: np.ndarray, cols: np.ndarray) -> None:
        for row in range(corner.size):
            for r in range(row_offset.size):
                start = corner[row] + row_offset[r]
                for j in range(taps):
                    cols[row, r * taps + j] = flat[start + j * spacing]

    @numba.njit(cache=True, nogil=True)
    def scatter_add(cols: np.ndarray, corner: np.ndarray, row_offset: np.ndarray, flat: np.ndarray) -> None:
        for row in range(corner.size):
            for r in range(row_offset.size):
                start = corner[row] + row_offset[r]
                for j in range(taps):
                    flat[start + j * spacing] += cols[row, r * taps + j]

    return RowKernels(gather, scatter_add)


def _kernels_for(window: Window) -> RowKernels:
    return row_kernels(window.kernel[1], window.dilation[1])


def im2col(x: np.ndarray, window: Window, cols: np.ndarray) -> np.ndarray:
    """Receptive fields of x (N, C, H, W), zero-padded, written into cols (N·OH·OW, C·kh·kw), returned."""
    x_pad = np.ascontiguousarray(pad_spatial(x, window.frame(*x.shape[2:])))
    _kernels_for(window).gather(x_pad.ravel(), *window_indices(x.shape, window), cols)
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], window: Window, x_pad: np.ndarray) -> np.ndarray:
    """The adjoint of im2col: rows of cols (N·OH·OW, C·kh·kw) summed into x_pad, the input of x_shape
    in its frame (window.frame); returns the input's part of x_pad."""
    _kernels_for(window).scatter_add(cols, *window_indices(x_shape, window), x_pad.ravel())
    return crop_spatial(x_pad, window.frame(*x_shape[2:]))
