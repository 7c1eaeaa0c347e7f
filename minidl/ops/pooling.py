"""2-D max-pooling through the same im2col windows as convolution.

out[n, c, y, x] = max over the kh×kw window of x_pad[n, c] at (y·s, x·s), where x_pad is x padded
with −∞ (so padding never wins). The gradient flows only to the entry that won each window: the
first maximal one in row-major window order when several tie (as np.argmax picks).
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels.im2col import col2im, conv_output_size, im2col
from minidl.kernels.padding import crop_spatial, pad_spatial, symmetric_frame


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> np.ndarray:
        n, c = x.shape[:2]
        x_pad = pad_spatial(x, symmetric_frame(padding), value=-np.inf)
        window = kernel[0] * kernel[1]
        cols = im2col(x_pad, kernel, stride, (1, 1)).reshape(-1, c, window)  # (N·OH·OW, C, kh·kw)
        winner = cols.argmax(axis=2)
        out = np.take_along_axis(cols, winner[..., np.newaxis], axis=2)[..., 0]
        out_h = conv_output_size(x_pad.shape[2], kernel[0], stride[0], 0, 1)
        ctx.save_for_backward(winner, x_pad.shape, kernel, stride, padding)
        return out.reshape(n, out_h, -1, c).transpose(0, 3, 1, 2)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        winner, padded_shape, kernel, stride, padding = ctx.saved
        c = padded_shape[1]
        grad_cols = np.zeros(winner.shape + (kernel[0] * kernel[1],), dtype=grad.dtype)
        np.put_along_axis(grad_cols, winner[..., np.newaxis],
                          grad.transpose(0, 2, 3, 1).reshape(-1, c)[..., np.newaxis], axis=2)
        grad_padded = col2im(grad_cols.reshape(winner.shape[0], -1), padded_shape, kernel, stride, (1, 1))
        return crop_spatial(grad_padded, symmetric_frame(padding))
