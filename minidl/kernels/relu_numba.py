"""ReLU with numba: the same outputs and gradients as the reading path's np.maximum(z, 0) and
grad · np.sign(out) (minidl/ops/activations.py), each in one pass over memory.

np.maximum(z, 0) takes several times as long as this loop, which runs at about the speed of a copy
(benchmarks/kernels.py), and grad · np.sign(out) makes a temporary array of signs and reads it again.
Here one loop runs over the flat arrays and writes each result once, as a select, not a product:

    forward   out[i]    = 0 if z[i] ≤ 0 else z[i]   a NaN fails every comparison and passes through;
                                                    −0 and −∞ become +0, as np.maximum(z, 0) gives
    backward  grad_z[i] = grad[i]            where out[i] > 0
                        = −grad[i]           where out[i] < 0
                        = grad[i]·|out[i]|   else: out[i] is ±0, and grad·(+0) is what np.sign gives
                                             (∞·0 = NaN), or out[i] is NaN and so is the product

The index i runs over range(n) and cannot be negative, so numba drops its wraparound check and
vectorises the loop. Each call runs on its caller's thread without the GIL. The fast path's ReLU
calls these with C-contiguous float32/float64 arrays (grad and out of one shape and dtype).
"""

from __future__ import annotations

import numba
import numpy as np

from minidl.kernels.arrays import require_layout


@numba.njit(cache=True, nogil=True)
def _relu_into(z: np.ndarray, out: np.ndarray) -> None:
    """out = max(0, z) for flat z and out of one length."""
    for i in range(z.size):
        value = z[i]
        out[i] = 0 if value <= 0 else value


@numba.njit(cache=True, nogil=True)
def _relu_backward_into(grad: np.ndarray, out: np.ndarray, grad_z: np.ndarray) -> None:
    """grad_z = grad · sign(out) for flat arrays of one length, as the selects of the module docstring."""
    for i in range(grad.size):
        g, o = grad[i], out[i]
        grad_z[i] = g if o > 0 else (-g if o < 0 else g * abs(o))


def relu_forward(z: np.ndarray) -> np.ndarray:
    """max(0, z), entry by entry, for a C-contiguous float32/float64 z of any shape."""
    require_layout("relu", "z", z, np.shape(z))
    out = np.empty_like(z)
    _relu_into(z.reshape(-1), out.reshape(-1))
    return out


def relu_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """∂L/∂z = ∂L/∂out · sign(out), from the forward output `out` and a gradient `grad` of its shape and dtype."""
    require_layout("relu", "out", out, np.shape(out))
    require_layout("relu", "gradients", grad, out.shape, out.dtype)
    grad_z = np.empty_like(grad)
    _relu_backward_into(grad.reshape(-1), out.reshape(-1), grad_z.reshape(-1))
    return grad_z
