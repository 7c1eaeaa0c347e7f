"""summary(model, input_shape): each layer's output shape and parameter count, as Keras and
torchsummary print them, found by running one forward pass with hooks on the leaf modules."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from minidl.autograd import no_grad
from minidl.nn.module import Module
from minidl.tensor import Tensor


def summary(model: Module, input_shape: Sequence[int], dtype=np.float32, print_fn=print) -> str:
    """Print (and return) the table for an input of `input_shape` (batch axis included)."""
    rows: list[tuple[str, str, int]] = []
    handles = []
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    for name, module in leaves:
        def record(m, inputs, output, name=name):
            shape = tuple(output.shape) if isinstance(output, Tensor) else "?"
            rows.append((f"{name} ({type(m).__name__})", str(shape), sum(p.size for p in m._parameters.values() if p is not None)))
        handles.append(module.register_forward_hook(record))
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(Tensor(np.zeros(tuple(input_shape), dtype=dtype)))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    total = sum(p.size for p in model.parameters())
    width = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
    lines = [f"{'Layer (type)':<{width}}{'Output Shape':<22}{'Param #':>10}", "=" * (width + 32)]
    lines += [f"{layer:<{width}}{shape:<22}{count:>10,}" for layer, shape, count in rows]
    lines += ["=" * (width + 32), f"Total params: {total:,}",
              f"Trainable params: {sum(p.size for p in model.parameters() if p.requires_grad):,}"]
    text = "\n".join(lines)
    print_fn(text)
    return text
