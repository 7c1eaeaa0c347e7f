"""BatchNorm2d (Ioffe & Szegedy, "Batch normalization", ICML 2015), with PyTorch's behaviour and
state_dict keys: weight, bias, and the buffers running_mean, running_var, num_batches_tracked."""
from __future__ import annotations

import numpy as np

from minidl import functional as F
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.shapes import positive_int
from minidl.tensor import Tensor


class BatchNorm2d(Module):
    """y = γ (x − μ) / √(σ² + eps) + β per channel; μ, σ² of the batch in training (and the running
    estimates updated with momentum), the running estimates in evaluation."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 dtype=np.float32):
        super().__init__()
        self.num_features = positive_int("BatchNorm2d", "num_features", num_features)
        self.eps, self.momentum = eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected input (N, {self.num_features}, H, W), got shape {x.shape}")
        if self.training:
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                            self.momentum, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.weight is not None}"
