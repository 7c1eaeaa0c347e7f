"""The Inception module of GoogLeNet (Szegedy et al., "Going deeper with convolutions", CVPR 2015):
four branches look at the same input at different scales — 1×1, 3×3 and 5×5 convolutions and a
3×3 max-pooling — and their outputs are stacked along the channels. The 1×1 convolutions before
the 3×3 and 5×5 ones (and after the pooling) reduce the channels first, which is what keeps the
module cheap: a 5×5 convolution over 8 instead of 64 channels costs 8 times fewer multiply-adds.
"""

from __future__ import annotations

from minidl.nn import Conv2d, MaxPool2d, Module, ReLU, Sequential
from minidl.tensor import Tensor, concatenate


def _conv_relu(in_channels: int, out_channels: int, kernel: int) -> Sequential:
    return Sequential(Conv2d(in_channels, out_channels, kernel, padding=kernel // 2), ReLU())


class InceptionModule(Module):
    """Output channels: ones + threes + fives + pool_projection; spatial size unchanged."""

    def __init__(
        self,
        in_channels: int,
        ones: int,
        threes_reduce: int,
        threes: int,
        fives_reduce: int,
        fives: int,
        pool_projection: int,
    ):
        super().__init__()
        self.branch1 = _conv_relu(in_channels, ones, 1)
        self.branch3 = Sequential(_conv_relu(in_channels, threes_reduce, 1), _conv_relu(threes_reduce, threes, 3))
        self.branch5 = Sequential(_conv_relu(in_channels, fives_reduce, 1), _conv_relu(fives_reduce, fives, 5))
        self.branch_pool = Sequential(MaxPool2d(3, stride=1, padding=1), _conv_relu(in_channels, pool_projection, 1))
        self.out_channels = ones + threes + fives + pool_projection

    def forward(self, x: Tensor) -> Tensor:
        return concatenate([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], axis=1)
