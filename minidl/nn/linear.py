"""Linear (dense, fully connected) layer: y = x Wᵀ + b, with W of shape (out_features, in_features)."""

from __future__ import annotations

import numpy as np

from minidl import functional as F
from minidl.nn.init import default_layer_init_
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.shapes import positive_int
from minidl.tensor import Tensor


class Linear(Module):
    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype=np.float32,
        rng: np.random.Generator | None = None,
    ):
        super().__init__()
        self.in_features = positive_int("Linear", "in_features", in_features)
        self.out_features = positive_int("Linear", "out_features", out_features)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        default_layer_init_(self.weight, self.bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
