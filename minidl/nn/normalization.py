"""Normalisation layers with PyTorch's behaviour and state_dict keys.

BatchNorm1d and BatchNorm2d (Ioffe & Szegedy, "Batch normalization", ICML 2015): weight, bias,
and the buffers running_mean, running_var, num_batches_tracked. LayerNorm (Ba, Kiros & Hinton,
"Layer normalization", 2016): weight and bias of the normalized shape, no running statistics.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from minidl import functional as F
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.shapes import positive_int
from minidl.tensor import Tensor


class _BatchNorm(Module):
    """y = γ (x − μ) / √(σ² + eps) + β per channel; μ, σ² of the batch in training (and the running
    estimates updated with momentum, the variance unbiased), the running estimates in evaluation."""

    input_ndims: tuple[int, ...]
    input_layout: str

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True, dtype=np.float32
    ):
        super().__init__()
        self.num_features = positive_int(type(self).__name__, "num_features", num_features)
        self.eps, self.momentum = eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.input_ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input {self.input_layout.format(self.num_features)}, got shape {x.shape}"
            )
        if self.training:
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, self.training, self.momentum, self.eps
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.weight is not None}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of features (N, C) or sequences (N, C, L), statistics over N (and L)."""

    input_ndims = (2, 3)
    input_layout = "(N, {0}) or (N, {0}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W), statistics over N, H and W."""

    input_ndims = (4,)
    input_layout = "(N, {0}, H, W)"


class LayerNorm(Module):
    """y = (x − μ) / √(σ² + eps) · weight + bias over the last axes, those of normalized_shape, for
    each sample on its own (the same in training and evaluation)."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        dtype=np.float32,
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape = tuple(positive_int("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = eps
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.weight is not None}"
