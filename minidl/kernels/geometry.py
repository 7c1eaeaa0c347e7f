"""Where a sliding window — a convolution kernel or a pooling window — reads an image."""
from __future__ import annotations

from typing import NamedTuple


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """PyTorch's output size: ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class Window(NamedTuple):
    """A kh×kw window moved by `stride` over an input framed by `padding` on each side;
    `dilation` spaces its taps. Output pixel (y, x) tap (i, j) reads input row
    y·stride − padding + i·dilation and column x·stride − padding + j·dilation."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        return (conv_output_size(height, self.kernel[0], self.stride[0], self.padding[0], self.dilation[0]),
                conv_output_size(width, self.kernel[1], self.stride[1], self.padding[1], self.dilation[1]))

    def scalars(self) -> tuple[int, ...]:
        """kh, kw, sh, sw, ph, pw, dh, dw: the form the numba kernels take."""
        return (*self.kernel, *self.stride, *self.padding, *self.dilation)
