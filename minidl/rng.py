"""The global random-number generator behind initialisation, dropout and shuffling.

Everything random in minidl draws from a `numpy.random.Generator`: the one passed in as `rng=`,
or else this module's, which `manual_seed(seed)` resets so that runs repeat exactly.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed minidl's global generator (as torch.manual_seed does) and return it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The global generator (reseeded by `manual_seed`)."""
    return _generator


def generator_for(seed: int | None) -> np.random.Generator:
    """A generator of its own for an explicit seed, so that a call repeats whatever ran before it;
    the global generator (reseeded by `manual_seed`) when seed is None."""
    return _generator if seed is None else np.random.default_rng(seed)
