"""Waiting for another thread's signal without going to sleep, for a bounded number of reads.

A thread that sleeps on a lock or a condition variable is woken through the kernel: the waker makes a
system call and the sleeper goes back through the scheduler, and on a virtual machine the idle
virtual CPU must be woken first. On the 2-core VM of the benchmarks, map_pieces paid two such
wake-ups per call (hand the work over, hand the result back): 50-67 µs a call with empty pieces,
four calls per LeNet-5 training step (32 µs with the spin). OpenMP runtimes avoid it the same way as here
(libgomp's GOMP_SPINCOUNT): between two parallel regions the waiting thread reads a shared counter
in a loop, and sleeps only when nothing came for a while.

The loop is numba code that releases the GIL, so a spinning thread never holds the interpreter that
the signalling thread needs. Each read is an atomic load with acquire ordering (LLVM's
`load atomic ... acquire`): a plain load inside a loop that writes nothing may legally be hoisted out
of the loop by the compiler, and the loop would then never see the change.
"""

from __future__ import annotations

import functools
import time

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _load_acquire(typing_context, counters, index):
    """counters[index] read with acquire ordering (int64 counters, index in bounds: the caller's guarantee)."""
    signature = types.int64(counters, index)

    def codegen(context, builder, signature, arguments):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, arguments[0])
        address = cgutils.get_item_pointer(context, builder, array_type, array, [arguments[1]])
        return builder.load_atomic(address, "acquire", 8)

    return signature, codegen


@intrinsic
def _store_release(typing_context, counters, index, value):
    """counters[index] = value, written with release ordering."""
    signature = types.void(counters, index, value)

    def codegen(context, builder, signature, arguments):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, arguments[0])
        address = cgutils.get_item_pointer(context, builder, array_type, array, [arguments[1]])
        builder.store_atomic(arguments[2], address, "release", 8)
        return context.get_dummy_value()

    return signature, codegen


@numba.njit(cache=True, nogil=True)
def _spin_until_changed(counters: np.ndarray, index: int, seen: int, reads: int, told: int, telling: int) -> int:
    if told >= 0:
        _store_release(counters, told, telling)
    value = seen
    for _ in range(reads):
        value = _load_acquire(counters, index)
        if value != seen:
            break
    return value


def spin_until_changed(
    counters: np.ndarray, index: int, seen: int, reads: int, *, tell: tuple[int, int] | None = None
) -> int:
    """counters[index] once it differs from `seen`, read up to `reads` times without the GIL; `seen`
    if it never did. `counters` is a one-dimensional int64 array that another thread writes.

    tell=(slot, value) first writes counters[slot] = value, once the GIL is released: a thread that
    waits for that value may take the GIL at once, instead of sleeping until this thread lets go of it."""
    told, telling = (-1, 0) if tell is None else tell
    inside = lambda slot: 0 <= slot < counters.shape[0]
    if counters.dtype != np.int64 or counters.ndim != 1 or not inside(index) or not (told == -1 or inside(told)):
        raise ValueError(
            f"spin_until_changed: expected a 1-d int64 array and indices inside it, "
            f"got {counters.dtype} of shape {counters.shape}, index {index} and tell {tell}"
        )
    return _spin_until_changed(counters, index, seen, reads, told, telling)


@functools.cache
def reads_per_second() -> float:
    """How many reads of an unchanging counter spin_until_changed makes a second on this machine
    (timed once, ~1 ms: the best of three runs of 2²⁰ reads, the first of which compiles or loads it)."""
    counter = np.zeros(1, np.int64)
    reads = 1 << 20
    fastest = np.inf
    for _ in range(3):
        start = time.perf_counter()
        spin_until_changed(counter, 0, 0, reads)
        fastest = min(fastest, time.perf_counter() - start)
    return reads / fastest
