"""Timing shared by the benchmarks: medians of repeated runs, candidates interleaved round-robin so
that a slow spell of a shared machine hits every candidate alike."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def interleaved_medians(candidates: dict[str, Callable[[], object]], repeats: int,
                        warmup: int = 1) -> dict[str, float]:
    """Median wall-clock seconds of each candidate over `repeats` rounds (after `warmup` rounds)."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for round_ in range(warmup + repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            if round_ >= warmup:
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}
