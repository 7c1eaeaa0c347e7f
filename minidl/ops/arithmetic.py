"""The arithmetic primitives: +, -, *, /, unary minus, powers (constant or tensor exponent) and the
entry-wise maximum and minimum of two tensors.

Each backward returns the gradient in the broadcast shape of the output; the engine reduces it
to each input's shape (see `minidl.autograd.unbroadcast`).
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.elementwise import keep_nan


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


class Power(Function):
    """f(a, b) = a^b for a tensor exponent b (x ** t, 2 ** t);  df/da = b·a^(b−1), df/db = a^b · ln a.

    ln a is undefined for a ≤ 0; at a = 0 with b ≥ 0 the term a^b·ln a tends to 0 and is taken as
    0 (as PyTorch), elsewhere a negative base gives NaN for df/db.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b, out = ctx.saved
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                grad_a = grad * b * a ** (b - 1)
            if ctx.needs_input_grad[1]:
                grad_b = grad * np.where((a == 0) & (b >= 0), 0, out * np.log(a))
        return grad_a, grad_b


class Maximum(Function):
    """f(a, b) = max(a, b) entry by entry;  df/da = 1 where a > b, df/db = 1 where b > a, and a tie
    shares the gradient in halves (as PyTorch). A NaN entry gets a NaN gradient (see keep_nan)."""

    choose, a_wins = staticmethod(np.maximum), staticmethod(np.greater)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return cls.choose(a, b)

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved
        tie, a_wins = a == b, cls.a_wins(a, b)
        half = 0.5 * grad
        return (
            keep_nan(np.where(tie, half, grad * a_wins), a),
            keep_nan(np.where(tie, half, grad * ~(a_wins | tie)), b),
        )


class Minimum(Maximum):
    """f(a, b) = min(a, b) entry by entry;  the gradient goes to the smaller entry, in halves on a tie."""

    choose, a_wins = staticmethod(np.minimum), staticmethod(np.less)
