"""Bilinear resizing with half-pixel centres, as OpenCV's INTER_LINEAR and PyTorch's
interpolate(mode="bilinear", align_corners=False) do it when enlarging.

Output pixel d of an axis of n_out pixels samples the input at s = (d + ½)·(n_in / n_out) − ½;
with s₀ = ⌊s⌋ and f = s − s₀, the value is (1 − f)·in[s₀] + f·in[s₀ + 1], where a position
before the first pixel is clamped to it (s₀ = 0, f = 0) and one past the last pixel takes the
last pixel (OpenCV's border rule).
"""
from __future__ import annotations

import numpy as np


def _taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output position: the two input indices and the weight of the second."""
    source = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    first = np.floor(source).astype(np.int64)
    fraction = source - first
    before, after = first < 0, first >= n_in - 1
    first[before], fraction[before] = 0, 0.0
    first[after], fraction[after] = n_in - 1, 0.0
    return first, np.minimum(first + 1, n_in - 1), fraction


def resize_bilinear(maps: np.ndarray, height: int, width: int) -> np.ndarray:
    """maps (..., h, w) resized to (..., height, width)."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2 or height < 1 or width < 1:
        raise ValueError(f"resize_bilinear: need maps (..., h, w) and a positive size, got {maps.shape} "
                         f"to ({height}, {width})")
    top, bottom, fy = _taps(maps.shape[-2], height)
    left, right, fx = _taps(maps.shape[-1], width)
    rows = maps[..., top, :] * (1 - fy)[:, None] + maps[..., bottom, :] * fy[:, None]
    return rows[..., left] * (1 - fx) + rows[..., right] * fx
