"""Primitives that move entries without changing them: reshape, transpose, concatenate, stack.

Their backward passes move the gradient back the same way, so they are exact inverses of the
forward rearrangement.
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function


class Reshape(Function):
    """f(a) = a viewed with a new shape;  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.save_for_backward(a.shape)
        return a.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (shape,) = ctx.saved
        return grad.reshape(shape)


class Transpose(Function):
    """f(a) = a with its axes permuted by `axes`;  the gradient is permuted by the inverse."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        ctx.save_for_backward(axes)
        return a.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (axes,) = ctx.saved
        return grad.transpose(np.argsort(axes))


class Concatenate(Function):
    """f(a₁, …, aₙ) = the aᵢ joined along `axis`;  each gets its own slice of the gradient."""

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int) -> np.ndarray:
        ctx.save_for_backward(np.cumsum([a.shape[axis] for a in arrays[:-1]]), axis)
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        boundaries, axis = ctx.saved
        return tuple(np.split(grad, boundaries, axis=axis))


class Stack(Function):
    """f(a₁, …, aₙ) = the aᵢ stacked along a new `axis`;  aᵢ gets the gradient's i-th slice there."""

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int) -> np.ndarray:
        ctx.save_for_backward(len(arrays), axis)
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        count, axis = ctx.saved
        return tuple(np.take(grad, i, axis=axis) for i in range(count))
