"""Resizing explanation maps to the input size: bilinear with half-pixel centres, as OpenCV's
INTER_LINEAR and PyTorch's interpolate(mode="bilinear", align_corners=False) do it when enlarging
(the interpolation matrices are in minidl/ops/interpolation.py)."""

from __future__ import annotations

import numpy as np

from minidl.ops.interpolation import bilinear_matrix


def resize_bilinear(maps: np.ndarray, height: int, width: int) -> np.ndarray:
    """maps (..., h, w) resized to (..., height, width)."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2 or height < 1 or width < 1:
        raise ValueError(
            f"resize_bilinear: need maps (..., h, w) and a positive size, got {maps.shape} to ({height}, {width})"
        )
    return bilinear_matrix(maps.shape[-2], height) @ maps @ bilinear_matrix(maps.shape[-1], width).T
