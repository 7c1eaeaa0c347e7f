"""Bilinear interpolation as a matrix, with half-pixel centres (OpenCV's INTER_LINEAR, PyTorch's
align_corners=False): resizing an axis from n_in to n_out pixels is out = M @ in with M (n_out, n_in).

Output pixel d samples the input at s = (d + ½)·(n_in / n_out) − ½; with s₀ = ⌊s⌋ and f = s − s₀
its row of M holds 1 − f at s₀ and f at s₀ + 1. A position before the first pixel is clamped to
it (s₀ = 0, f = 0) and one past the last pixel takes the last pixel. A 2-D resize is
M_rows @ image @ M_columnsᵀ, and, being linear, its gradient is M_rowsᵀ @ grad @ M_columns.
"""
from __future__ import annotations

import numpy as np


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    source = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
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
