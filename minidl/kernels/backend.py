"""Which implementation runs the hot loops: "numba" (the default) or "numpy" (the reference twins).

Chosen by the environment variable MINIDL_KERNELS when minidl is imported, and changed in code with
set_kernel_backend(name) or, for a block, `with use_kernels("numpy"): ...`. The choice lives in a
context variable, so a block in one thread does not switch the kernels of another.
"""

from __future__ import annotations

import functools
import importlib
import os
from contextlib import contextmanager
from contextvars import ContextVar
from types import ModuleType
from typing import Iterator

BACKENDS = ("numba", "numpy")
ENVIRONMENT_VARIABLE = "MINIDL_KERNELS"


def _checked(name: str, where: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"{where}: the kernel backend must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    return name


_DEFAULT_BACKEND = _checked(os.environ.get(ENVIRONMENT_VARIABLE, "numba").strip().lower(), ENVIRONMENT_VARIABLE)
_backend: ContextVar[str] = ContextVar("minidl_kernel_backend", default=_DEFAULT_BACKEND)


def kernel_backend() -> str:
    """The backend the kernels use now: "numba" or "numpy"."""
    return _backend.get()


def set_kernel_backend(name: str) -> None:
    _backend.set(_checked(name, "set_kernel_backend"))


@contextmanager
def use_kernels(name: str) -> Iterator[None]:
    """Run the block with the given backend, then restore the previous one (also on error)."""
    token = _backend.set(_checked(name, "use_kernels"))
    try:
        yield
    finally:
        _backend.reset(token)


@functools.cache
def numba_module(name: str) -> ModuleType:
    """minidl.kernels.<name>, one of the numba kernels' files, imported on first use, so that
    `import minidl` does not import numba."""
    return importlib.import_module(f"minidl.kernels.{name}")
