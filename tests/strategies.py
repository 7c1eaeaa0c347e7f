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
