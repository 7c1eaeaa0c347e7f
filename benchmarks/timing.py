"""Timing shared by the benchmarks: medians of repeated runs, candidates interleaved round-robin so
that a slow spell of a shared machine hits every candidate alike.

A sample of a fast candidate is a loop of calls lasting about `min_sample_seconds`, divided by the
number of calls (what timeit's autorange does): one call of a millisecond is mostly noise on a
shared machine and starts from caches and a heap that the previous candidate left behind, while a
training loop calls the same step over and over.

When candidates alternate, each sample starts with `settle_seconds` of rest and then one untimed
sample: a BLAS keeps its worker threads spinning for a while after its last call (OpenBLAS about
2^28 cycles, ~0.1 s), and those threads would otherwise eat into the next candidate's time on a
2-core machine (measured: PyTorch's LeNet-5 epoch took 302 ms right after minidl's and 251 ms after
half a second of rest); the untimed sample then wakes the candidate's own threads and caches,
which a rest alone leaves cold (PyTorch's conv2 step: 1.5 ms warm, 7.6 ms straight after a rest).
That untimed warm-up lasts at least WARM_SECONDS: a candidate whose threads hand work to each other
needs tens of milliseconds after a rest to reach the pace it keeps in a training loop (measured:
minidl's conv2 step on two threads, median of the first 50 calls after 0.2 s of rest 1.92 ms, of
the next 350 1.22 ms; after 0.05 s of rest no slow start). Every candidate gets the same warm-up.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Callable

SETTLE_SECONDS = 0.2
WARM_SECONDS = 0.1


def _seconds_per_call(fn: Callable[[], object], number: int, settle_seconds: float) -> float:
    if settle_seconds:
        time.sleep(settle_seconds)
        warm_until = time.perf_counter() + WARM_SECONDS
        calls = 0
        while calls < number or time.perf_counter() < warm_until:
            fn()
            calls += 1
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def interleaved_timings(
    candidates: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    min_sample_seconds: float = 0.02,
    settle_seconds: float | None = None,
) -> dict[str, dict[str, object]]:
    """Seconds per call of each candidate in each of `repeats` rounds, after `warmup` rounds that also
    choose how many calls make up one sample of each candidate. `settle_seconds` defaults to
    SETTLE_SECONDS when there are several candidates, and to no rest for a single one.

    Returns {"seconds": {name: median}, "samples": {name: [one per round]}}, ready to merge into a
    benchmark row; the k-th samples of two candidates were taken side by side, so their ratio is a
    paired measurement."""
    if settle_seconds is None:
        settle_seconds = SETTLE_SECONDS if len(candidates) > 1 else 0.0
    calls = dict.fromkeys(candidates, 1)
    for _ in range(warmup):
        for name, fn in candidates.items():
            seconds = _seconds_per_call(fn, calls[name], settle_seconds)
            calls[name] = max(1, math.ceil(min_sample_seconds / max(seconds, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            samples[name].append(_seconds_per_call(fn, calls[name], settle_seconds))
    return {"seconds": {name: statistics.median(times) for name, times in samples.items()}, "samples": samples}
