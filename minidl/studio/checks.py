"""Checks of the values a browser or curl sends (JSON numbers, strings and objects): each raises
ValueError naming the field, the value as it was written and what is allowed, which the app answers
with a 400. JSON's true and false are not numbers here, though Python counts bool as int, and a
misspelt field is refused rather than silently left at its default."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

ECHO_CHARACTERS = 60  # a longer value is echoed cut short: a 401-digit number need not fill the message


def as_written(value: Any) -> str:
    """value as the JSON text the browser or curl wrote (true, "3", 1e999 read as Infinity), cut to
    ECHO_CHARACTERS with its full length said; what JSON cannot hold (a value from Python) as its repr.
    json.loads accepts a few levels of nesting more than json.dumps writes back: such a value is
    named, not echoed."""
    try:
        text = json.dumps(value, default=repr)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply to echo"
    return text if len(text) <= ECHO_CHARACTERS else f"{text[: ECHO_CHARACTERS - 20]}… ({len(text)} characters)"


def check_known(kind: str, values: dict[str, Any], known: Collection[str]) -> None:
    """Refuse keys of `values` that are not in `known`, listing the known ones (kind: "field", "setting")."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown {kind}(s) {', '.join(map(as_written, unknown))}; known: {', '.join(sorted(known))}")


def check_choice(name: str, value: Any, allowed: Collection[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {as_written(value)}")
    return value


def check_number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {as_written(value)}")
    return float(value)


def check_integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {as_written(value)}")
    return value
