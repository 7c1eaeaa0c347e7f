"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document
recognition", Proc. IEEE 1998), in the form most courses teach today: ReLU instead of the scaled
tanh and max-pooling instead of the trainable sub-sampling, with the original layer sizes.

    input 1×28×28 ─ conv 5×5 (padding 2) → 6×28×28 ─ ReLU ─ max-pool 2 → 6×14×14
                  ─ conv 5×5 → 16×10×10 ─ ReLU ─ max-pool 2 → 16×5×5
                  ─ flatten 400 ─ dense 120 ─ ReLU ─ dense 84 ─ ReLU ─ dense num_classes (logits)

`features` holds the convolutional part (features[3] is the last convolution, the usual Grad-CAM
layer) and `classifier` the dense part; state_dict keys match the same model written in PyTorch.
"""

from __future__ import annotations

from minidl.nn import Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential
from minidl.tensor import Tensor


class LeNet5(Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.features = Sequential(
            Conv2d(in_channels, 6, 5, padding=2), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(), MaxPool2d(2)
        )
        self.classifier = Sequential(
            Flatten(), Linear(16 * 5 * 5, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[2:] != (28, 28):
            raise ValueError(f"LeNet5: expected images of shape (N, C, 28, 28), got {x.shape}")
        return self.classifier(self.features(x))
