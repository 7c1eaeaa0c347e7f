"""An AlexNet-style network for 28×28 inputs, after Krizhevsky, Sutskever & Hinton, "ImageNet
classification with deep convolutional neural networks" (NeurIPS 2012): five convolutions with
ReLU, the first with the largest kernel, max-pooling after the first, second and fifth, and a
classifier of two wide dense layers with dropout (p = 0.5). Channels are scaled down from
(96, 256, 384, 384, 256) and (4096, 4096) so that it trains on a laptop CPU, and the first
convolution has no stride 4, since a digit has 28 pixels a side, not 224.

    1×28×28 ─ conv 5×5 → 24 ─ pool → 24×14×14 ─ conv 3×3 → 48 ─ pool → 48×7×7
            ─ conv 3×3 → 64 ─ conv 3×3 → 64 ─ conv 3×3 → 48 ─ pool → 48×3×3
            ─ dropout ─ dense 192 ─ dropout ─ dense 192 ─ dense num_classes
"""

from __future__ import annotations

from minidl.nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential
from minidl.tensor import Tensor


class AlexNetMini(Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.features = Sequential(
            Conv2d(in_channels, 24, 5, padding=2),
            ReLU(),
            MaxPool2d(2),
            Conv2d(24, 48, 3, padding=1),
            ReLU(),
            MaxPool2d(2),
            Conv2d(48, 64, 3, padding=1),
            ReLU(),
            Conv2d(64, 64, 3, padding=1),
            ReLU(),
            Conv2d(64, 48, 3, padding=1),
            ReLU(),
            MaxPool2d(2),
        )
        self.classifier = Sequential(
            Flatten(),
            Dropout(0.5),
            Linear(48 * 3 * 3, 192),
            ReLU(),
            Dropout(0.5),
            Linear(192, 192),
            ReLU(),
            Linear(192, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[2:] != (28, 28):
            raise ValueError(f"AlexNetMini: expected images of shape (N, C, 28, 28), got {x.shape}")
        return self.classifier(self.features(x))
