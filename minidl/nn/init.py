"""Weight initialisation, as PyTorch's defaults do it (He et al. 2015, "Delving Deep into
Rectifiers"; PyTorch's Linear/Conv2d reset_parameters).

A layer's default weights are kaiming_uniform_(w, a=√5): uniform on ±gain·√(3 / fan_in) with
gain = √(2 / (1 + a²)), which for a = √5 is ±1/√fan_in; biases are uniform on ±1/√fan_in.
Draws come from the generator given, else from the one `minidl.manual_seed` seeds.
"""

from __future__ import annotations

import math

import numpy as np

from minidl.rng import default_generator
from minidl.tensor import Tensor


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """fan_in = in_features·kh·kw, fan_out = out_features·kh·kw for weights (out, in, *kernel)."""
    if len(shape) < 2:
        raise ValueError(f"fan_in_and_fan_out: needs a weight of at least 2 dimensions, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def uniform_(tensor: Tensor, low: float, high: float, rng: np.random.Generator | None = None) -> Tensor:
    """Fill tensor in place with draws from U(low, high)."""
    tensor.data[...] = (rng or default_generator()).uniform(low, high, tensor.shape)
    return tensor


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, rng: np.random.Generator | None = None) -> Tensor:
    """U(−b, b) with b = gain·√(3 / fan_in), gain = √(2 / (1 + a²)) (leaky-ReLU slope a)."""
    fan_in, _ = fan_in_and_fan_out(tensor.shape)
    bound = math.sqrt(2.0 / (1 + a * a)) * math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, rng)


def default_layer_init_(weight: Tensor, bias: Tensor | None, rng: np.random.Generator | None = None) -> None:
    """PyTorch's reset_parameters of Linear and Conv2d: Kaiming-uniform (a=√5) weight, ±1/√fan_in bias."""
    kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        bound = 1 / math.sqrt(fan_in_and_fan_out(weight.shape)[0])
        uniform_(bias, -bound, bound, rng)
