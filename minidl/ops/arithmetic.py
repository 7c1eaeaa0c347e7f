"""The arithmetic primitives: +, -, *, /, unary minus and a power with a constant exponent.

Each backward returns the gradient in the broadcast shape of the output; the engine reduces it
to each input's shape (see `minidl.autograd.unbroadcast`).
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function


class Add(Function):
    """f(a, b) = a + b;  df/da = 1, df/db = 1."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


class Sub(Function):
    """f(a, b) = a - b;  df/da = 1, df/db = -1."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, -grad


class Mul(Function):
    """f(a, b) = a * b;  df/da = b, df/db = a."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved
        return grad * b, grad * a


class Div(Function):
    """f(a, b) = a / b;  df/da = 1/b, df/db = -a/b²."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        a, b = ctx.saved
        grad_a = grad / b
        grad_b = -grad_a * a / b if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    """f(a) = -a;  df/da = -1."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return -grad


class Pow(Function):
    """f(a) = a**p for a constant p;  df/da = p·a**(p-1) (and 0 for p = 0, even at a = 0)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, exponent: float) -> np.ndarray:
        ctx.save_for_backward(a, exponent)
        return a**exponent

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, exponent = ctx.saved
        if exponent == 0:
            return np.zeros_like(grad)
        return grad * exponent * a ** (exponent - 1)
