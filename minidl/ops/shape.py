"""Primitives that move entries without changing them: reshape, transpose, concatenate, stack,
broadcast_to (expand), tile (repeat) and flip.

Their backward passes move the gradient back the same way; where the forward pass copied an
entry (broadcast_to, tile), the copies' gradients are added up.
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


class BroadcastTo(Function):
    """f(a) = a repeated along new leading axes and along its size-1 axes to `shape` (NumPy's
    broadcast_to, PyTorch's expand);  every copy sends its gradient back, and summing the copies is
    exactly what the engine's `unbroadcast` does, so backward passes the gradient on as it is."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad


class Tile(Function):
    """f(a) = a repeated reps[i] times along axis i (np.tile, PyTorch's repeat); `reps` has one entry
    per axis of the result, a gaining leading size-1 axes when it has fewer. Backward views the
    gradient as (reps₀, size₀, reps₁, size₁, …) and sums over the repeats."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, reps: tuple[int, ...]) -> np.ndarray:
        sizes = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.save_for_backward(sizes, reps, a.shape)
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        sizes, reps, shape = ctx.saved
        interleaved = tuple(n for pair in zip(reps, sizes, strict=True) for n in pair)
        return grad.reshape(interleaved).sum(axis=tuple(range(0, 2 * len(reps), 2))).reshape(shape)


class Flip(Function):
    """f(a) = a with the order of entries reversed along `axes`;  the gradient is flipped back."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        ctx.save_for_backward(axes)
        return np.flip(a, axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (axes,) = ctx.saved
        return np.flip(grad, axes)
