"""Waiting for another thread's signal without going to sleep, for a bounded number of reads.

A thread that sleeps on a lock or a condition variable is woken through the kernel: the waker makes a
system call and the sleeper goes back through the scheduler, and on a virtual machine the idle
virtual CPU must be woken first. On the 2-core VM of the benchmarks, map_pieces paid two such
wake-ups per call (hand the work over, hand the result back): 50-67 µs a call with empty pieces,
four calls per LeNet-5 training step (32 µs with the spin). OpenMP runtimes avoid it the same way as here
(libgomp's GOMP_SPINCOUNT): between two parallel regions the waiting thread reads a shared counter
in a loop, and sleeps only when nothing came for a while.

The counters only grow (a count of jobs posted, of jobs finished), and a waiter waits for a count
to reach a target, not merely to change: a count that moved on past an earlier target never reads
as the later one. The loop is numba code that releases the GIL, so a spinning thread never holds the
interpreter that the signalling thread needs. Each read is an atomic load with acquire ordering (LLVM's
`load atomic ... acquire`): a plain load inside a loop that writes nothing may legally be hoisted out
of the loop by the compiler, and the loop would then never see the change.
"""

from __future__ import annotations

import functools
import operator
import time

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _address(context, builder, signature, arguments):
    """The address of counters[index] (the intrinsics' first two arguments)."""
    array_type = signature.args[0]
    array = context.make_array(array_type)(context, builder, arguments[0])
    return cgutils.get_item_pointer(context, builder, array_type, array, [arguments[1]])


@intrinsic
def _load_acquire(typing_context, counters, index):
    """counters[index] read with acquire ordering (aligned int64 counters, index in bounds: the caller's guarantee)."""

    def codegen(context, builder, signature, arguments):
        return builder.load_atomic(_address(context, builder, signature, arguments), "acquire", 8)

    return types.int64(counters, index), codegen


@intrinsic
def _store_release(typing_context, counters, index, value):
    """counters[index] = value, written with release ordering."""

    def codegen(context, builder, signature, arguments):
        builder.store_atomic(arguments[2], _address(context, builder, signature, arguments), "release", 8)
        return context.get_dummy_value()

    return types.void(counters, index, value), codegen


@numba.njit(cache=True, nogil=True)
def _spin_until_at_least(counters: np.ndarray, index: int, target: int, reads: int, told: int, telling: int) -> int:
    if told >= 0:
        _store_release(counters, told, telling)
    value = _load_acquire(counters, index)
    for _ in range(reads - 1):
        if value >= target:
            break
        value = _load_acquire(counters, index)
    return value


def spin_until_at_least(
    counters: np.ndarray, index: int, target: int, reads: int, *, tell: tuple[int, int] | None = None
) -> int:
    """counters[index] once it is at least `target`, read up to `reads` times without the GIL; the
    last value read if it never got there. `counters` is a one-dimensional, aligned int64 array that
    another thread raises.

    tell=(slot, value) first writes counters[slot] = value, once the GIL is released: a thread that
    waits for that value may take the GIL at once, instead of sleeping until this thread lets go of it."""
    index, target, reads = operator.index(index), operator.index(target), operator.index(reads)
    told, telling = (-1, 0) if tell is None else map(operator.index, tell)
    if counters.dtype != np.int64 or counters.ndim != 1:
        raise ValueError(f"spin_until_at_least: expected a 1-d int64 array, got {counters.dtype} {counters.shape}")
    # Aligned for int64 (flags.aligned) is a multiple of 8 wherever numba runs (64-bit platforms only).
    if not counters.flags.aligned or counters.strides[0] % 8:
        raise ValueError(
            "spin_until_at_least: every counter must lie at an address that is a multiple of 8 (an atomic"
            f" load's need); got an array with aligned={counters.flags.aligned}, stride {counters.strides[0]}"
        )
    if not 0 <= index < counters.shape[0] or not (tell is None or 0 <= told < counters.shape[0]):
        raise ValueError(
            f"spin_until_at_least: index {index} and tell {tell} must lie inside the {counters.shape[0]} counters"
        )
    if tell is not None and not counters.flags.writeable:
        raise ValueError("spin_until_at_least: tell writes into the counters, which are read-only")
    return _spin_until_at_least(counters, index, target, max(1, reads), told, telling)


@functools.cache
def reads_per_second() -> float:
    """How many reads of a counter short of its target spin_until_at_least makes a second on this
    machine (timed once, ~1 ms: the best of three runs of 2²⁰ reads, the first of which compiles or loads it)."""
    counter = np.zeros(1, np.int64)
    reads = 1 << 20
    fastest = np.inf
    for _ in range(3):
        start = time.perf_counter()
        spin_until_at_least(counter, 0, 1, reads)
        fastest = min(fastest, time.perf_counter() - start)
    return reads / fastest
