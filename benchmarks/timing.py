"""Timing shared by the benchmarks: medians of repeated runs, candidates interleaved round-robin so
that a slow spell of a shared machine hits every candidate alike.

A sample of a fast candidate is a loop of calls lasting about `min_sample_seconds`, divided by the
number of calls (what timeit's autorange does): one call of a millisecond is mostly noise on a
shared machine and starts from caches and a heap that the previous candidate left behind, while a
training loop calls the same step over and over.
"""
from __future__ import annotations

import math
import statistics
import time
from typing import Callable


def _seconds_per_call(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def interleaved_timings(candidates: dict[str, Callable[[], object]], repeats: int,
                        warmup: int = 1, min_sample_seconds: float = 0.02) -> dict[str, dict[str, object]]:
    """Seconds per call of each candidate in each of `repeats` rounds, after `warmup` rounds that also
    choose how many calls make up one sample of each candidate.

    Returns {"seconds": {name: median}, "samples": {name: [one per round]}}, ready to merge into a
    benchmark row; the k-th samples of two candidates were taken side by side, so their ratio is a
    paired measurement."""
    calls = dict.fromkeys(candidates, 1)
    for _ in range(warmup):
        for name, fn in candidates.items():
            seconds = _seconds_per_call(fn, calls[name])
            calls[name] = max(1, math.ceil(min_sample_seconds / max(seconds, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            samples[name].append(_seconds_per_call(fn, calls[name]))
    return {"seconds": {name: statistics.median(times) for name, times in samples.items()}, "samples": samples}
