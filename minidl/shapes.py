"""Shape and axis checks at the public boundary, so that bad input fails with a message that
names the operation, the shapes and what was expected, instead of a NumPy error from deep inside.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    """A valid axis of an `ndim`-dimensional array as a non-negative int (negative counts from the end)."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of {ndim} dimension(s); "
                         f"expected {-ndim} <= axis < {ndim}")
    return int(axis) % ndim


def normalize_axes(op: str, axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """`axis` (None = all axes, an int, or a sequence of ints) as a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = tuple(normalize_axis(op, a, ndim) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(normalized))


def broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The NumPy broadcast of `shapes`, or a ValueError naming the operation and the shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{op}: shapes {listed} cannot be broadcast together (NumPy rules: "
                         "aligned from the right, each pair of sizes equal or one of them 1)") from None
