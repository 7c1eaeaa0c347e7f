"""The activation functions of the slide's table that are not basic tensor methods, and softmax.

relu, sigmoid and tanh live in `minidl.ops.elementwise` (they are Tensor methods); identity needs
no primitive. Each docstring gives f and f'.
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.elementwise import stable_sigmoid, stable_softplus


class PiecewiseConstant(Function):
    """A function that is flat except at jumps: f'(z) = 0 almost everywhere, so no gradient passes."""

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad)


class Step(PiecewiseConstant):
    """Heaviside step: f(z) = 1 for z > 0, ½ at z = 0, 0 for z < 0."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        return np.heaviside(z, 0.5).astype(z.dtype, copy=False)


class Sign(PiecewiseConstant):
    """f(z) = sign z ∈ {−1, 0, 1}."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        return np.sign(z)


class PiecewiseLinear(Function):
    """f(z) = 1 for z ≥ ½, z + ½ for −½ < z < ½, 0 for z ≤ −½;  f'(z) = 1 inside (−½, ½), 0 outside."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward((z > -0.5) & (z < 0.5))
        return np.clip(z + 0.5, 0, 1).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (inside,) = ctx.saved
        return grad * inside


class Softplus(Function):
    """f(z) = ln(1 + eᶻ), computed without overflow (see stable_softplus);  f'(z) = σ(z)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return stable_softplus(z).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved
        return grad * stable_sigmoid(z)


class LogSoftmax(Function):
    """f(z)ᵢ = zᵢ − log Σⱼ e^{zⱼ} along `axis`, computed with the max subtracted (log-sum-exp trick);
    backward: dzᵢ = gᵢ − softmax(z)ᵢ · Σⱼ gⱼ."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, *, axis: int) -> np.ndarray:
        shifted = z - z.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out, axis)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out, axis = ctx.saved
        return grad - np.exp(out) * grad.sum(axis=axis, keepdims=True)


class Softmax(Function):
    """f(z)ᵢ = e^{zᵢ} / Σⱼ e^{zⱼ} along `axis` (max subtracted first);
    backward: dzᵢ = sᵢ (gᵢ − Σⱼ gⱼ sⱼ)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, *, axis: int) -> np.ndarray:
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out, axis)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out, axis = ctx.saved
        return out * (grad - (grad * out).sum(axis=axis, keepdims=True))
