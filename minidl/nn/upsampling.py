"""Upsample: enlarge feature maps by an integer factor, 'nearest' or 'bilinear' (align_corners=False)."""
from __future__ import annotations

from minidl import functional as F
from minidl.nn.module import Module
from minidl.shapes import positive_int
from minidl.tensor import Tensor


class Upsample(Module):
    def __init__(self, scale_factor: int, mode: str = "nearest"):
        super().__init__()
        self.scale_factor = positive_int("Upsample", "scale_factor", scale_factor)
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"Upsample: mode must be 'nearest' or 'bilinear', got {mode!r}")
        self.mode = mode

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, self.scale_factor, self.mode)

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
