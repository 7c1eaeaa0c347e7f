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
        raise ValueError(
            f"{op}: axis {axis} is out of range for a tensor of {ndim} dimension(s); expected {-ndim} <= axis < {ndim}"
        )
    return int(axis) % ndim


def normalize_axes(op: str, axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """`axis` (None = all axes, an int, or a sequence of ints) as a sorted tuple of distinct axes.

    A 0-d tensor accepts axis 0 or −1, as in PyTorch, and has no axis to reduce: the result is ().
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if ndim == 0:
        for a in axes:
            normalize_axis(op, a, 1)
        return ()
    normalized = tuple(normalize_axis(op, a, ndim) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(normalized))


def broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The NumPy broadcast of `shapes`, or a ValueError naming the operation and the shapes."""
    # Fast path for the usual cases — equal shapes, or scalars () beside one shape — which every
    # binary operation meets; np.broadcast_shapes costs more than the set below.
    shaped = {tuple(s) for s in shapes if len(s)}
    if len(shaped) <= 1:
        return shaped.pop() if shaped else ()
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{op}: shapes {listed} cannot be broadcast together (NumPy rules: "
            "aligned from the right, each pair of sizes equal or one of them 1)"
        ) from None


def int_pair(op: str, name: str, value: int | Sequence[int], minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each at least `minimum`, as a pair."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def positive_int(op: str, name: str, value: int) -> int:
    """A size that must be a whole number of at least 1 (features, channels)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)
