"""2-D pooling over kh×kw windows moved by a stride, on an input framed by `padding` (and, with
ceil_mode, by as many extra rows and columns at the bottom and right as the last window needs).
Both lay the windows out with im2col, one column per output pixel, and reduce each column.

Max-pooling: out[n, c, y, x] = the maximum of the window, with −∞ in the frame (so it never wins).
The gradient flows only to the entry that won each window: the first maximal one in row-major
window order when several tie, and the first NaN if there is one (as np.argmax picks); col2im adds
up the gradients of overlapping windows that share a winner.

Average pooling: out = (sum of the window) / count, with zeros in the frame; count is the number of
taps inside the padded input (count_include_pad=True, PyTorch's default) or inside the input itself
(False). Each input pixel receives grad / count of every window it belongs to: col2im of that share.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.im2col import col2im, im2col
from minidl.ops.window import Window, framed_shape, pad_spatial


def window_fields(x: np.ndarray, window: Window, frame_value: float) -> np.ndarray:
    """The windows of x (N, C, H, W) framed by `frame_value`, as (N, C, kh·kw, OH, OW): tap by output pixel."""
    n, c, h, w = x.shape
    frame = window.frame(h, w)
    unframed = Window(window.kernel, window.stride, dilation=window.dilation)  # the frame is already there
    fields = im2col(pad_spatial(x, frame, frame_value), unframed)
    return fields.reshape(n, c, window.kernel[0] * window.kernel[1], *window.output_size(h, w))


def taps_to_input(fields: np.ndarray, x_shape: tuple[int, ...], window: Window) -> np.ndarray:
    """The adjoint of window_fields: fields (N, C, kh·kw, OH, OW) summed back into x_shape, the frame dropped."""
    n, c, h, w = x_shape
    taps, out_h, out_w = fields.shape[2:]
    top, _, left, _ = frame = window.frame(h, w)
    unframed = Window(window.kernel, window.stride, dilation=window.dilation)
    framed = col2im(fields.reshape(n, c * taps, out_h * out_w), framed_shape(x_shape, frame), unframed)
    return framed[:, :, top : top + h, left : left + w]


class MaxPooling2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, window: Window) -> np.ndarray:
        fields = window_fields(x, window, -np.inf)
        winner = fields.argmax(axis=2)[:, :, np.newaxis]  # the tap that won each window
        ctx.save_for_backward(winner, fields.shape, x.shape, window)
        return np.take_along_axis(fields, winner, axis=2)[:, :, 0]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        winner, fields_shape, x_shape, window = ctx.saved
        grad_fields = np.zeros(fields_shape, dtype=grad.dtype)
        np.put_along_axis(grad_fields, winner, grad[:, :, np.newaxis], axis=2)  # all of it to the winner
        return taps_to_input(grad_fields, x_shape, window)


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
