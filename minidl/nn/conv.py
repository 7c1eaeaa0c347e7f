"""The convolutional layers on (N, C, H, W): Conv2d (learned filters, optionally in groups) and
ConvTranspose2d (its adjoint, the up-convolution)."""

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
    """Cross-correlation with out_channels filters of shape (in_channels / groups, kh, kw), as torch.nn.Conv2d.

    groups > 1 splits the channels into independent convolutions (see F.conv2d); groups = in_channels
    with out_channels = k·in_channels is a depthwise convolution."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        dilation: IntPair = 1,
        groups: int = 1,
        bias: bool = True,
        dtype=np.float32,
        rng: np.random.Generator | None = None,
    ):
        super().__init__()
        self.in_channels = positive_int("Conv2d", "in_channels", in_channels)
        self.out_channels = positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = int_pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = int_pair("Conv2d", "stride", stride, 1)
        self.padding = int_pair("Conv2d", "padding", padding, 0)
        self.dilation = int_pair("Conv2d", "dilation", dilation, 1)
        self.groups = positive_int("Conv2d", "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels {in_channels} and out_channels {out_channels} must both be "
                f"divisible by groups {groups}"
            )
        self.weight = Parameter(
            np.empty((self.out_channels, self.in_channels // groups, *self.kernel_size), dtype=dtype)
        )
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        default_layer_init_(self.weight, self.bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class ConvTranspose2d(Module):
    """Transposed convolution, as torch.nn.ConvTranspose2d: weight (in_channels, out_channels, kh, kw)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        output_padding: IntPair = 0,
        bias: bool = True,
        dilation: IntPair = 1,
        dtype=np.float32,
        rng: np.random.Generator | None = None,
    ):
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
        return F.conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.dilation
        )

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        return text + ("" if self.bias is not None else ", bias=False")
