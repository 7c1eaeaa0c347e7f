"""Module: the base class of layers and models, with PyTorch's interface.

A Module owns Parameters (learned), buffers (state that is saved but not learned) and child
Modules, registered simply by assigning them as attributes. From that registry come
`parameters()`, `state_dict()` with PyTorch's dotted keys ("features.3.bias"), train/eval mode,
forward hooks and a readable repr tree.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor

ForwardHook = Callable[["Module", tuple[Any, ...], Any], Any]


class HookHandle:
    """Returned by register_forward_hook; `remove()` unregisters the hook."""

    def __init__(self, hooks: dict[int, ForwardHook], key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_next_hook", 0)
        object.__setattr__(self, "training", True)

    # ----- registration ----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning {name!r}")
        if name in self._buffers and (value is None or isinstance(value, Tensor)) and not isinstance(value, Parameter):
            self._buffers[name] = value
            return
        for registry in (self._parameters, self._buffers, self._modules, self.__dict__):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Called only when normal lookup fails: look in the registries.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def register_buffer(self, name: str, value: np.ndarray | Tensor | None) -> None:
        """State saved in state_dict but not learned (e.g. BatchNorm's running mean)."""
        self._buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # ----- calling -----------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    def register_forward_hook(self, hook: ForwardHook) -> HookHandle:
        """hook(module, inputs, output) runs after every forward; a non-None return replaces output."""
        key = self._next_hook
        object.__setattr__(self, "_next_hook", key + 1)
        self._forward_hooks[key] = hook
        return HookHandle(self._forward_hooks, key)

    # ----- traversal ---------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((name, m) for name, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        yield from (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names ("" for this one)."""
        stack = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(reversed([(f"{name}.{child}" if name else child, m) for child, m in module.named_children()]))

    def modules(self) -> Iterator[Module]:
        yield from (m for _, m in self.named_modules())

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> Iterator[Parameter]:
        yield from (p for _, p in self.named_parameters())

    def _named_state(self) -> Iterator[tuple[str, Tensor]]:
        """Parameters and buffers, with the keys state_dict uses."""
        for prefix, module in self.named_modules():
            for registry in (module._parameters, module._buffers):
                for name, t in registry.items():
                    if t is not None:
                        yield (f"{prefix}.{name}" if prefix else name), t

    # ----- modes and gradients -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # ----- saving and loading ------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and buffer as NumPy arrays, keyed as PyTorch keys them."""
        return OrderedDict((key, t.data.copy()) for key, t in self._named_state())

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy arrays into parameters and buffers (cast to their dtypes).

        Shapes must match. With strict=True, missing and unexpected keys are errors too; otherwise
        they are returned as (missing, unexpected). Nothing is changed unless every check passes.
        """
        own = dict(self._named_state())
        given = {
            key: np.asarray(value.data if isinstance(value, Tensor) else value) for key, value in state_dict.items()
        }
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        wrong_shape = [
            f"{k}: expected {own[k].shape}, got {given[k].shape}"
            for k in own
            if k in given and given[k].shape != own[k].shape
        ]
        problems = []
        if wrong_shape:
            problems.append("wrong shape: " + "; ".join(wrong_shape))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + " | ".join(problems))
        for key, value in given.items():
            if key in own:
                own[key].data = value.astype(own[key].dtype, copy=True)
        return missing, unexpected

    # ----- printing ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's settings, shown between the parentheses of its repr."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = ([self.extra_repr()] if self.extra_repr() else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
