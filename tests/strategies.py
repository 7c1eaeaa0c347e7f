"""Hypothesis strategies shared by the tests: float64 arrays kept away from the points where a
function is singular or has a kink, so that finite differences measure a true derivative."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)


def values(shape, low: float = -3.0, high: float = 3.0):
    """float64 arrays with entries in [low, high]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_infinity=False))


def positive(shape, low: float = 0.5, high: float = 4.0):
    """float64 arrays with entries in [low, high], for log, sqrt and fractional powers."""
    return values(shape, low, high)


def nonzero(shape, low: float = 0.25, high: float = 3.0):
    """float64 arrays with |entries| in [low, high], for division, abs and relu (kink at 0)."""
    magnitude = st.floats(low, high, allow_nan=False)
    return hnp.arrays(np.float64, shape, elements=st.one_of(magnitude, magnitude.map(lambda v: -v)))


@st.composite
def distinct(draw, shape):
    """float64 arrays whose entries differ by at least 0.25, so that max has no near-ties."""
    size = int(np.prod(shape))
    order = draw(st.permutations(range(size)))
    return (np.asarray(order, dtype=np.float64) * 0.25 - 1.0).reshape(shape)


def leaf(array) -> minidl.Tensor:
    return minidl.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def off_grid(shape, step: float = 0.5, gap: float = 0.1, low: float = -3.0, high: float = 3.0):
    """float64 arrays whose entries keep `gap` away from every multiple of `step`: the jumps of
    floor, ceil and round, and the bounds of clip and hardtanh when those sit on the grid."""

    def shift(v: float) -> float:
        k = np.floor(v / step)
        return float(k * step + gap + (v / step - k) * (step - 2 * gap))

    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False).map(shift))


def grid(shape, step: float = 0.5, low: float = -3.0, high: float = 3.0):
    """float64 arrays of multiples of `step`: partners for off_grid values that never tie with them."""
    return hnp.arrays(
        np.float64, shape, elements=st.integers(int(low / step), int(high / step)).map(lambda k: k * step)
    )
