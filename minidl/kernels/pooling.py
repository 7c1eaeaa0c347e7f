"""Max-pooling on the fast path: the reading path's MaxPooling2d (minidl/ops/pooling.py) by numba's
loops (pooling_numba.py), which find each window's maximum without building the window matrix and
remember the winner's place for the backward pass; a forward pass that no backward pass will follow
skips the winners."""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context
from minidl.kernels.backend import numba_module
from minidl.ops.pooling import MaxPooling2d as ReferenceMaxPooling2d
from minidl.ops.window import Window


class MaxPooling2d(ReferenceMaxPooling2d):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, window: Window) -> np.ndarray:
        loops = numba_module("pooling_numba")
        if not any(ctx.needs_input_grad):  # no backward pass will ask where the maxima were
            return loops.max_pool_values(x, window)
        out, winner = loops.max_pool_forward(x, window)
        ctx.save_for_backward(winner, x.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        winner, x_shape = ctx.saved
        return numba_module("pooling_numba").max_pool_backward(grad, winner, x_shape)
