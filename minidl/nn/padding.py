"""Padding layers: ZeroPad2d frames the last two axes with zeros (F.pad2d)."""

from __future__ import annotations

from minidl import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor


class ZeroPad2d(Module):
    """Zero padding: padding = p or (left, right, top, bottom)."""

    def __init__(self, padding: int | tuple[int, int, int, int]):
        super().__init__()
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.pad2d(x, self.padding)

    def extra_repr(self) -> str:
        return f"padding={self.padding}"
