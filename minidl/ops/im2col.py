"""im2col and col2im: convolution as matrix products (Chellapilla et al. 2006; the column layout of
Caffe, Jia et al. 2014).

im2col copies every receptive field of an input (N, C, H, W), zero-padded, into a column of its
image's matrix: cols (N, C·kh·kw, OH·OW), column oy·OW + ox of image n holding the C·kh·kw inputs
that output pixel (oy, ox) sees,

    cols[n, (c·kh + i)·kw + j, oy·OW + ox] = x_pad[n, c, oy·sh + i·dh, ox·sw + j·dw].

A cross-correlation with weights W (O, C, kh, kw) is then one matrix product per image,
out[n] = W.reshape(O, C·kh·kw) @ cols[n], (O, OH·OW): the output already in NCHW order. col2im is
im2col's adjoint: it adds each column of a gradient of cols back onto the input positions it was
copied from (positions shared by overlapping windows add up).

Both loop over the kh·kw kernel taps only; each tap (i, j) reads or writes a strided slice of the
padded input, the pixels that every output position sees through that tap.
"""

from __future__ import annotations

import numpy as np

from minidl.ops.window import Window, crop_spatial, framed_shape, pad_spatial


def _tap_slices(i: int, j: int, out_h: int, out_w: int, window: Window) -> tuple[slice, slice]:
    """Rows and columns of the padded input that tap (i, j) meets, one per output pixel."""
    (sh, sw), (dh, dw) = window.stride, window.dilation
    top, left = i * dh, j * dw
    return slice(top, top + sh * (out_h - 1) + 1, sh), slice(left, left + sw * (out_w - 1) + 1, sw)


def im2col(x: np.ndarray, window: Window) -> np.ndarray:
    """Receptive fields of x (N, C, H, W) as matrices cols (N, C·kh·kw, OH·OW): row order (c, i, j),
    matching W.reshape(O, C·kh·kw); column order (oy, ox)."""
    n, c, h, w = x.shape
    kh, kw = window.kernel
    out_h, out_w = window.output_size(h, w)
    x_pad = pad_spatial(x, window.frame(h, w))
    fields = np.empty((n, c, kh, kw, out_h, out_w), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _tap_slices(i, j, out_h, out_w, window)
            fields[:, :, i, j] = x_pad[:, :, rows, columns]
    return fields.reshape(n, c * kh * kw, out_h * out_w)


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], window: Window) -> np.ndarray:
    """The adjoint of im2col: the columns of cols (N, C·kh·kw, OH·OW) summed back into an array of x_shape."""
    n, c, h, w = x_shape
    kh, kw = window.kernel
    out_h, out_w = window.output_size(h, w)
    frame = window.frame(h, w)
    x_pad = np.zeros(framed_shape(x_shape, frame), dtype=cols.dtype)
    fields = cols.reshape(n, c, kh, kw, out_h, out_w)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _tap_slices(i, j, out_h, out_w, window)
            x_pad[:, :, rows, columns] += fields[:, :, i, j]
    return crop_spatial(x_pad, frame)
