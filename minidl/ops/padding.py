"""Constant padding of the two spatial axes: f(x) = x framed by `value` (zeros by default); the
gradient is the incoming gradient with the frame cut off (the frame's cells depend on no input)."""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.window import Frame, crop_spatial, pad_spatial


class ConstantPadding2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, frame: Frame, value: float = 0.0) -> np.ndarray:
        ctx.save_for_backward(frame)
        return pad_spatial(x, frame, value)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (frame,) = ctx.saved
        return crop_spatial(grad, frame)
