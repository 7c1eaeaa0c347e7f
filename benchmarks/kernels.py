"""The kernels alone, numba against their NumPy twins, at LeNet sizes: the speed-up each buys."""

from __future__ import annotations

import numpy as np

from benchmarks.timing import interleaved_timings
from minidl.kernels import (
    Window,
    col2im,
    im2col,
    max_pool_backward,
    max_pool_forward,
    relu_backward,
    relu_forward,
    use_kernels,
)


def run(repeats: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    conv_input = rng.standard_normal((64, 6, 14, 14)).astype(np.float32)  # LeNet conv2's input
    conv_window = Window((5, 5), (1, 1))
    cols = im2col(conv_input, conv_window)
    pool_input = rng.standard_normal((64, 6, 28, 28)).astype(np.float32)  # LeNet pool1's input
    pool_window = Window((2, 2), (2, 2))
    out, winner = max_pool_forward(pool_input, pool_window)
    grad = np.ones_like(out)
    relu_input = rng.standard_normal((64, 6, 28, 28)).astype(np.float32)  # LeNet conv1's output
    relu_out = relu_forward(relu_input)
    relu_grad = rng.standard_normal(relu_out.shape).astype(np.float32)
    work = {
        f"im2col {conv_input.shape} k5 -> cols {cols.shape}": lambda: im2col(conv_input, conv_window),
        f"col2im cols {cols.shape} -> {conv_input.shape}": lambda: col2im(cols, conv_input.shape, conv_window),
        f"max-pool forward {pool_input.shape} k2": lambda: max_pool_forward(pool_input, pool_window),
        f"max-pool backward {out.shape} -> {pool_input.shape}": lambda: max_pool_backward(
            grad, winner, pool_input.shape
        ),
        f"ReLU forward {relu_input.shape}": lambda: relu_forward(relu_input),
        f"ReLU backward {relu_out.shape}": lambda: relu_backward(relu_grad, relu_out),
    }
    rows = []
    for name, fn in work.items():
        candidates = {}
        for backend, label in (("numba", "minidl"), ("numpy", "minidl (numpy kernels)")):

            def call(fn=fn, backend=backend) -> None:
                with use_kernels(backend):
                    fn()

            candidates[label] = call
        rows.append({"suite": "kernels", "case": name, **interleaved_timings(candidates, repeats)})
    return rows
