"""The convolutional layers on (N, C, H, W): Conv2d (learned filters), ConvTranspose2d (its adjoint,
the up-convolution), MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (global average pooling), ZeroPad2d."""
from __future__ import annotations

import numpy as np

from minidl import functional as F
from minidl.functional import IntPair
from minidl.nn.init import default_layer_init_
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.shapes import int_pair, positive_int
from minidl.tensor import Tensor


class Conv2d(Module):
    """Cross-correlation with out_channels filters of shape (in_channels, kh, kw), as torch.nn.Conv2d."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, dilation: IntPair = 1, bias: bool = True, dtype=np.float32,
                 rng: np.random.Generator | None = None):
        super().__init__()
        self.in_channels = positive_int("Conv2d", "in_channels", in_channels)
        self.out_channels = positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = int_pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = int_pair("Conv2d", "stride", stride, 1)
        self.padding = int_pair("Conv2d", "padding", padding, 0)
        self.dilation = int_pair("Conv2d", "dilation", dilation, 1)
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        default_layer_init_(self.weight, self.bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got shape {x.shape}")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class ConvTranspose2d(Module):
    """Transposed convolution, as torch.nn.ConvTranspose2d: weight (in_channels, out_channels, kh, kw)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, output_padding: IntPair = 0, bias: bool = True, dilation: IntPair = 1,
                 dtype=np.float32, rng: np.random.Generator | None = None):
        super().__init__()
        self.in_channels = positive_int("ConvTranspose2d", "in_channels", in_channels)
        self.out_channels = positive_int("ConvTranspose2d", "out_channels", out_channels)
        self.kernel_size = int_pair("ConvTranspose2d", "kernel_size", kernel_size, 1)
        self.stride = int_pair("ConvTranspose2d", "stride", stride, 1)
        self.padding = int_pair("ConvTranspose2d", "padding", padding, 0)
        self.output_padding = int_pair("ConvTranspose2d", "output_padding", output_padding, 0)
        self.dilation = int_pair("ConvTranspose2d", "dilation", dilation, 1)
        self.weight = Parameter(np.empty((self.in_channels, self.out_channels, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        # PyTorch initialises it like a convolution whose fan-in is weight.shape[1] · kh · kw.
        default_layer_init_(self.weight, self.bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got shape {x.shape}")
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.dilation)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0):
        super().__init__()
        self.kernel_size = int_pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else int_pair("MaxPool2d", "stride", stride, 1)
        self.padding = int_pair("MaxPool2d", "padding", padding, 0)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0):
        super().__init__()
        self.kernel_size = int_pair("AvgPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else int_pair("AvgPool2d", "stride", stride, 1)
        self.padding = int_pair("AvgPool2d", "padding", padding, 0)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Global average pooling (output_size 1): one number per feature map (Lin et al., "Network in network", 2014)."""

    def __init__(self, output_size: IntPair = 1):
        super().__init__()
        if int_pair("AdaptiveAvgPool2d", "output_size", output_size, 1) != (1, 1):
            raise ValueError(f"AdaptiveAvgPool2d: only output_size 1 (global average pooling) is supported, "
                             f"got {output_size!r}")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class ZeroPad2d(Module):
    """Zero padding: padding = p or (left, right, top, bottom)."""

    def __init__(self, padding: int | tuple[int, int, int, int]):
        super().__init__()
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.pad2d(x, self.padding)

    def extra_repr(self) -> str:
        return f"padding={self.padding}"
