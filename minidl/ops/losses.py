"""Losses that need their own primitive for numerical stability (the others are built from ops).

Both follow PyTorch's definitions so that values and gradients agree with it.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.activations import stable_sigmoid, stable_softplus

# PyTorch clamps each log term of BCE at −100 (so p = 0 gives a loss of 100, not inf) and
# divides the gradient by max(p(1 − p), 1e-12).
LOG_FLOOR = -100.0
GRAD_EPSILON = 1e-12


class BinaryCrossEntropy(Function):
    """ℓ(p, y) = −[y·log p + (1 − y)·log(1 − p)] element-wise;  ∂ℓ/∂p = (p − y) / (p(1 − p))."""

    @staticmethod
    def forward(ctx: Context, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(p, y)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), LOG_FLOOR)
            log_not_p = np.maximum(np.log1p(-p), LOG_FLOOR)
        return -(y * log_p + (1 - y) * log_not_p)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        p, y = ctx.saved
        grad_p = grad * (p - y) / np.maximum(p * (1 - p), GRAD_EPSILON)
        # ∂ℓ/∂y = log(1 − p) − log p, with the same clamping as the forward pass
        grad_y = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                grad_y = grad * (np.maximum(np.log1p(-p), LOG_FLOOR) - np.maximum(np.log(p), LOG_FLOOR))
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """ℓ(z, y) = −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = max(z, 0) − z·y + log(1 + e^{−|z|});
    ∂ℓ/∂z = σ(z) − y, ∂ℓ/∂y = −z.

    With `pos_weight` w (a constant that broadcasts against z, one weight per class for (N, C)), the
    positive term is weighted, ℓ = −[w·y·log σ(z) + (1 − y)·log(1 − σ(z))], which with
    log σ(z) = −softplus(−z) and softplus(z) = z + softplus(−z) is, as PyTorch computes it,
    ℓ = (1 − y)·z + L·softplus(−z) with L = 1 + (w − 1)·y;
    ∂ℓ/∂z = (1 − y) − L·σ(−z), ∂ℓ/∂y = −z + (w − 1)·softplus(−z).
    """

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None = None) -> np.ndarray:
        ctx.save_for_backward(z, y, pos_weight)
        if pos_weight is not None:
            return (1 - y) * z + (1 + (pos_weight - 1) * y) * stable_softplus(-z)
        # Not stable_softplus(z) − z·y: taking max(z, 0) − z·y first cancels exactly, so the tiny
        # log term survives (z = 50, y = 1 gives 1.9e-22, not 0).
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z, y, pos_weight = ctx.saved
        if pos_weight is None:
            return grad * (stable_sigmoid(z) - y), -grad * z
        grad_z = grad * ((1 - y) - (1 + (pos_weight - 1) * y) * stable_sigmoid(-z))
        return grad_z, grad * ((pos_weight - 1) * stable_softplus(-z) - z)
