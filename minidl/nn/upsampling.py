"""Upsample: resize feature maps to a size or by a scale factor, 'nearest' or 'bilinear' (F.interpolate)."""

from __future__ import annotations

from minidl import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Upsample(Module):
    """PyTorch's Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None)."""

    def __init__(
        self,
        size: int | tuple[int, int] | None = None,
        scale_factor: float | tuple[float, float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
    ):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError(
                f"Upsample: give exactly one of size and scale_factor, got size={size!r}, scale_factor={scale_factor!r}"
            )
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"Upsample: mode must be 'nearest' or 'bilinear', got {mode!r}")
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        where = f"size={self.size!r}" if self.size is not None else f"scale_factor={self.scale_factor!r}"
        corners = "" if self.align_corners is None else f", align_corners={self.align_corners}"
        return f"{where}, mode={self.mode!r}{corners}"
