"""2-D max-pooling: out[n, c, y, x] = max of the kh×kw window of x at (y·s − p, x·s − p), with
−∞ padding (so padding never wins). The gradient flows only to the entry that won each window:
the first maximal one in row-major window order when several tie (as np.argmax picks).
The loops live in minidl.kernels (pooling_numpy.py teaches them, pooling_numba.py runs them).
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels import Window, max_pool_backward, max_pool_forward


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> np.ndarray:
        out, winner = max_pool_forward(x, Window(kernel, stride, padding))
        ctx.save_for_backward(winner, x.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        winner, x_shape = ctx.saved
        return max_pool_backward(grad, winner, x_shape)
