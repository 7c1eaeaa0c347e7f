"""How the pieces of a batch are handed to a second thread: minidl's helpers (minidl/kernels/workers.py:
each waits for its next piece by reading a counter for a moment before it sleeps) against a
concurrent.futures ThreadPoolExecutor (its threads sleep between jobs), and one worker alone.

The pool below shares the pieces out exactly as run_pieces does (the caller takes pieces too, each
thread takes the next piece as it comes free, BLAS at one thread, Ctrl-C and errors aside): only
the hand-over differs. It stands in for run_pieces in every fast-path module while it is timed.
"""

from __future__ import annotations

import contextvars
import importlib
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np

import minidl
import minidl.functional as F
from benchmarks.lenet import BATCH_SIZE, mnist_images
from benchmarks.timing import interleaved_timings
from minidl.kernels import one_blas_thread, use_workers
from minidl.kernels.workers import run_pieces
from minidl.models import LeNet5
from minidl.optim import SGD

SHARING_MODULES = ("convolution", "winograd", "direct")  # the modules that call run_pieces
_pool = ThreadPoolExecutor(1, "benchmark-pool")


def pool_run_pieces(work: Callable[[int, int], object], count: int, workers: int | None = None) -> list:
    """run_pieces on two threads, the second one concurrent.futures'."""
    results, pieces = [None] * count, iter(range(count))

    def take(worker: int) -> None:
        for piece in pieces:
            results[piece] = work(piece, worker)

    with one_blas_thread():
        if count < 2:
            take(0)
            return results
        helper = _pool.submit(contextvars.copy_context().run, take, 1)
        take(0)
        wait([helper])
        helper.result()
    return results


@contextmanager
def handing_over_with(run: Callable) -> Iterator[None]:
    modules = [importlib.import_module(f"minidl.kernels.{name}") for name in SHARING_MODULES]
    for module in modules:
        module.run_pieces = run
    try:
        yield
    finally:
        for module in modules:
            module.run_pieces = run_pieces


def _candidates(fn: Callable[[], object]) -> dict[str, Callable[[], None]]:
    def with_helpers() -> None:
        with use_workers(2):
            fn()

    def with_pool() -> None:
        with use_workers(2), handing_over_with(pool_run_pieces):
            fn()

    def alone() -> None:
        with use_workers(1):
            fn()

    return {"minidl": with_helpers, "concurrent.futures pool": with_pool, "one worker": alone}


def run(repeats: int, quick: bool = False) -> list[dict[str, object]]:
    empty = lambda piece, worker: piece  # noqa: E731 (a job that takes no time: the hand-over alone)
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((64, 6, 14, 14)).astype(np.float32), requires_grad=True)
    w = minidl.tensor(rng.standard_normal((16, 6, 5, 5)).astype(np.float32), requires_grad=True)
    images, labels = mnist_images(BATCH_SIZE * (4 if quick else 64))
    minidl.manual_seed(0)
    model = LeNet5()
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def conv2_step() -> None:
        x.grad = w.grad = None
        F.conv2d(x, w).sum().backward()

    def epoch() -> None:
        for start in range(0, len(images), BATCH_SIZE):
            optimizer.zero_grad()
            logits = model(minidl.tensor(images[start : start + BATCH_SIZE]))
            F.cross_entropy(logits, labels[start : start + BATCH_SIZE]).backward()
            optimizer.step()

    cases = {
        "hand-over of 2 empty pieces": lambda: run_pieces(empty, 2),
        "LeNet-5 conv2 (64,6,14,14) k5 -> 16, forward+backward": conv2_step,
        f"LeNet-5 training epoch, {len(images)} images, batch {BATCH_SIZE}": epoch,
    }
    rows = []
    for name, fn in cases.items():
        candidates = _candidates(fn)
        if name.startswith("hand-over"):  # the pool's hand-over of the same two pieces
            candidates["concurrent.futures pool"] = lambda: pool_run_pieces(empty, 2)
        rows.append({"suite": "workers", "case": name, **interleaved_timings(candidates, repeats)})
    return rows
