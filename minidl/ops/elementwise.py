"""Element-wise functions of one tensor: exp, exp2, log, log2, sqrt, abs, clip, and the roundings
floor, ceil and round. (The activation functions have their own file, `minidl.ops.activations`.)

Each backward multiplies the incoming gradient by the local derivative f'(a), evaluated from what
forward saved (often the output itself, which is cheaper than recomputing).

NaN rule (minidl's, for teaching): the derivative at a NaN input is NaN, so a NaN never turns into
a clean-looking gradient. Smooth functions get this for free (f'(NaN) computes to NaN); functions
with flat pieces or kinks (abs, clip, the roundings, relu, …) put it back with `keep_nan`.
PyTorch is not consistent here (its relu passes the gradient at NaN, its abs sends 0).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from minidl.autograd import Context, Function


def keep_nan(derivative: np.ndarray, a: np.ndarray) -> np.ndarray:
    """`derivative` with NaN wherever the input `a` is NaN (see the NaN rule above)."""
    nan = np.isnan(a)
    return np.where(nan, np.nan, derivative).astype(derivative.dtype, copy=False) if nan.any() else derivative


class Exp(Function):
    """f(a) = eᵃ;  f'(a) = eᵃ = f(a). Exp2 is the same with base 2: f(a) = 2ᵃ, f'(a) = ln 2 · 2ᵃ."""

    power, log_base = staticmethod(np.exp), 1.0

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray) -> np.ndarray:
        out = cls.power(a)
        ctx.save_for_backward(out)
        return out

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * out * cls.log_base


class Exp2(Exp):
    power, log_base = staticmethod(np.exp2), math.log(2)


class Log(Function):
    """f(a) = ln a;  f'(a) = 1/a. Log2 is the same with base 2: f(a) = log₂ a, f'(a) = 1 / (a ln 2)."""

    logarithm, log_base = staticmethod(np.log), 1.0

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return cls.logarithm(a)

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved
        return grad / (a * cls.log_base)


class Log2(Log):
    logarithm, log_base = staticmethod(np.log2), math.log(2)


class Sqrt(Function):
    """f(a) = √a;  f'(a) = 1 / (2√a)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad / (2 * out)


class Abs(Function):
    """f(a) = |a|;  f'(a) = sign(a), taken as 0 at a = 0 (as PyTorch), NaN at NaN (np.sign(NaN) = NaN)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved
        return grad * np.sign(a)


class Clip(Function):
    """f(a) = min(max(a, low), high) (clamp; a missing bound is None);
    f'(a) = 1 for low ≤ a ≤ high, bounds included as in PyTorch's clamp, else 0."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        ctx.save_for_backward(a, inside)
        return np.clip(a, low, high).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, inside = ctx.saved
        return keep_nan(grad * inside, a)


class Rounding(Function):
    """Floor, ceil and round are flat between their jumps: f'(a) = 0 (NaN at NaN), as PyTorch's
    zero gradient. `how` is np.floor, np.ceil or np.round (halves to even, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, how: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        ctx.save_for_backward(a)
        return how(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved
        return keep_nan(np.zeros_like(grad), a)
