"""2-D pooling. Max-pooling: out[n, c, y, x] = max of the kh×kw window of x at (y·s − p, x·s − p), with
−∞ padding (so padding never wins). The gradient flows only to the entry that won each window:
the first maximal one in row-major window order when several tie (as np.argmax picks).
The loops live in minidl.kernels (pooling_numpy.py teaches them, pooling_numba.py runs them).
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels import Window, col2im, im2col, max_pool_backward, max_pool_forward


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> np.ndarray:
        out, winner = max_pool_forward(x, Window(kernel, stride, padding))
        ctx.save_for_backward(winner, x.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        winner, x_shape = ctx.saved
        return max_pool_backward(grad, winner, x_shape)


class AvgPool2d(Function):
    """Average over kh×kw windows, zero padding counted in the average (PyTorch's default,
    count_include_pad=True): out = mean of each row of im2col(x); each input pixel receives
    1/(kh·kw) of the gradient of every window it belongs to, which is col2im of that share."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> np.ndarray:
        n, c, h, w = x.shape
        window = Window(kernel, stride, padding)
        out_h, out_w = window.output_size(h, w)
        taps = kernel[0] * kernel[1]
        means = im2col(x, window).reshape(n, out_h, out_w, c, taps).mean(axis=4)
        ctx.save_for_backward(x.shape, window)
        return np.ascontiguousarray(means.transpose(0, 3, 1, 2))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        x_shape, window = ctx.saved
        taps = window.kernel[0] * window.kernel[1]
        share = np.repeat(grad.transpose(0, 2, 3, 1)[..., np.newaxis] / taps, taps, axis=4)
        return col2im(share.reshape(-1, x_shape[1] * taps), x_shape, window)
