"""Element-wise functions of one tensor: exp, log, sqrt, abs, and the activations relu, sigmoid, tanh.

Each backward multiplies the incoming gradient by the local derivative f'(a), evaluated from what
forward saved (often the output itself, which is cheaper than recomputing).
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function


class Exp(Function):
    """f(a) = eᵃ;  f'(a) = eᵃ = f(a)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * out


class Log(Function):
    """f(a) = ln a;  f'(a) = 1/a."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved
        return grad / a


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
    """f(a) = |a|;  f'(a) = sign(a), taken as 0 at a = 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved
        return grad * np.sign(a)


class ReLU(Function):
    """f(a) = max(0, a);  f'(a) = 1 for a > 0, else 0 (ReLU'(0) = 0, as PyTorch). A NaN stays NaN,
    as in PyTorch; np.maximum also runs several times faster than np.where here."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a > 0)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (positive,) = ctx.saved
        return grad * positive


def stable_sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e⁻ᵃ), computed through e^{-|a|} ≤ 1 so that no exponential overflows:
    σ(a) = 1 / (1 + e^{-|a|}) for a ≥ 0 and e^{-|a|} / (1 + e^{-|a|}) for a < 0."""
    small = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + small), small / (1 + small)).astype(a.dtype, copy=False)


def stable_softplus(a: np.ndarray) -> np.ndarray:
    """ln(1 + eᵃ) = max(a, 0) + ln(1 + e^{−|a|}): the exponent is never positive, so nothing overflows."""
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


class Sigmoid(Function):
    """f(a) = σ(a) = 1 / (1 + e⁻ᵃ);  f'(a) = σ(a)(1 − σ(a))."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = stable_sigmoid(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * out * (1 - out)


class Tanh(Function):
    """f(a) = tanh a;  f'(a) = 1 − tanh² a."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * (1 - out * out)
