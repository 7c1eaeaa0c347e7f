"""Framing the spatial axes (the last two) of an array, and cutting the frame off again."""

from __future__ import annotations

import numpy as np

Frame = tuple[int, int, int, int]  # (top, bottom, left, right)


def framed_shape(shape: tuple[int, ...], frame: Frame) -> tuple[int, ...]:
    """The shape of an array of `shape` once its last two axes carry `frame`."""
    top, bottom, left, right = frame
    *leading, height, width = shape
    return (*leading, top + height + bottom, left + width + right)


def pad_spatial(x: np.ndarray, frame: Frame, value: float = 0.0) -> np.ndarray:
    """x with `frame` rows/columns of `value` added around its last two axes (a new C-contiguous
    array: filled, then x copied in, which is what np.pad does with more Python overhead)."""
    if not any(frame):
        return x
    top, _, left, _ = frame
    height, width = x.shape[-2:]
    padded = np.full(framed_shape(x.shape, frame), value, dtype=x.dtype)
    padded[..., top : top + height, left : left + width] = x
    return padded


def crop_spatial(x: np.ndarray, frame: Frame) -> np.ndarray:
    """The inverse of pad_spatial: x without the frame."""
    top, bottom, left, right = frame
    return x[..., top : x.shape[-2] - bottom, left : x.shape[-1] - right]
