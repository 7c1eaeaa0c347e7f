"""Reverse-mode automatic differentiation: the graph, its nodes and the backward sweep.

Every differentiable primitive is a `Function` with a `forward` that computes on NumPy arrays
and a `backward` that turns the gradient of the output into gradients of the inputs (the
vector-Jacobian product). `Function.apply` runs the forward pass on tensors and, when some input
requires a gradient, records a `Node` on the output so that `backward` can find its way back.

Broadcasting is undone in exactly one place, `unbroadcast`, which the backward sweep applies to
every gradient before it reaches an input (the idea of HIPS autograd): primitives return the
gradient in the broadcast shape of their output and never reduce it themselves.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

if TYPE_CHECKING:
    from minidl.tensor import Tensor


class _GradMode(threading.local):
    """Per thread, as in PyTorch: a server that predicts under no_grad in one thread while it
    trains in another must not switch off the other thread's graph."""

    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block (of this thread)."""
    return _grad_mode.enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager in which operations record no graph (evaluation, optimizer steps); it
    applies to the current thread only."""
    previous, _grad_mode.enabled = _grad_mode.enabled, False
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting.

    If x of shape `shape` was broadcast to grad.shape, every copy of x[i] received a share of
    the gradient, so dL/dx[i] is the sum over the copies: leading axes that broadcasting added
    are summed away, and axes where x had size 1 are summed with keepdims.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Context:
    """What a Function's forward pass leaves for its backward pass."""

    def __init__(self, needs_input_grad: tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self.saved: tuple[Any, ...] = ()

    def save_for_backward(self, *values: Any) -> None:
        self.saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """PyTorch's name for `saved`, so that a Function written for torch.autograd reads the same."""
        return self.saved


class Node:
    """The record of how a tensor was made: which Function, its context and its inputs."""

    __slots__ = ("function", "ctx", "inputs")

    def __init__(self, function: type[Function], ctx: Context, inputs: tuple[Tensor, ...]):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs


class Function:
    """A differentiable primitive: subclasses define `forward` and `backward` on NumPy arrays.

    forward(ctx, *arrays, **params) -> ndarray
    backward(ctx, grad) -> one gradient (ndarray, in the output's broadcast shape, or None) per
        tensor input, as a tuple when there are several.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        from minidl.tensor import Tensor

        needs_input_grad = tuple(t.requires_grad for t in inputs)
        record = _grad_mode.enabled and any(needs_input_grad)
        # Unrecorded (no_grad, or no input needs a gradient), no backward pass will ask for any:
        # forward may skip what only backward would use.
        ctx = Context(needs_input_grad if record else (False,) * len(inputs))
        data = cls.forward(ctx, *(t.data for t in inputs), **params)
        out = Tensor._from_array(data, requires_grad=record)
        if record:
            out._node = Node(cls, ctx, inputs)
        return out


def topological_order(root: Tensor) -> list[Tensor]:
    """Tensors that `root` depends on (through tensors requiring grad), inputs before outputs.

    An explicit stack replaces recursion, so a graph 100,000 operations deep is fine. Each tensor
    is pushed twice: once to expand its inputs, once (marked done) to be emitted after them.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            stack.extend((t, False) for t in tensor._node.inputs if t.requires_grad and id(t) not in visited)
    return order


def _accumulate(tensor: Tensor, grad: np.ndarray) -> None:
    grad = grad.astype(tensor.data.dtype, copy=False)
    tensor.grad = grad.copy() if tensor.grad is None else tensor.grad + grad


def backward(root: Tensor, grad: np.ndarray) -> None:
    """Propagate `grad` (dL/droot) to every tensor in root's graph that requires a gradient.

    Leaves accumulate into `.grad`; intermediate tensors do so only after `retain_grad()`.
    """
    pending = {id(root): grad}
    for tensor in reversed(topological_order(root)):
        out_grad = pending.pop(id(tensor), None)
        if out_grad is None:
            continue
        node = tensor._node
        if node is None or tensor._retains_grad:
            _accumulate(tensor, out_grad)
        if node is None:
            continue
        in_grads = node.function.backward(node.ctx, out_grad)
        if len(node.inputs) == 1:
            in_grads = (in_grads,)
        for inp, in_grad in zip(node.inputs, in_grads):
            if in_grad is None or not inp.requires_grad:
                continue
            in_grad = unbroadcast(np.asarray(in_grad), inp.shape)
            key = id(inp)
            pending[key] = in_grad if key not in pending else pending[key] + in_grad
