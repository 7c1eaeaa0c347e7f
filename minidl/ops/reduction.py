"""Reductions over axes — sum, mean, max, min, prod, var, logsumexp — each with `axes` (a normalized
tuple) and `keepdims`, and the running sum cumsum.

Backward spreads the output gradient back over the reduced axes: evenly copied for sum, divided by
the count for mean, routed to a single extreme entry for max and min, and weighted by the partial
derivative of each entry for prod, var and logsumexp.

Empty reductions follow PyTorch: a sum over nothing is 0, a mean over nothing is NaN, and max/min
over nothing are refused at the public boundary (`Tensor.max`). NaN rule (minidl's, for teaching):
a NaN never turns into a clean-looking gradient; where the result of a reduction is NaN, every entry
reduced into it gets a NaN gradient (as torch.amax, PyTorch's twin of `Tensor.max`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from minidl.autograd import Context, Function


def _expand_reduced(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put the reduced axes back as size-1 axes, so that grad broadcasts against the input."""
    return grad if keepdims else np.expand_dims(grad, axes)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many entries each reduction over `axes` combines."""
    return math.prod(shape[axis] for axis in axes)


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
    """f(a) = (1/n) Σ a over `axes`, n the number of entries reduced (NaN when n = 0);  df/da_i = 1/n."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        ctx.save_for_backward(a.shape, axes, keepdims)
        count = _count(a.shape, axes)
        total = np.sum(a, axis=axes, keepdims=keepdims)
        return total / count if count else np.full_like(total, np.nan)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, axes, keepdims = ctx.saved
        count = max(_count(shape, axes), 1)  # an empty reduction has no entry to send a gradient to
        return np.broadcast_to(_expand_reduced(grad, axes, keepdims) / count, shape)


def _reduced_axes_last(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """`a` with the reduced axes moved to the end and flattened into one, so that each reduction is
    a row; and the function that puts an array of that layout back into a's layout."""
    kept = tuple(axis for axis in range(a.ndim) if axis not in axes)
    order = kept + axes
    moved = a.transpose(order)
    flat = moved.reshape(moved.shape[: len(kept)] + (_count(a.shape, axes),))
    return flat, lambda rows: rows.reshape(moved.shape).transpose(np.argsort(order))


def _extreme_entry_gradient(
    a: np.ndarray,
    out: np.ndarray,
    grad: np.ndarray,
    axes: tuple[int, ...],
    keepdims: bool,
    pick: Callable[..., np.ndarray],
) -> np.ndarray:
    """grad sent to the entry `pick` (np.argmax or np.argmin) chooses in each reduction, 0 elsewhere;
    NaN to every entry of a reduction whose result is NaN."""
    flat, restore = _reduced_axes_last(a, axes)
    winner = np.zeros(flat.shape, dtype=bool)
    np.put_along_axis(winner, pick(flat, axis=-1)[..., np.newaxis], True, axis=-1)
    winner = restore(winner)
    out, grad = _expand_reduced(out, axes, keepdims), _expand_reduced(grad, axes, keepdims)
    routed = grad * winner
    return np.where(np.isnan(out), np.nan, routed) if np.isnan(out).any() else routed


class Max(Function):
    """f(a) = max a over `axes`;  df/da_i = 1 for one maximal entry per reduction, 0 elsewhere.

    Tie rule: when several entries share the maximum, the first one in C order over the reduced
    axes (the one `np.argmax` picks) gets the whole gradient. The gradient is a valid
    subgradient either way; picking one entry keeps Σ grad equal to the output's gradient.
    (PyTorch's amax shares it evenly among the ties instead; its max(dim) picks one, as here.)
    """

    extreme, pick = staticmethod(np.max), staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        out = cls.extreme(a, axis=axes, keepdims=keepdims)
        ctx.save_for_backward(a, out, axes, keepdims)
        return out

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out, axes, keepdims = ctx.saved
        return _extreme_entry_gradient(a, out, grad, axes, keepdims, cls.pick)


class Min(Max):
    """f(a) = min a over `axes`;  df/da_i = 1 for the first minimal entry per reduction (Max's tie rule)."""

    extreme, pick = staticmethod(np.min), staticmethod(np.argmin)


class Prod(Function):
    """f(a) = Π a over `axes`;  df/da_i = Π_{j≠i} a_j, the product of the others.

    Not f/a_i, which divides by zero when a_i = 0 (and loses precision for tiny a_i): the product of
    the others is the product of the entries before i times that of the entries after i, two
    running products along the flattened reduction, exact with any number of zeros.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        ctx.save_for_backward(a, axes, keepdims)
        return np.prod(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, axes, keepdims = ctx.saved
        flat, restore = _reduced_axes_last(a, axes)
        before, after = np.ones_like(flat), np.ones_like(flat)
        before[..., 1:] = np.cumprod(flat[..., :-1], axis=-1)
        after[..., :-1] = np.flip(np.cumprod(np.flip(flat[..., 1:], -1), axis=-1), -1)
        return _expand_reduced(grad, axes, keepdims) * restore(before * after)


class Var(Function):
    """f(a) = Σ (a − ā)² / (n − ddof) over `axes`, ā the mean and n the count (NumPy's ddof,
    PyTorch's `correction`; ddof = 1 is the unbiased estimate);  df/da_i = 2 (a_i − ā) / (n − ddof).
    (The terms −2(a_j − ā)/n·… that ā contributes sum to zero, since Σ (a_j − ā) = 0.)
    n − ddof ≤ 0 gives inf or NaN, as in NumPy and PyTorch."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool, ddof: int) -> np.ndarray:
        count = _count(a.shape, axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            centred = a - np.sum(a, axis=axes, keepdims=True) / count
            divisor = max(count - ddof, 0)
            ctx.save_for_backward(centred, divisor, axes, keepdims)
            return np.sum(centred * centred, axis=axes, keepdims=keepdims) / np.asarray(divisor, dtype=a.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        centred, divisor, axes, keepdims = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return _expand_reduced(grad, axes, keepdims) * 2 * centred / np.asarray(divisor, dtype=centred.dtype)


class LogSumExp(Function):
    """f(a) = log Σ e^{a_i} over `axes`, computed as m + log Σ e^{a_i − m} with m = max a (finite m
    only; an all −∞ reduction gives −∞);  df/da_i = e^{a_i − f(a)} = softmax(a)_i."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        shift = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        shift = np.where(np.isfinite(shift), shift, 0).astype(a.dtype, copy=False)
        with np.errstate(divide="ignore"):
            out = shift + np.log(np.sum(np.exp(a - shift), axis=axes, keepdims=True))
        ctx.save_for_backward(a, out, axes, keepdims)
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out, axes, keepdims = ctx.saved
        return _expand_reduced(grad, axes, keepdims) * np.exp(a - out)


class CumSum(Function):
    """f(a)_i = Σ_{j ≤ i} a_j along `axis`;  df_i/da_j = 1 for j ≤ i, so dL/da_j = Σ_{i ≥ j} g_i:
    the running sum of the gradient taken from the other end."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: int) -> np.ndarray:
        ctx.save_for_backward(axis)
        return np.cumsum(a, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (axis,) = ctx.saved
        return np.flip(np.cumsum(np.flip(grad, axis), axis=axis), axis)
