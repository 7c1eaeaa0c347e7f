"""summary(model, input_shape): each layer's output shape, parameter count and multiply-adds, as
Keras, torchsummary and torchinfo print them, found by one forward pass with hooks on the leaf
modules; it prints the table and returns None. multiply_adds(model, input_shape) gives the total
alone (FLOPs ≈ 2 × multiply-adds)."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from minidl.autograd import no_grad
from minidl.nn.conv import Conv2d, ConvTranspose2d
from minidl.nn.linear import Linear
from minidl.nn.module import Module
from minidl.tensor import Tensor


class LayerRecord(NamedTuple):
    name: str
    kind: str
    output_shape: tuple[int, ...] | str
    parameters: int
    multiply_adds: int


def _multiply_adds(module: Module, inputs: tuple, output: object) -> int:
    """Each output of a Conv2d sums C/groups·kh·kw products, each output of a Linear in_features of them;
    each input pixel of a ConvTranspose2d is multiplied into C_out·kh·kw outputs."""
    if not isinstance(output, Tensor):
        return 0
    if isinstance(module, ConvTranspose2d):
        return inputs[0].size * int(np.prod(module.weight.shape[1:]))
    if isinstance(module, Conv2d):
        return output.size * int(np.prod(module.weight.shape[1:]))
    if isinstance(module, Linear):
        return output.size * module.weight.shape[1]
    return 0


def trace_layers(model: Module, input_shape: Sequence[int], dtype=np.float32) -> list[LayerRecord]:
    """One record per leaf module, in the order the forward pass runs them (batch axis included)."""
    records: list[LayerRecord] = []
    handles = []
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    for name, module in leaves:

        def record(m, inputs, output, name=name):
            shape = tuple(output.shape) if isinstance(output, Tensor) else "?"
            count = sum(p.size for p in m._parameters.values() if p is not None)
            records.append(LayerRecord(name, type(m).__name__, shape, count, _multiply_adds(m, inputs, output)))

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
    return records


def multiply_adds(model: Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of one forward pass of an input of input_shape (batch axis included)."""
    return sum(r.multiply_adds for r in trace_layers(model, input_shape))


def summary(model: Module, input_shape: Sequence[int], dtype=np.float32, print_fn=print) -> None:
    """Print the table for an input of `input_shape` (batch axis included), as Keras does.

    It returns None, so that a notebook or REPL shows the table once; pass print_fn (for example
    a list's append) to receive the text instead of printing it."""
    records = trace_layers(model, input_shape, dtype)
    rows = [(f"{r.name} ({r.kind})", str(r.output_shape), r.parameters, r.multiply_adds) for r in records]
    width = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
    rule = "=" * (width + 46)
    lines = [f"{'Layer (type)':<{width}}{'Output Shape':<22}{'Param #':>10}{'Mult-Adds':>14}", rule]
    lines += [f"{layer:<{width}}{shape:<22}{count:>10,}{adds:>14,}" for layer, shape, count, adds in rows]
    lines += [
        rule,
        f"Total params: {sum(p.size for p in model.parameters()):,}",
        f"Trainable params: {sum(p.size for p in model.parameters() if p.requires_grad):,}",
        f"Total mult-adds: {sum(r.multiply_adds for r in records):,}",
    ]
    print_fn("\n".join(lines))
