"""The pooling layers on (N, C, H, W): MaxPool2d, AvgPool2d and AdaptiveAvgPool2d (global average
pooling); the maths is in minidl.functional (max_pool2d, avg_pool2d, adaptive_avg_pool2d)."""

from __future__ import annotations

from minidl import functional as F
from minidl.functional import IntPair
from minidl.nn.module import Module
from minidl.shapes import int_pair
from minidl.tensor import Tensor


class MaxPool2d(Module):
    def __init__(
        self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0, ceil_mode: bool = False
    ):
        super().__init__()
        self.kernel_size = int_pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else int_pair("MaxPool2d", "stride", stride, 1)
        self.padding = int_pair("MaxPool2d", "padding", padding, 0)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + (", ceil_mode=True" if self.ceil_mode else "")


class AvgPool2d(Module):
    def __init__(
        self,
        kernel_size: IntPair,
        stride: IntPair | None = None,
        padding: IntPair = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        self.kernel_size = int_pair("AvgPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else int_pair("AvgPool2d", "stride", stride, 1)
        self.padding = int_pair("AvgPool2d", "padding", padding, 0)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        text += ", ceil_mode=True" if self.ceil_mode else ""
        return text + ("" if self.count_include_pad else ", count_include_pad=False")


class AdaptiveAvgPool2d(Module):
    """Global average pooling (output_size 1): one number per feature map (Lin et al., "Network in network", 2014)."""

    def __init__(self, output_size: IntPair = 1):
        super().__init__()
        if int_pair("AdaptiveAvgPool2d", "output_size", output_size, 1) != (1, 1):
            raise ValueError(
                f"AdaptiveAvgPool2d: only output_size 1 (global average pooling) is supported, got {output_size!r}"
            )
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
