"""Maps sent to the browser as base64 bytes, one byte per pixel, row by row: a 40×40 map is
2 KB of text instead of 10 KB of JSON numbers, which keeps live frames small and fast."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def encode_unit(values: np.ndarray) -> str:
    """Values in [0, 1] as bytes 0..255."""
    return _base64(np.round(np.clip(values, 0.0, 1.0) * 255))


def encode_signed(values: np.ndarray) -> dict[str, Any]:
    """Values divided by their largest magnitude m, so in [−1, 1], as bytes 0..255 (127.5 is 0),
    with m: the page draws negative and positive values in two colours and can print the scale."""
    scale = float(np.abs(values).max()) if values.size else 0.0
    scaled = values / scale if scale > 0 else np.zeros_like(values)
    return {"scale": scale, "bytes": _base64(np.round((scaled + 1.0) * 127.5))}


def _base64(byte_values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(byte_values, dtype=np.uint8).tobytes()).decode("ascii")
