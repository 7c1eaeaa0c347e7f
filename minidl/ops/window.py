"""Where a sliding window — a convolution kernel or a pooling window — reads an image, and the frame
of padding around the image that it reads into."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

Frame = tuple[int, int, int, int]  # (top, bottom, left, right)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool = False) -> int:
    """PyTorch's output size: ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.

    With ceil_mode (pooling only) ⌈…⌉ instead of ⌊…⌋, so that a last, partial window covers the
    input's end, unless that window would start past the input and its left padding (PyTorch's rule).
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    return out - 1 if (out - 1) * stride >= size + padding else out


class Window(NamedTuple):
    """A kh×kw window moved by `stride` over an input framed by `padding` on each side;
    `dilation` spaces its taps. Output pixel (y, x) tap (i, j) reads input row
    y·stride − padding + i·dilation and column x·stride − padding + j·dilation.
    ceil_mode: the output size rounds up (see conv_output_size)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        return (
            conv_output_size(height, self.kernel[0], self.stride[0], self.padding[0], self.dilation[0], self.ceil_mode),
            conv_output_size(width, self.kernel[1], self.stride[1], self.padding[1], self.dilation[1], self.ceil_mode),
        )

    def frame(self, height: int, width: int) -> Frame:
        """(top, bottom, left, right): the padding on each side, widened at the bottom and right where
        ceil_mode's last window reaches past the padded input."""
        out_h, out_w = self.output_size(height, width)
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel, self.stride, self.padding, self.dilation
        bottom = max(ph, (out_h - 1) * sh + dh * (kh - 1) + 1 - height - ph)
        right = max(pw, (out_w - 1) * sw + dw * (kw - 1) + 1 - width - pw)
        return ph, bottom, pw, right


def framed_shape(shape: tuple[int, ...], frame: Frame) -> tuple[int, ...]:
    """The shape of an array of `shape` once its last two axes carry `frame`."""
    top, bottom, left, right = frame
    *leading, height, width = shape
    return (*leading, top + height + bottom, left + width + right)


def pad_spatial(x: np.ndarray, frame: Frame, value: float = 0.0) -> np.ndarray:
    """x with `frame` rows/columns of `value` added around its last two axes (a new C-contiguous
    array: filled, then x copied in, which is what np.pad does with more Python overhead)."""
    if not any(frame):
        return x
    top, _, left, _ = frame
    height, width = x.shape[-2:]
    padded = np.full(framed_shape(x.shape, frame), value, dtype=x.dtype)
    padded[..., top : top + height, left : left + width] = x
    return padded


def crop_spatial(x: np.ndarray, frame: Frame) -> np.ndarray:
    """The inverse of pad_spatial: x without the frame."""
    top, bottom, left, right = frame
    return x[..., top : x.shape[-2] - bottom, left : x.shape[-1] - right]
