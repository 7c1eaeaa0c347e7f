"""2-D pooling over kh×kw windows moved by a stride, on an input framed by `padding` (and, with
ceil_mode, by as many extra rows and columns at the bottom and right as the last window needs).

Max-pooling: out[n, c, y, x] = the maximum of the window, with −∞ in the frame (so it never wins).
The gradient flows only to the entry that won each window: the first maximal one in row-major
window order when several tie, and the first NaN if there is one (as np.argmax picks).
The loops live in minidl.kernels (pooling_numpy.py teaches them, pooling_numba.py runs them).

Average pooling: out = (sum of the window) / count, with zeros in the frame; count is the number of
taps inside the padded input (count_include_pad=True, PyTorch's default) or inside the input itself
(False). Each input pixel receives grad / count of every window it belongs to: col2im of that share.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels import Window, col2im, im2col, max_pool_backward, max_pool_forward, max_pool_values


class MaxPooling2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, window: Window) -> np.ndarray:
        if not any(ctx.needs_input_grad):  # no backward pass will ask where the maxima were
            return max_pool_values(x, window)
        out, winner = max_pool_forward(x, window)
        ctx.save_for_backward(winner, x.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        winner, x_shape = ctx.saved
        return max_pool_backward(grad, winner, x_shape)


def window_counts(size: int, out_size: int, kernel: int, stride: int, padding: int, include_pad: bool) -> np.ndarray:
    """For each of the out_size windows along one axis, how many of its taps fall inside the input of
    `size` pixels (or inside the input and its padding, when include_pad)."""
    start = np.arange(out_size) * stride - padding  # first tap of each window, in input coordinates
    low, high = (-padding, size + padding) if include_pad else (0, size)
    return np.minimum(start + kernel, high) - np.maximum(start, low)


class AveragePooling2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, window: Window, count_include_pad: bool) -> np.ndarray:
        n, c, h, w = x.shape
        out_h, out_w = window.output_size(h, w)
        taps = window.kernel[0] * window.kernel[1]
        counts = np.outer(
            *(
                window_counts(size, out_size, k, s, p, count_include_pad)
                for size, out_size, k, s, p in zip((h, w), (out_h, out_w), window.kernel, window.stride, window.padding)
            )
        )
        sums = im2col(x, window).reshape(n, c, taps, out_h, out_w).sum(axis=2)
        ctx.save_for_backward(x.shape, window, counts)
        return sums / counts.astype(x.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        x_shape, window, counts = ctx.saved
        taps = window.kernel[0] * window.kernel[1]
        n, c, out_h, out_w = grad.shape
        share = (grad / counts.astype(grad.dtype)).reshape(n, c, 1, out_h * out_w)
        return col2im(np.repeat(share, taps, axis=2).reshape(n, c * taps, out_h * out_w), x_shape, window)
