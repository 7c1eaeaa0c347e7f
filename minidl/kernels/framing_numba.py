"""Row copies between image planes and the framed layouts that winograd_numba.py and direct_numba.py
work in, where a plane's rows sit a fixed step apart inside a frame of zeros; and the sum of a run,
which both take of each gradient plane for the bias.

Indices are unsigned (see im2col_numba.py). The source is only read, so that read-only input (a
NumPy array with writeable=False, which numba types apart) compiles too.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def copy_rows(
    source: np.ndarray,
    source_start: np.uint64,
    source_step: np.uint64,
    target: np.ndarray,
    target_start: np.uint64,
    target_step: np.uint64,
    rows: int,
    columns: np.uint64,
) -> None:
    """target[target_start + r·target_step + k] = source[source_start + r·source_step + k] for the
    first `rows` rows r and `columns` values k of each, in flat arrays."""
    source_start, source_step = np.uint64(source_start), np.uint64(source_step)
    target_start, target_step, columns = np.uint64(target_start), np.uint64(target_step), np.uint64(columns)
    for r in range(np.uint64(rows)):
        row, into = source_start + r * source_step, target_start + r * target_step
        for k in range(columns):
            target[into + k] = source[row + k]


@numba.njit(cache=True, nogil=True, fastmath={"reassoc"})
def run_sum(values: np.ndarray, start: np.uint64, count: np.uint64) -> float:
    """Σ values[start : start + count] in float64; reassociated, so that it runs in vector lanes."""
    total = 0.0
    for k in range(np.uint64(count)):
        total += values[np.uint64(start) + k]
    return total
