"""Parameter: a Tensor that a Module owns and an optimizer updates (it always requires grad)."""

from __future__ import annotations

from typing import Any

from minidl.tensor import Tensor


class Parameter(Tensor):
    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
