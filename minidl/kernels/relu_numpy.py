"""ReLU in plain NumPy, forward and backward: the reference the numba kernels (relu_numba.py) must
agree with entry for entry.

Forward: f(z) = max(0, z). np.maximum keeps a NaN (NaN in, NaN out), sends −∞ and −0 to +0, and
keeps integers integers. Backward: f'(z) is sign(f(z)) — 1 where the output is positive, 0 where it
is 0, NaN where it is NaN — so the gradient needs only the output, ∂L/∂z = ∂L/∂out · sign(out);
an infinite gradient meeting a zero output gives ∞·0 = NaN.
"""

from __future__ import annotations

import numpy as np


def relu_forward(z: np.ndarray) -> np.ndarray:
    """max(0, z), entry by entry, for z of any shape and dtype."""
    return np.maximum(z, 0)


def relu_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """∂L/∂z = ∂L/∂out · sign(out), from the forward output `out` and a gradient `grad` of its shape."""
    return grad * np.sign(out)
