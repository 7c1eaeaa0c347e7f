"""The activation functions as autograd Functions, one class each, f and f' in the docstring.

First the slide's table (step, sign, piecewise linear, sigmoid, tanh, relu, softplus; identity
needs no primitive), then the activations of later architectures (leaky ReLU, ELU, GELU, SiLU,
hardtanh, log-sigmoid, softsign), then softmax and log-softmax along an axis. The modules that
wrap them for Sequential live in `minidl.nn.activation`; the Functions carry the suffix
`Function` so that the two are never confused. Derivatives at the kinks follow PyTorch; at a NaN
input the derivative is NaN (the NaN rule of `minidl.ops.elementwise`).
"""

from __future__ import annotations

import math

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.elementwise import keep_nan


def stable_sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e⁻ᵃ), computed through e^{-|a|} ≤ 1 so that no exponential overflows:
    σ(a) = 1 / (1 + e^{-|a|}) for a ≥ 0 and e^{-|a|} / (1 + e^{-|a|}) for a < 0."""
    small = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + small), small / (1 + small)).astype(a.dtype, copy=False)


def stable_softplus(a: np.ndarray) -> np.ndarray:
    """ln(1 + eᵃ) = max(a, 0) + ln(1 + e^{−|a|}): the exponent is never positive, so nothing overflows."""
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


# ----- the slide's table -----------------------------------------------------------------------
class PiecewiseConstantFunction(Function):
    """A function that is flat except at jumps: f'(z) = 0 almost everywhere, so no gradient passes."""

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved
        return keep_nan(np.zeros_like(grad), z)


class StepFunction(PiecewiseConstantFunction):
    """Heaviside step: f(z) = 1 for z > 0, ½ at z = 0, 0 for z < 0."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return np.heaviside(z, 0.5).astype(z.dtype, copy=False)


class SignFunction(PiecewiseConstantFunction):
    """f(z) = sign z ∈ {−1, 0, 1}."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return np.sign(z)


class PiecewiseLinearFunction(Function):
    """f(z) = 1 for z ≥ ½, z + ½ for −½ < z < ½, 0 for z ≤ −½;  f'(z) = 1 inside (−½, ½), 0 outside."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return np.clip(z + 0.5, 0, 1).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved
        return keep_nan(grad * ((z > -0.5) & (z < 0.5)), z)


class SigmoidFunction(Function):
    """f(z) = σ(z) = 1 / (1 + e⁻ᶻ);  f'(z) = σ(z)(1 − σ(z))."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        out = stable_sigmoid(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * out * (1 - out)


class TanhFunction(Function):
    """f(z) = tanh z;  f'(z) = 1 − tanh² z."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        out = np.tanh(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * (1 - out * out)


class ReLUFunction(Function):
    """f(z) = max(0, z);  f'(z) = 1 for z > 0, else 0 (ReLU'(0) = 0, as PyTorch), NaN at NaN.

    f' is sign(f(z)): 1 where the output is positive, 0 where it is 0, NaN where it is NaN
    (np.maximum keeps a NaN, sends −∞ and −0 to +0 and keeps integers integers), so backward needs
    only the output; an infinite gradient meeting a zero output gives ∞·0 = NaN."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        out = np.maximum(z, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        return grad * np.sign(out)


class SoftplusFunction(Function):
    """f(z) = ln(1 + eᶻ), computed without overflow (see stable_softplus);  f'(z) = σ(z)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return stable_softplus(z).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved
        return grad * stable_sigmoid(z)


# ----- activations of later architectures ----------------------------------------------------------
class LeakyReLUFunction(Function):
    """f(z) = z for z > 0, slope·z otherwise (Maas et al. 2013);  f'(z) = 1 for z > 0, slope for z ≤ 0."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, slope: float) -> np.ndarray:
        positive = z > 0
        ctx.save_for_backward(z, positive, slope)
        return np.where(positive, z, z * slope).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, positive, slope = ctx.saved
        return keep_nan(grad * np.where(positive, 1, slope).astype(grad.dtype), z)


class ELUFunction(Function):
    """f(z) = z for z > 0, α(eᶻ − 1) otherwise (Clevert et al. 2016);  f'(z) = 1 for z > 0,
    α eᶻ = f(z) + α for z ≤ 0."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, alpha: float) -> np.ndarray:
        positive = z > 0
        out = np.where(positive, z, alpha * np.expm1(np.minimum(z, 0))).astype(z.dtype, copy=False)
        ctx.save_for_backward(z, out, positive, alpha)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, out, positive, alpha = ctx.saved
        return keep_nan(grad * np.where(positive, 1, out + alpha), z)


def _erf(a: np.ndarray) -> np.ndarray:
    """erf entry by entry through math.erf (NumPy has no vectorised erf), in float64."""
    return np.fromiter(map(math.erf, a.ravel().tolist()), dtype=np.float64, count=a.size).reshape(a.shape)


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_TANH_CUBIC = 0.044715


class GELUFunction(Function):
    """f(z) = z·Φ(z), Φ the standard normal CDF, Φ(z) = ½(1 + erf(z/√2)) (Hendrycks & Gimpel 2016);
    f'(z) = Φ(z) + z·φ(z), φ(z) = e^{−z²/2} / √(2π).

    approximate='tanh' uses their approximation Φ(z) ≈ ½(1 + tanh(√(2/π)(z + 0.044715 z³))), with
    f'(z) = ½(1 + t) + ½ z (1 − t²) √(2/π) (1 + 3·0.044715 z²), t the tanh. (NumPy has no vectorised
    erf, so the exact form calls math.erf entry by entry, which is slower than the tanh form.)
    """

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, approximate: str) -> np.ndarray:
        if approximate == "tanh":
            t = np.tanh(SQRT_2_OVER_PI * (z + GELU_TANH_CUBIC * z**3))
            ctx.save_for_backward(z, t, approximate)
            return (0.5 * z * (1 + t)).astype(z.dtype, copy=False)
        cdf = (0.5 * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype, copy=False)
        ctx.save_for_backward(z, cdf, approximate)
        return z * cdf

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, saved, approximate = ctx.saved
        if approximate == "tanh":
            t = saved
            inner = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_CUBIC * z * z)
            return grad * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * inner)
        density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return grad * (saved + z * density)


class SiLUFunction(Function):
    """f(z) = z·σ(z) (SiLU, also called swish; Elfwing et al. 2018);  f'(z) = σ(z)(1 + z(1 − σ(z)))."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        s = stable_sigmoid(z)
        ctx.save_for_backward(z, s)
        return z * s

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, s = ctx.saved
        return grad * s * (1 + z * (1 - s))


class HardtanhFunction(Function):
    """f(z) = min(max(z, low), high);  f'(z) = 1 for low < z < high, 0 outside and at the bounds
    (PyTorch's hardtanh; its clamp, `Tensor.clip`, counts the bounds as inside)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, low: float, high: float) -> np.ndarray:
        ctx.save_for_backward(z, (z > low) & (z < high))
        return np.clip(z, low, high).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, inside = ctx.saved
        return keep_nan(grad * inside, z)


class LogSigmoidFunction(Function):
    """f(z) = log σ(z) = −softplus(−z), stable for any |z|;  f'(z) = 1 − σ(z) = σ(−z)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return (-stable_softplus(-z)).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved
        return grad * stable_sigmoid(-z)


class SoftsignFunction(Function):
    """f(z) = z / (1 + |z|);  f'(z) = 1 / (1 + |z|)²."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        denominator = 1 + np.abs(z)
        ctx.save_for_backward(denominator)
        return z / denominator

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (denominator,) = ctx.saved
        return grad / (denominator * denominator)


# ----- along an axis ---------------------------------------------------------------------------------
def _max_along(z: np.ndarray, axis: int) -> np.ndarray:
    """max z along `axis` (kept as size 1), −∞ for an empty axis, so that an empty input stays empty."""
    return np.max(z, axis=axis, keepdims=True, initial=-np.inf)


class LogSoftmaxFunction(Function):
    """f(z)ᵢ = zᵢ − log Σⱼ e^{zⱼ} along `axis`, computed with the max subtracted (log-sum-exp trick);
    backward: dzᵢ = gᵢ − softmax(z)ᵢ · Σⱼ gⱼ."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, *, axis: int) -> np.ndarray:
        shifted = z - _max_along(z, axis)
        total = np.exp(shifted).sum(axis=axis, keepdims=True)
        # An empty axis sums to 0 and has an empty result: no log 0 to take.
        out = shifted - (np.log(total) if z.shape[axis] else total)
        ctx.save_for_backward(out, axis)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out, axis = ctx.saved
        return grad - np.exp(out) * grad.sum(axis=axis, keepdims=True)


class SoftmaxFunction(Function):
    """f(z)ᵢ = e^{zᵢ} / Σⱼ e^{zⱼ} along `axis` (max subtracted first);
    backward: dzᵢ = sᵢ (gᵢ − Σⱼ gⱼ sⱼ)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, *, axis: int) -> np.ndarray:
        e = np.exp(z - _max_along(z, axis))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out, axis)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out, axis = ctx.saved
        return out * (grad - (grad * out).sum(axis=axis, keepdims=True))
