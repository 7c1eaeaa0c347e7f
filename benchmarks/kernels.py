"""The numba kernels alone against their twins on the reading path, at LeNet sizes: the speed-up each buys."""

from __future__ import annotations

from typing import Callable

import numpy as np

from benchmarks.timing import interleaved_timings
from minidl.kernels import im2col_numba, pooling_numba, relu_numba
from minidl.ops import im2col as reading_im2col
from minidl.ops.pooling import MaxPooling2d
from minidl.ops.window import Window, framed_shape


def _max_pool_reading_path(x: np.ndarray, window: Window, grad: np.ndarray | None = None) -> Callable[[], object]:
    """The reading path's max-pool forward, or its backward from `grad` after one forward."""
    from minidl.autograd import Context

    ctx = Context((True,))
    if grad is None:
        return lambda: MaxPooling2d.forward(ctx, x, window=window)
    MaxPooling2d.forward(ctx, x, window=window)
    return lambda: MaxPooling2d.backward(ctx, grad)


def run(repeats: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    conv_input = rng.standard_normal((64, 6, 14, 14)).astype(np.float32)  # LeNet conv2's input
    conv_window = Window((5, 5), (1, 1))
    cols = reading_im2col.im2col(conv_input, conv_window)
    framed = framed_shape(conv_input.shape, conv_window.frame(14, 14))
    pool_input = rng.standard_normal((64, 6, 28, 28)).astype(np.float32)  # LeNet pool1's input
    pool_window = Window((2, 2), (2, 2))
    out, winner = pooling_numba.max_pool_forward(pool_input, pool_window)
    grad = np.ones_like(out)
    relu_input = rng.standard_normal((64, 6, 28, 28)).astype(np.float32)  # LeNet conv1's output
    relu_out = relu_numba.relu_forward(relu_input)
    relu_grad = rng.standard_normal(relu_out.shape).astype(np.float32)
    work = {  # case: (numba, reading path)
        f"im2col {conv_input.shape} k5 -> cols {cols.shape}": (
            lambda: im2col_numba.im2col(conv_input, conv_window, np.empty_like(cols)),
            lambda: reading_im2col.im2col(conv_input, conv_window),
        ),
        f"col2im cols {cols.shape} -> {conv_input.shape}": (
            lambda: im2col_numba.col2im(cols, conv_input.shape, conv_window, np.zeros(framed, np.float32)),
            lambda: reading_im2col.col2im(cols, conv_input.shape, conv_window),
        ),
        f"max-pool forward {pool_input.shape} k2": (
            lambda: pooling_numba.max_pool_forward(pool_input, pool_window),
            _max_pool_reading_path(pool_input, pool_window),
        ),
        f"max-pool backward {out.shape} -> {pool_input.shape}": (
            lambda: pooling_numba.max_pool_backward(grad, winner, pool_input.shape),
            _max_pool_reading_path(pool_input, pool_window, grad),
        ),
        f"ReLU forward {relu_input.shape}": (
            lambda: relu_numba.relu_forward(relu_input),
            lambda: np.maximum(relu_input, 0),
        ),
        f"ReLU backward {relu_out.shape}": (
            lambda: relu_numba.relu_backward(relu_grad, relu_out),
            lambda: relu_grad * np.sign(relu_out),
        ),
    }
    rows = []
    for name, (fast, plain) in work.items():
        timings = interleaved_timings({"minidl": fast, "minidl (reading path)": plain}, repeats)
        rows.append({"suite": "kernels", "case": name, **timings})
    return rows
