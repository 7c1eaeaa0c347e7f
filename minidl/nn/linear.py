"""Linear (dense, fully connected) layer: y = x Wᵀ + b, with W of shape (out_features, in_features)."""
from __future__ import annotations

import numpy as np

from minidl import functional as F
from minidl.nn.init import default_layer_init_
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor


class Linear(Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float32,
                 rng: np.random.Generator | None = None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        default_layer_init_(self.weight, self.bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected an input whose last axis has {self.in_features} "
                             f"features, got shape {x.shape}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
