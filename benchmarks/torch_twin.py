"""PyTorch, when it is installed: minidl never needs it, the benchmarks only compare against it."""

from __future__ import annotations

from types import ModuleType


def import_torch() -> ModuleType | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


NOT_INSTALLED = (
    "PyTorch is not installed, so only minidl is timed; for the comparison install the CPU build "
    "in your own environment (pip install torch), never as a minidl dependency"
)
