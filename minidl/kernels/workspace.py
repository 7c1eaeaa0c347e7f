"""Scratch memory kept between calls: the convolution's large temporary arrays (pieces of im2col
matrices and of their gradients), borrowed for one call and given back after it.

Why: glibc gives large freed blocks back to the system and faults their pages in again at the next
allocation, and two threads faulting at once wait for each other in the kernel. Borrowed from here,
the same memory serves step after step: a training loop asks for the same sizes again and again
(the benchmarks' documentation gives the page faults and step times measured with and without it).

At most LIMIT_BYTES are kept while not borrowed; what is given back beyond that is left to the
garbage collector. release_workspace() lets go of all of it. Only memory that no array outlives
may be given back: a borrowed array is used inside the call and nothing keeps a view of it.
"""

from __future__ import annotations

import math
import os
import threading
from contextlib import contextmanager
from typing import Iterator

import numpy as np

LIMIT_BYTES = 128 << 20


class Workspace:
    """Raw byte blocks by size: borrowed() hands out the smallest free block that fits (at most twice
    the size asked for, so that a small request does not hold a large block), else a new one."""

    def __init__(self, limit_bytes: int = LIMIT_BYTES):
        self.limit_bytes = limit_bytes
        self._lock = threading.Lock()
        self._free: list[np.ndarray] = []  # 1-D uint8 blocks, not borrowed now

    @property
    def kept_bytes(self) -> int:
        with self._lock:
            return sum(block.nbytes for block in self._free)

    def _take(self, nbytes: int) -> np.ndarray:
        with self._lock:
            fitting = [k for k, block in enumerate(self._free) if nbytes <= block.nbytes <= 2 * max(nbytes, 1)]
            if fitting:
                return self._free.pop(min(fitting, key=lambda k: self._free[k].nbytes))
        return np.empty(nbytes, dtype=np.uint8)

    def _give_back(self, block: np.ndarray) -> None:
        with self._lock:
            if sum(kept.nbytes for kept in self._free) + block.nbytes <= self.limit_bytes:
                self._free.append(block)

    @contextmanager
    def borrowed(self, shapes: list[tuple[int, ...]], dtype: np.dtype) -> Iterator[list[np.ndarray]]:
        """Uninitialised C-contiguous arrays of these shapes and dtype, for the duration of the block."""
        dtype = np.dtype(dtype)
        sizes = [math.prod(shape) * dtype.itemsize for shape in shapes]
        blocks = [self._take(nbytes) for nbytes in sizes]
        try:
            yield [block[:nbytes].view(dtype).reshape(shape) for block, nbytes, shape in zip(blocks, sizes, shapes)]
        finally:
            for block in blocks:
                self._give_back(block)

    def release(self) -> None:
        """Let go of every block kept while not borrowed."""
        with self._lock:
            self._free.clear()

    def forget_after_fork(self) -> None:
        """In a forked child: a new lock (another of the parent's threads may have held this one at
        the fork, and no thread of the child would ever release it) and no kept blocks."""
        self._lock = threading.Lock()
        self._free = []


workspace = Workspace()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=workspace.forget_after_fork)


def release_workspace() -> None:
    """Give the memory minidl keeps between convolutions back to the garbage collector."""
    workspace.release()
