"""The loop in which minidl's threads wait for each other (workers.py): a counter read without the
GIL, up to a number of times, until it reaches a target.

A thread asleep on a lock or a condition variable is woken through the operating system, and on a
virtual machine its idle virtual CPU must be woken first; reading a counter in a loop for a moment
before going to sleep avoids that between the convolutions of a training step, as OpenMP runtimes
do between parallel regions (libgomp's GOMP_SPINCOUNT).

Each read is an atomic load with acquire ordering (LLVM's `load atomic ... acquire`): a plain load in
a loop that writes nothing may legally be hoisted out of the loop by the compiler, which would then
never see the change. A spin may first tell another thread where it is, by writing a counter once
it has let go of the GIL (a sequentially consistent store, which the loads after it cannot pass):
the thread that waits for that counter then takes the GIL at once, instead of sleeping until the
spinning thread lets go of it. Under NUMBA_DISABLE_JIT this loop cannot run (the load is compiled
code only): workers.py then sleeps at once.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _address(context, builder, signature, arguments):
    """The address of counters[index], the intrinsics' first two arguments (aligned int64 counters,
    index in bounds: checked by spin_until)."""
    array_type = signature.args[0]
    array = context.make_array(array_type)(context, builder, arguments[0])
    return cgutils.get_item_pointer(context, builder, array_type, array, [arguments[1]])


@intrinsic
def _load_acquire(typing_context, counters, index):
    """counters[index], read with acquire ordering."""

    def codegen(context, builder, signature, arguments):
        return builder.load_atomic(_address(context, builder, signature, arguments), "acquire", 8)

    return types.int64(counters, index), codegen


@intrinsic
def _store_seq_cst(typing_context, counters, index, value):
    """counters[index] = value, sequentially consistent."""

    def codegen(context, builder, signature, arguments):
        builder.store_atomic(arguments[2], _address(context, builder, signature, arguments), "seq_cst", 8)
        return context.get_dummy_value()

    return types.void(counters, index, value), codegen


@numba.njit(cache=True, nogil=True)
def _spin_until(counters: np.ndarray, index: int, target: int, reads: int, told: int, telling: int) -> int:
    if told >= 0:
        _store_seq_cst(counters, told, telling)
    value = _load_acquire(counters, index)
    for _ in range(reads - 1):
        if value >= target:
            break
        value = _load_acquire(counters, index)
    return value


def spin_until(counters: np.ndarray, index: int, target: int, reads: int, tell: tuple[int, int] | None = None) -> bool:
    """Whether counters[index] reached `target` within `reads` reads; counters a one-dimensional,
    aligned int64 array that another thread raises. tell=(slot, value) first writes counters[slot] =
    value, once the GIL is let go of."""
    if counters.dtype != np.int64 or counters.ndim != 1 or not counters.flags.aligned or counters.strides[0] != 8:
        raise ValueError(
            f"spin_until: expected an aligned, contiguous 1-d int64 array, got {counters.dtype} {counters.shape}"
        )
    told, telling = (-1, 0) if tell is None else tell
    if not (0 <= index < len(counters) and -1 <= told < len(counters)):
        raise ValueError(f"spin_until: index {index} and tell {tell} must name some of the {len(counters)} counters")
    return _spin_until(counters, index, target, max(1, reads), told, telling) >= target


def reads_per_second() -> float:
    """How many reads of a counter short of its target the loop makes a second here (the best of three
    runs of 2²⁰ reads, the first of which compiles or loads it)."""
    counter, reads, fastest = np.zeros(1, np.int64), 1 << 20, np.inf
    for _ in range(3):
        start = time.perf_counter()
        spin_until(counter, 0, 1, reads)
        fastest = min(fastest, time.perf_counter() - start)
    return reads / fastest
