"""im2col and col2im with numba: the same matrices as the reading path's (minidl/ops/im2col.py), in
one pass over memory.

Lay the zero-padded input (framed size H'×W') and cols (N, C·kh·kw, OH·OW) out flat. Row (c, i, j)
of image n's matrix is a shifted, strided copy of plane (n, c): for every output row oy,

    cols[n, (c·kh + i)·kw + j, oy·OW + ox] = x_pad[n, c, oy·sh + i·dh, ox·sw + j·dw],  ox = 0 … OW−1,

a run of OW values read sw apart and written one after the other. im2col copies these runs, col2im
adds them back. The indices are unsigned: numba then knows that none is negative, drops the
wrap-around check it makes for signed ones, and turns each run into vector loads and stores.

Each call runs on its caller's thread without the GIL, so that minidl's workers run at once
(workers.py). The fast path's Functions call these with C-contiguous float arrays (arrays.py).
"""

from __future__ import annotations

import numba
import numpy as np

from minidl.kernels.arrays import require_layout
from minidl.ops.window import Window, crop_spatial, framed_shape, pad_spatial


@numba.njit(cache=True, inline="always")
def _run_starts(
    plane: int,
    row: int,
    oy: int,
    i: int,
    j: int,
    height: int,
    width: int,
    sh: int,
    dh: int,
    dw: int,
    out_size: int,
    out_w: int,
) -> tuple[np.uint64, np.uint64]:
    """Flat indices where run (plane n·C + c, cols row n·C·kh·kw + (c·kh + i)·kw + j, output row oy)
    starts: in x_pad (planes of height×width) and in cols (rows of out_size = OH·OW values)."""
    source = (plane * height + oy * sh + i * dh) * width + j * dw
    return np.uint64(source), np.uint64(row * out_size + oy * out_w)


@numba.njit(cache=True, nogil=True)
def _gather(
    x_pad: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int, out_h: int, out_w: int, cols: np.ndarray
) -> None:
    images, channels, height, width = x_pad.shape
    source_flat, target_flat, step = x_pad.ravel(), cols.ravel(), np.uint64(sw)
    for plane in range(images * channels):
        for i in range(kh):
            for j in range(kw):
                row = (plane * kh + i) * kw + j
                for oy in range(out_h):
                    source, target = _run_starts(plane, row, oy, i, j, height, width, sh, dh, dw, out_h * out_w, out_w)
                    for ox in range(np.uint64(out_w)):
                        target_flat[target + ox] = source_flat[source + ox * step]


@numba.njit(cache=True, nogil=True)
def _scatter_add(
    cols: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int, out_h: int, out_w: int, x_pad: np.ndarray
) -> None:
    images, channels, height, width = x_pad.shape
    source_flat, target_flat, step = cols.ravel(), x_pad.ravel(), np.uint64(sw)
    for plane in range(images * channels):
        for i in range(kh):
            for j in range(kw):
                row = (plane * kh + i) * kw + j
                for oy in range(out_h):
                    x_start, cols_start = _run_starts(
                        plane, row, oy, i, j, height, width, sh, dh, dw, out_h * out_w, out_w
                    )
                    for ox in range(np.uint64(out_w)):
                        target_flat[x_start + ox * step] += source_flat[cols_start + ox]


def _geometry(window: Window, height: int, width: int) -> tuple[int, ...]:
    """The window on an input of height×width as the kernels take it: kh, kw, sh, sw, dh, dw, OH, OW."""
    return (*window.kernel, *window.stride, *window.dilation, *window.output_size(height, width))


def _cols_shape(x_shape: tuple[int, int, int, int], window: Window) -> tuple[int, int, int]:
    n, c, h, w = x_shape
    out_h, out_w = window.output_size(h, w)
    return n, c * window.kernel[0] * window.kernel[1], out_h * out_w


def im2col(x: np.ndarray, window: Window, cols: np.ndarray) -> np.ndarray:
    """Receptive fields of x (N, C, H, W), zero-padded, written into cols (N, C·kh·kw, OH·OW), returned."""
    require_layout("im2col", "x", x, (None,) * 4)
    require_layout("im2col", "cols", cols, _cols_shape(x.shape, window), x.dtype, writes=True)
    x_pad = pad_spatial(x, window.frame(*x.shape[2:]))
    _gather(x_pad, *_geometry(window, *x.shape[2:]), cols)
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], window: Window, x_pad: np.ndarray) -> np.ndarray:
    """The adjoint of im2col: columns of cols (N, C·kh·kw, OH·OW) added into x_pad, the input of
    x_shape in its frame (window.frame); returns the input's part of x_pad."""
    require_layout("col2im", "cols", cols, _cols_shape(x_shape, window))
    require_layout("col2im", "x_pad", x_pad, framed_shape(x_shape, window.frame(*x_shape[2:])), cols.dtype, writes=True)
    _scatter_add(cols, *_geometry(window, *x_shape[2:]), x_pad)
    return crop_spatial(x_pad, window.frame(*x_shape[2:]))
