"""What the kernels' own convolutions (winograd.py, direct.py) check of the arrays their Functions
hand them, and how they turn them into what the loops take."""

from __future__ import annotations

import numpy as np


def kernel_bias(op: str, bias: np.ndarray | None, filters: int, dtype: np.dtype) -> np.ndarray:
    """bias (filters,) of dtype, C-contiguous, zeros where there is none; a ValueError naming `op`
    for any other shape or dtype."""
    if bias is None:
        return np.zeros(filters, dtype)
    if bias.shape != (filters,) or bias.dtype != dtype:
        raise ValueError(f"{op}.forward: bias of shape {bias.shape} {bias.dtype}, expected ({filters},) {dtype}")
    return np.ascontiguousarray(bias)


def kernel_grad(op: str, grad: np.ndarray, expected: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """grad of shape `expected` as a C-contiguous array of dtype: the gradient of a sum arrives
    broadcast (zero strides), and may be float64 for float32 input. A ValueError naming `op` for
    another shape."""
    if grad.shape != expected:
        raise ValueError(f"{op}.backward: grad of shape {grad.shape}, expected {expected}")
    return np.ascontiguousarray(grad, dtype)
