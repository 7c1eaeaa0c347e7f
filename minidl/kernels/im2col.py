"""im2col and col2im: convolution as one matrix product (the idea of Chellapilla et al. 2006).

im2col copies every receptive field of a padded input (N, C, H, W) into a row of a matrix
cols (N·OH·OW, C·kh·kw); a cross-correlation with weights W (O, C, kh, kw) is then
    out = cols @ W.reshape(O, C·kh·kw)ᵀ,
one GEMM through NumPy's BLAS. col2im is its adjoint: it adds each row of a gradient of cols back
onto the input positions it was copied from (positions shared by overlapping windows add up).

Both loop over the kh·kw kernel offsets only; each offset (i, j) reads or writes a strided slice
of the input, the same pixels every output position sees through that kernel entry.
"""
from __future__ import annotations

import numpy as np


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """PyTorch's output size: ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _offset_slices(i: int, j: int, out_h: int, out_w: int, stride: tuple[int, int],
                   dilation: tuple[int, int]) -> tuple[slice, slice]:
    """Rows and columns of the padded input that kernel entry (i, j) meets, one per output pixel."""
    top, left = i * dilation[0], j * dilation[1]
    return (slice(top, top + stride[0] * (out_h - 1) + 1, stride[0]),
            slice(left, left + stride[1] * (out_w - 1) + 1, stride[1]))


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int]) -> np.ndarray:
    """Receptive fields of an already padded x (N, C, H, W) as a matrix (N·OH·OW, C·kh·kw).

    Column order is (c, i, j), matching W.reshape(O, C·kh·kw); row order is (n, oh, ow).
    """
    n, c, h, w = x.shape
    kh, kw = kernel
    out_h = conv_output_size(h, kh, stride[0], 0, dilation[0])
    out_w = conv_output_size(w, kw, stride[1], 0, dilation[1])
    cols = np.empty((n, out_h, out_w, c, kh, kw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slices(i, j, out_h, out_w, stride, dilation)
            cols[:, :, :, :, i, j] = x[:, :, rows, columns].transpose(0, 2, 3, 1)
    return cols.reshape(n * out_h * out_w, c * kh * kw)


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kernel: tuple[int, int],
           stride: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
    """The adjoint of im2col: sum the rows of cols (N·OH·OW, C·kh·kw) back into shape x_shape."""
    n, c, h, w = x_shape
    kh, kw = kernel
    out_h = conv_output_size(h, kh, stride[0], 0, dilation[0])
    out_w = conv_output_size(w, kw, stride[1], 0, dilation[1])
    fields = cols.reshape(n, out_h, out_w, c, kh, kw)
    x = np.zeros(x_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slices(i, j, out_h, out_w, stride, dilation)
            x[:, :, rows, columns] += fields[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return x
