"""Primitives that pick entries: indexing `a[idx]` and `where(cond, a, b)`.

Indexing may pick an entry several times (integer arrays with repeats, a[[0, 0, 1]]); every pick
received a share of the output gradient, so backward adds them up with `np.add.at`, which
accumulates over repeated indices where plain `grad[idx] += g` would keep only the last one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.autograd import Context, Function


def is_basic_index(index: Any) -> bool:
    """True for indices made of ints, slices, None and Ellipsis only: they never repeat an entry."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """f(a) = a[index];  df/da scatters the gradient back to the picked entries, summing repeats."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any) -> np.ndarray:
        ctx.save_for_backward(a.shape, index)
        return a[index]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, index = ctx.saved
        full = np.zeros(shape, dtype=grad.dtype)
        if is_basic_index(index):
            full[index] = grad
        else:
            np.add.at(full, index, grad)
        return full


class Where(Function):
    """f(a, b) = a where cond else b (cond is a constant boolean array);
    df/da = 1 where cond, df/db = 1 where not cond."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray, cond: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (cond,) = ctx.saved
        zero = np.zeros((), dtype=grad.dtype)
        return np.where(cond, grad, zero), np.where(cond, zero, grad)
