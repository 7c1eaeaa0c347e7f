"""Residual learning (He, Zhang, Ren & Sun, "Deep residual learning for image recognition", CVPR
2016): a block computes F(x) and adds its input back, y = ReLU(F(x) + x), so that a deep stack
only has to learn corrections to the identity — and gradients reach the first layers through the
shortcuts. With shortcut=False the same block is the "plain" layer pair the paper compares with.

    F(x) = BN(conv3×3(ReLU(BN(conv3×3(x)))))
    shortcut = x, or BN(conv1×1(x)) with the block's stride when the shape changes
"""

from __future__ import annotations

from minidl.nn import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, Module, ReLU, Sequential
from minidl.tensor import Tensor


class ResidualBlock(Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, shortcut: bool = True):
        super().__init__()
        self.body = Sequential(
            Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            BatchNorm2d(out_channels),
            ReLU(),
            Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            BatchNorm2d(out_channels),
        )
        self.uses_shortcut = shortcut
        self.projection = (
            Sequential(Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), BatchNorm2d(out_channels))
            if shortcut and (stride != 1 or in_channels != out_channels)
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        if self.uses_shortcut:
            out = out + (x if self.projection is None else self.projection(x))
        return out.relu()

    def extra_repr(self) -> str:
        return "shortcut" if self.uses_shortcut else "plain (no shortcut)"


class SmallResNet(Module):
    """A stem convolution, stages of blocks (the first block of each later stage halves the size),
    global average pooling and one dense layer; for 28×28 inputs. With shortcut=False it is the
    equally deep plain network."""

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        channels: tuple[int, ...] = (16, 32),
        blocks_per_stage: int = 2,
        shortcut: bool = True,
    ):
        super().__init__()
        layers: list[Module] = [
            Conv2d(in_channels, channels[0], 3, padding=1, bias=False),
            BatchNorm2d(channels[0]),
            ReLU(),
        ]
        previous = channels[0]
        for stage, width in enumerate(channels):
            for block in range(blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(ResidualBlock(previous, width, stride, shortcut))
                previous = width
        self.features = Sequential(*layers)
        self.classifier = Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(previous, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
