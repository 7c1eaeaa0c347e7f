"""Keep freed heap memory in the process while benchmarking, so that a layer timed in a loop runs
as it does inside a training loop.

glibc returns the top of its heap to the system once more than twice the largest recently freed
block lies free there. A convolution step frees two blocks of that size together (cols and the
gradient of cols, 3.8 MB each for LeNet's conv2), so a loop of that one step gives them back and
faults the pages in again at every step: 2,000 page faults and 5.9 ms per conv2 step instead of 0
and 2.0 ms, 3,400 faults at the CIFAR size. Inside a whole LeNet-5 training step the other arrays
keep the heap's top busy and no page faults (measured: 0 per step), so the isolated loop would
measure the allocator, not the layer. M_TOP_PAD makes glibc keep 64 MiB of free top when it trims;
set through mallopt, it also stops glibc's mmap threshold from moving (mallopt(3)), which the
environment variable MALLOC_TOP_PAD_ alone does not (a LeNet-5 epoch 153-156 ms this way, 189-197 ms
with the variable alone, 2026-11-29). Both minidl and PyTorch run in the same process, so both get
the same heap. minidl itself does not change the allocator: a library should not retune its user's
process (see the README for the environment variables that do the same for a script).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TOP_PAD = -2  # from glibc's malloc.h
TOP_PAD_BYTES = 64 << 20


def keep_freed_heap() -> str:
    """Set glibc's M_TOP_PAD; returns what was done, for the record of the run."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return "system default (not glibc)"
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if libc.mallopt(M_TOP_PAD, TOP_PAD_BYTES) != 1:
        return "system default (mallopt refused M_TOP_PAD)"
    return f"glibc M_TOP_PAD {TOP_PAD_BYTES >> 20} MiB"
