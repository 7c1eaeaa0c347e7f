"""Matrix product with NumPy's `@` semantics: 1-D, 2-D and batched, batch axes broadcast.

For C = A @ B with A (..., n, k) and B (..., k, m):  dL/dA = dL/dC @ Bᵀ,  dL/dB = Aᵀ @ dL/dC.
A 1-D A is a row (1, k) and a 1-D B a column (k, 1) whose added axis is dropped from the
result; backward puts that axis back, and the engine sums broadcast batch axes away.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function


def _swap_last(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class MatMul(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved
        a2 = a[np.newaxis, :] if a.ndim == 1 else a
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad @ _swap_last(b2)
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if ctx.needs_input_grad[1]:
            grad_b = _swap_last(a2) @ grad
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b
