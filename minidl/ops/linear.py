"""The dense layer y = x Wᵀ + b as one Function, W (out, in) as in PyTorch.

The same sums as x @ W.T + b from three Functions (Transpose, MatMul, Add), whose backward passes
give the same gradients; one node instead of three costs less Python per step, which is most of a
small network's step. With x of shape (..., in) and its leading axes taken as rows, X (rows, in)
and G = dL/dy (rows, out):

    forward   y = X Wᵀ + b
    backward  dL/dX = G W,   dL/dW = Gᵀ X,   dL/db = Σ_rows G
"""

from __future__ import annotations

import math

import numpy as np

from minidl.autograd import Context, Function


class Linear(Function):
    """x (..., in), W (out, in) and b (out,) or none; F.linear hands other biases to broadcasting."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        ctx.save_for_backward(x, weight)
        out = x @ weight.T
        if bias is None:
            return out
        if np.result_type(out, bias) != out.dtype:  # e.g. a float64 bias on float32 products: as x @ W.T + b
            return out + bias
        out += bias  # (out is the product's own new array)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, weight = ctx.saved
        rows = as_rows(grad)  # G (rows, out)
        grad_x = grad @ weight if ctx.needs_input_grad[0] else None
        grad_w = rows.T @ as_rows(x) if ctx.needs_input_grad[1] else None
        grad_b = rows.sum(axis=0) if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


def as_rows(array: np.ndarray) -> np.ndarray:
    """array (..., k) as (rows, k), its leading axes taken as rows (k may be 0: no reshape(-1, 0))."""
    return array.reshape(math.prod(array.shape[:-1]), array.shape[-1])
