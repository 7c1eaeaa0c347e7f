"""A LeNet-sized network for MNIST that ends the way Class Activation Mapping needs (Zhou et al.,
"Learning deep features for discriminative localization", CVPR 2016): convolutions, then global
average pooling (Lin, Chen & Yan, "Network in network", ICLR 2014) and one dense layer, no other
dense layers.

    input 1×28×28 ─ conv 5×5 (padding 2) → 8×28×28 ─ ReLU ─ max-pool 2 → 8×14×14
                  ─ conv 3×3 (padding 1) → 16×14×14 ─ ReLU ─ max-pool 2 → 16×7×7
                  ─ conv 3×3 (padding 1) → 32×7×7 ─ ReLU                (the maps A^k CAM weighs)
                  ─ global average pooling → 32 ─ dense num_classes (logits)

The class score is y_c = Σ_k w_k^c · mean(A^k) + b_c: the last maps keep a 7 × 7 grid, so the map
Σ_k w_k^c A^k says where in the digit the score comes from: CAM(model, LeNet5GAP.CAM_LAYER).
`features` holds the convolutional part and `classifier` the pooling and the dense layer.
"""

from __future__ import annotations

from minidl.nn import AdaptiveAvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential
from minidl.tensor import Tensor


class LeNet5GAP(Module):
    CAM_LAYER = "features.7"  # the ReLU after the last convolution: the maps the pooling averages

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.features = Sequential(
            Conv2d(in_channels, 8, 5, padding=2),
            ReLU(),
            MaxPool2d(2),
            Conv2d(8, 16, 3, padding=1),
            ReLU(),
            MaxPool2d(2),
            Conv2d(16, 32, 3, padding=1),
            ReLU(),
        )
        self.classifier = Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(32, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[2:] != (28, 28):
            raise ValueError(f"LeNet5GAP: expected images of shape (N, C, 28, 28), got {x.shape}")
        return self.classifier(self.features(x))
