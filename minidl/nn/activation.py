"""The activation functions as modules, for use inside Sequential: the slide's table (Step, Sign,
Identity, PiecewiseLinear, Sigmoid, Tanh, ReLU, Softplus) and those of later architectures
(LeakyReLU, ELU, GELU, SiLU, Hardtanh, LogSigmoid, Softsign), with PyTorch's names and defaults.

Each applies the function of the same name in `minidl.functional`; f and f' are in the docstrings
of the autograd Functions in `minidl.ops.activations`.
"""

from __future__ import annotations

from typing import Callable

from minidl import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Activation(Module):
    function: Callable[[Tensor], Tensor]

    def forward(self, z: Tensor) -> Tensor:
        return type(self).function(z)


# ----- the slide's table -----------------------------------------------------------------------
class Step(Activation):
    """Heaviside step, step(0) = 0.5."""

    function = staticmethod(F.step)


class Sign(Activation):
    function = staticmethod(F.sign)


class Identity(Activation):
    """The linear activation f(z) = z."""

    function = staticmethod(F.identity)


class PiecewiseLinear(Activation):
    """1 for z ≥ ½, z + ½ in between, 0 for z ≤ −½."""

    function = staticmethod(F.piecewise_linear)


class Sigmoid(Activation):
    function = staticmethod(F.sigmoid)


class Tanh(Activation):
    function = staticmethod(F.tanh)


class ReLU(Activation):
    function = staticmethod(F.relu)


class Softplus(Activation):
    function = staticmethod(F.softplus)


# ----- later architectures ---------------------------------------------------------------------
class LeakyReLU(Module):
    """z for z > 0, negative_slope·z otherwise."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, z: Tensor) -> Tensor:
        return F.leaky_relu(z, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """z for z > 0, alpha·(eᶻ − 1) otherwise."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, z: Tensor) -> Tensor:
        return F.elu(z, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """z·Φ(z) (exact, approximate='none') or its tanh approximation (approximate='tanh')."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, z: Tensor) -> Tensor:
        return F.gelu(z, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Activation):
    """z·σ(z) (swish)."""

    function = staticmethod(F.silu)


class Hardtanh(Module):
    """z clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        if not min_val < max_val:
            raise ValueError(f"Hardtanh: min_val = {min_val} must be smaller than max_val = {max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, z: Tensor) -> Tensor:
        return F.hardtanh(z, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class LogSigmoid(Activation):
    """log σ(z)."""

    function = staticmethod(F.logsigmoid)


class Softsign(Activation):
    """z / (1 + |z|)."""

    function = staticmethod(F.softsign)
