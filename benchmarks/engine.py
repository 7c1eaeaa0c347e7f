"""The autograd engine's own cost: Python overhead per operation, a deep backward sweep, and a
small MLP training step — the places where a NumPy-based engine pays for being readable.

The cases are written once against the operations minidl and PyTorch share (*, @, .T, .sum(),
.relu(), .tanh(), .mean(), .backward()); only the making of tensors differs.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import minidl
from benchmarks.timing import interleaved_timings
from benchmarks.torch_twin import import_torch

MakeTensor = Callable[[np.ndarray, bool], Any]


def _cases(make: MakeTensor) -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    small_a = make(rng.standard_normal((4, 4)).astype(np.float32), True)
    small_b = make(rng.standard_normal((4, 4)).astype(np.float32), True)
    x = make(rng.standard_normal((256, 64)).astype(np.float32), False)
    w1 = make(rng.standard_normal((128, 64)).astype(np.float32) * 0.1, True)
    w2 = make(rng.standard_normal((10, 128)).astype(np.float32) * 0.1, True)

    def one_op_forward_backward():
        (small_a * small_b).sum().backward()

    def chain_10000():
        y = small_a
        for _ in range(10_000):
            y = y + 1.0
        y.sum().backward()

    def mlp_step():
        w1.grad = w2.grad = None
        ((x @ w1.T).relu() @ w2.T).tanh().mean().backward()

    return {
        "mul+sum forward/backward, 4x4": one_op_forward_backward,
        "chain of 10,000 adds, forward/backward": chain_10000,
        "MLP 64-128-10 step, batch 256": mlp_step,
    }


def run(repeats: int) -> list[dict[str, object]]:
    """Every case for minidl and (when importable) PyTorch, interleaved."""
    ours = _cases(lambda array, requires_grad: minidl.tensor(array, requires_grad=requires_grad))
    torch = import_torch()
    theirs = _cases(lambda array, requires_grad: torch.tensor(array, requires_grad=requires_grad)) if torch else {}
    rows = []
    for name, fn in ours.items():
        candidates = {"minidl": fn, **({"PyTorch": theirs[name]} if theirs else {})}
        rows.append({"suite": "engine", "case": name, **interleaved_timings(candidates, repeats)})
    return rows
