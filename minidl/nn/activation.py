"""The activation functions of the slide's table as modules, for use inside Sequential.

Each applies the function of the same name in `minidl.functional` (see there for f and f').
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
