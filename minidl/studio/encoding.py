"""What live training sends to the browser. Maps go as base64 bytes, one byte per pixel, row by row:
a 40×40 map is 2 KB of text instead of 10 KB of JSON numbers, which keeps live frames small and
fast. Messages go as JSON the browser's JSON.parse accepts: a run whose loss diverged produces NaN
and infinities, which JSON has no words for."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np


def encode_unit(values: np.ndarray) -> str:
    """Values in [0, 1] as bytes 0..255 (NaN as 0)."""
    return _base64(np.round(np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * 255))


def encode_signed(values: np.ndarray) -> dict[str, Any]:
    """Values divided by their largest magnitude m, so in [−1, 1], as bytes 0..255 (127.5 is 0),
    with m: the page draws negative and positive values in two colours and can print the scale.
    Without a finite, positive m (all zeros, or a NaN or an infinity among them) all are drawn as 0."""
    scale = float(np.abs(values).max()) if values.size else 0.0
    scaled = values / scale if math.isfinite(scale) and scale > 0 else np.zeros_like(values)
    return {"scale": scale, "bytes": _base64(np.round((scaled + 1.0) * 127.5))}


def browser_json(message: dict[str, Any]) -> str:
    """message as JSON text; if it holds NaN or an infinity, those become null and the message
    says "diverged": true, which the page explains."""
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps({**_finite(message), "diverged": True}, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _base64(byte_values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(byte_values, dtype=np.uint8).tobytes()).decode("ascii")
