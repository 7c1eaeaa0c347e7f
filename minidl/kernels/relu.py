"""ReLU on the fast path: the reading path's ReLUFunction (minidl/ops/activations.py), each pass one
numba loop over memory (relu_numba.py).

The loops take float32/float64 only; other dtypes (integers stay integers, float16), and a grad
whose dtype differs from the output's (the product then takes NumPy's promoted dtype), stay on the
reading path. A strided input or a broadcast gradient (zero strides: the gradient of a sum) is
copied into C order first: the copy and the loop each run at about the speed of memory, while
np.maximum on a strided array is slower than a copy.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context
from minidl.kernels.arrays import KERNEL_DTYPES
from minidl.kernels.backend import numba_module
from minidl.ops.activations import ReLUFunction


def _c_order(array: np.ndarray) -> np.ndarray:
    """array itself when C-contiguous (a 0-d array always is: np.ascontiguousarray would make it 1-d), else a C copy."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


class ReLU(ReLUFunction):
    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        if np.asarray(z).dtype not in KERNEL_DTYPES:
            return ReLUFunction.forward(ctx, z)
        out = numba_module("relu_numba").relu_forward(_c_order(np.asarray(z)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved
        grad = np.asarray(grad)
        if grad.dtype != out.dtype or grad.dtype not in KERNEL_DTYPES:
            return ReLUFunction.backward(ctx, grad)
        return numba_module("relu_numba").relu_backward(_c_order(grad), _c_order(out))
