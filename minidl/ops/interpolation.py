"""Resizing one axis as a matrix, out = M @ in with M (n_out, n_in), in PyTorch's conventions.

Output pixel d looks at the input position s(d):
    align_corners=False (half-pixel centres, OpenCV's INTER_LINEAR)  s = (d + ½)·r − ½
    align_corners=True (the corner pixels of input and output meet)  s = d·(n_in − 1)/(n_out − 1)
    nearest                                                          s = d·r, taken down to an integer
with r = 1/scale when the caller gave a scale factor, else n_in/n_out (as PyTorch, which uses the
given factor, not the rounded sizes). Bilinear: with s₀ = ⌊s⌋ and f = s − s₀ the row of M holds
1 − f at s₀ and f at s₀ + 1; a position before the first pixel is clamped to it and one past the
last pixel takes the last pixel. A 2-D resize is M_rows @ image @ M_columnsᵀ, and, being linear,
its gradient is M_rowsᵀ @ grad @ M_columns.
"""

from __future__ import annotations

import numpy as np


def _ratio(n_in: int, n_out: int, scale: float | None) -> float:
    return 1.0 / scale if scale is not None else n_in / n_out


def nearest_indices(n_in: int, n_out: int, scale: float | None = None) -> np.ndarray:
    """The input pixel each output pixel copies: min(⌊d·r⌋, n_in − 1)."""
    return np.minimum(np.floor(np.arange(n_out) * _ratio(n_in, n_out, scale)).astype(np.int64), n_in - 1)


def nearest_matrix(n_in: int, n_out: int, scale: float | None = None) -> np.ndarray:
    matrix = np.zeros((n_out, n_in))
    matrix[np.arange(n_out), nearest_indices(n_in, n_out, scale)] = 1.0
    return matrix


def bilinear_matrix(n_in: int, n_out: int, align_corners: bool = False, scale: float | None = None) -> np.ndarray:
    if align_corners:
        source = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        source = (np.arange(n_out) + 0.5) * _ratio(n_in, n_out, scale) - 0.5
    first = np.floor(source).astype(np.int64)
    fraction = source - first
    before, after = first < 0, first >= n_in - 1
    first[before], fraction[before] = 0, 0.0
    first[after], fraction[after] = n_in - 1, 0.0
    matrix = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(matrix, (rows, first), 1.0 - fraction)
    np.add.at(matrix, (rows, np.minimum(first + 1, n_in - 1)), fraction)
    return matrix
