"""Reductions over axes: sum, mean and max, each with `axes` (a normalized tuple) and `keepdims`.

Backward spreads the output gradient back over the reduced axes: evenly copied for sum, divided by
the count for mean, and routed to a single maximal entry for max.
"""
from __future__ import annotations

import math

import numpy as np

from minidl.autograd import Context, Function


def _expand_reduced(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put the reduced axes back as size-1 axes, so that grad broadcasts against the input."""
    return grad if keepdims else np.expand_dims(grad, axes)


class Sum(Function):
    """f(a) = Σ a over `axes`;  df/da_i = 1 for every summed entry."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        ctx.save_for_backward(a.shape, axes, keepdims)
        return np.sum(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, axes, keepdims = ctx.saved
        return np.broadcast_to(_expand_reduced(grad, axes, keepdims), shape)


class Mean(Function):
    """f(a) = (1/n) Σ a over `axes`, n the number of entries reduced;  df/da_i = 1/n."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        ctx.save_for_backward(a.shape, axes, keepdims)
        return np.mean(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, axes, keepdims = ctx.saved
        count = math.prod(shape[axis] for axis in axes)
        return np.broadcast_to(_expand_reduced(grad, axes, keepdims) / count, shape)


class Max(Function):
    """f(a) = max a over `axes`;  df/da_i = 1 for one maximal entry per reduction, 0 elsewhere.

    Tie rule: when several entries share the maximum, the first one in C order over the reduced
    axes (the one `np.argmax` picks) gets the whole gradient. The gradient is a valid
    subgradient either way; picking one entry keeps Σ grad equal to the output's gradient.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        ctx.save_for_backward(a, axes, keepdims)
        return np.max(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, axes, keepdims = ctx.saved
        kept = tuple(axis for axis in range(a.ndim) if axis not in axes)
        order = kept + axes
        # Move the reduced axes to the end and flatten them, so one argmax finds the winner.
        moved = a.transpose(order)
        flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
        winner = np.zeros(flat.shape, dtype=bool)
        np.put_along_axis(winner, flat.argmax(axis=-1)[..., np.newaxis], True, axis=-1)
        winner = winner.reshape(moved.shape).transpose(np.argsort(order))
        return _expand_reduced(grad, axes, keepdims) * winner
