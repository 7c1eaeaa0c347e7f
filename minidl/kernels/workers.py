"""The cores shared out: the pieces of a batch run on minidl's worker threads, and BLAS runs one
thread per call meanwhile. Every thread of minidl's lives in this file.

Threads, not processes: numba's kernels and BLAS let go of the GIL while they run, so threads of
one process work at once, on arrays they share. A piece runs whole (gather, products, scatter) on
the thread that takes it, and the calling thread works too (it is worker 0); the others are
helpers, one thread each, made once and kept.

Why not concurrent.futures' ThreadPoolExecutor: its threads sleep between jobs, and on a virtual
machine waking a sleeping thread takes about as long as a LeNet-5 layer's piece (a training step
hands work over four times). So a helper, and the caller waiting for it, first read a counter
without the GIL for SPIN_SECONDS (spin_numba.py), then sleep on a condition variable. `python -m
benchmarks workers` measures both hand-overs side by side, the pool's too.

BLAS at one thread: OpenBLAS splits a large product between threads of its own, which spin for a
while after each call; beside minidl's workers they would fight them for the cores, and some of
their splits change a product's sums (minidl/blas_threads.py). So while the fast path runs, every
BLAS call stays on the thread that makes it: the pieces, which the batch alone decides (pieces.py),
fix every sum, whatever the number of workers. While the helpers have work, BLAS stays at one
thread between the calls too, for the program's own products as well, until they have been idle
for LINGER_SECONDS.

How many workers: MINIDL_WORKERS=N in the environment or set_workers(N) (1: no thread is
started); by default as many as BLAS may use threads (threadpoolctl reads it: a program that
limited BLAS to one thread, as the studio does to serve many requests at once, gets one worker),
at most the cores this process may run on.

Ctrl-C: the caller stops handing out pieces, waits for the pieces in flight (they write into its
arrays) and raises KeyboardInterrupt: within the time of one piece.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import operator
import os
import threading
import time
from contextlib import contextmanager
from types import ModuleType
from typing import Callable, Iterator, TypeVar

import numpy as np

from minidl import blas_threads

Result = TypeVar("Result")
ENVIRONMENT_VARIABLE = "MINIDL_WORKERS"


def _checked_count(value: object, where: str) -> int | None:
    """A worker count: a positive integer (a Python or NumPy one, or its text), or None (the default:
    follow BLAS)."""
    if value is None:
        return None
    try:
        count = int(str(value).strip()) if isinstance(value, str) else operator.index(value)
    except (TypeError, ValueError):
        count = None
    if isinstance(value, bool) or count is None or count < 1:
        raise ValueError(f"{where}: the number of workers must be a positive integer, got {value!r}")
    return count


_requested: int | None = _checked_count(os.environ.get(ENVIRONMENT_VARIABLE) or None, ENVIRONMENT_VARIABLE)


def set_workers(count: int | None) -> None:
    """Run the fast path on `count` threads from now on, in the whole process (1: the calling thread
    alone); None goes back to the default, as many as BLAS may use threads, at most the cores."""
    global _requested
    _requested = _checked_count(count, "set_workers")


@contextmanager
def use_workers(count: int | None) -> Iterator[None]:
    """set_workers(count) for the block, then the setting from before (also on error)."""
    previous = _requested
    set_workers(count)
    try:
        yield
    finally:
        set_workers(previous)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count() -> int:
    """How many threads the fast path uses now (set_workers, MINIDL_WORKERS, or the default)."""
    if _requested is not None:
        return _requested
    return max(1, min(available_cores(), blas_threads.programs_thread_count() or available_cores()))


class _InCrew(threading.local):
    """Whether this thread is a helper: a piece that itself shared pieces out would wait for helpers
    that may all be waiting too, so such a call runs its pieces in place."""

    active = False


_in_crew = _InCrew()

SPIN_SECONDS = 0.002
"""How long a thread reads a counter before it goes to sleep: about the gaps between the
convolutions of a LeNet-5 step, short enough that a program that stopped convolving has the core
back at once."""

LINGER_SECONDS = 1.0
"""How long BLAS stays at one thread after the helpers' last job. A product that OpenBLAS spreads
over its threads leaves them spinning for a while, and in that time they would take the cores
from the helpers of the next convolution: a weighted ridge on two BLAS threads between two LIME
explanations made the next explanation's forward passes three times slower (measured, before
minidl.xai held its fits to one thread). So the crew keeps BLAS at one thread while it is busy,
also for the program's own products, and gives BLAS its threads back once it has had no job for
this long."""


@functools.cache
def _spin() -> ModuleType | None:
    """spin_numba.py, imported on the first shared call (`import minidl` does not import numba); None
    under NUMBA_DISABLE_JIT, where its compiled load cannot run and every wait sleeps at once."""
    module = importlib.import_module("minidl.kernels.spin_numba")
    return None if module.numba.config.DISABLE_JIT else module


@functools.cache
def _spin_reads() -> int:
    return max(1, int(SPIN_SECONDS * _spin().reads_per_second())) if _spin() else 0


class _Helper:
    """One thread beside the caller's that runs the jobs it is posted, one at a time, and keeps the
    exception a job raised. Three counters, which only grow, say where it is: POSTED, FINISHED, and
    WAITING, the jobs finished when it last went back to waiting (written once it has let go of the
    GIL: a caller that waits for WAITING rather than FINISHED takes the GIL at once, instead of
    sleeping until the helper lets go of it). Each side waits for the other's counter to reach a
    target, reading it for SPIN_SECONDS, then asleep."""

    POSTED, FINISHED, WAITING = 0, 1, 2
    WAKE_SECONDS = 0.5
    """The longest sleep without a look at the counter: a notify that Ctrl-C cut off (between a
    counter's step and notify_all) costs at most this; a sleeping caller makes sure then that the
    helper has not died, a sleeping helper whether it has idled for LINGER_SECONDS."""

    def __init__(self, name: str, on_idle: Callable[[], None] | None = None) -> None:
        self.on_idle = on_idle  # called every WAKE_SECONDS once the helper has waited LINGER_SECONDS for a job
        self.counters = np.zeros(3, np.int64)
        self.condition = threading.Condition()
        self.job: Callable[[], object] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def _wait_until(self, slot: int, target: int, caller: bool = False, tell: tuple[int, int] | None = None) -> None:
        """Until counters[slot] >= target (the caller's spin reads WAITING, its sleep FINISHED); the
        caller's wait raises if the helper's thread has died."""
        spin_slot = self.WAITING if caller else slot
        if _spin_reads() and _spin().spin_until(self.counters, spin_slot, target, _spin_reads(), tell):
            return
        since = time.monotonic()
        with self.condition:
            while self.counters[slot] < target:
                if self.condition.wait(self.WAKE_SECONDS):
                    continue
                if caller and not self.thread.is_alive() and self.counters[slot] < target:
                    raise RuntimeError(f"minidl's worker thread {self.thread.name} died: its job never finished")
                if not caller and self.on_idle is not None and time.monotonic() - since >= LINGER_SECONDS:
                    self.on_idle()

    def _advance(self, slot: int) -> None:
        with self.condition:
            self.counters[slot] += 1
            self.condition.notify_all()

    def _serve(self) -> None:
        _in_crew.active = True
        while True:
            finished = int(self.counters[self.FINISHED])
            self._wait_until(self.POSTED, finished + 1, tell=(self.WAITING, finished))
            job, self.job = self.job, None
            try:
                job()
            except BaseException as error:  # handed to the caller, who raises it
                self.error = error
            job = None  # the job's arrays are the caller's to let go of
            self._advance(self.FINISHED)

    def post(self, job: Callable[[], object]) -> None:
        self.job, self.error = job, None
        self._advance(self.POSTED)

    def wait_for_jobs(self) -> None:
        """Until every job posted has finished (self.error then holds the exception the last one raised)."""
        self._wait_until(self.FINISHED, int(self.counters[self.POSTED]), caller=True)


class _Crew:
    """The helpers, one per core beside the caller's, used by one call at a time (busy), and the hold
    on BLAS that they keep while they have jobs (LINGER_SECONDS)."""

    def __init__(self, size: int) -> None:
        _spin_reads()  # numba's import, compilation and timing here: an error reaches the caller
        self.busy = threading.Lock()
        self.holds_blas = False
        self.helpers = [
            _Helper(f"minidl-worker-{k}", self.give_blas_back if k == 1 else None) for k in range(1, size + 1)
        ]

    def hold_blas(self) -> None:
        """BLAS at one thread from now until the helpers have been idle a while (the caller has busy)."""
        if not self.holds_blas:
            blas_threads.take_hold()
            self.holds_blas = True

    def give_blas_back(self) -> None:
        """The first helper's call while it has waited LINGER_SECONDS or more for a job (also when
        Ctrl-C stopped a call between hold_blas and its posts); a call in progress keeps the hold."""
        if self.busy.acquire(blocking=False):
            try:
                if self.holds_blas:
                    blas_threads.give_hold_back()
                    self.holds_blas = False
            finally:
                self.busy.release()


_crews_lock = threading.Lock()
_crews: dict[int, _Crew] = {}


def _crew(size: int) -> _Crew:
    """The crew of `size` helpers, made by the first caller that needs it, again if a thread died."""
    with _crews_lock:
        crew = _crews.get(size)
        if crew is None or not all(helper.thread.is_alive() for helper in crew.helpers):
            crew = _crews[size] = _Crew(size)
        return crew


def _forget_threads_after_fork() -> None:
    """A forked child has only the thread that forked: the parent's helpers do not exist there, so the
    child's first shared call makes a crew of its own (blas_threads.py forgets the crew's hold)."""
    global _crews_lock
    _crews.clear()
    _crews_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads_after_fork)


def run_pieces(work: Callable[[int, int], Result], count: int, workers: int | None = None) -> list[Result]:
    """[work(piece, worker) for piece in range(count)], BLAS at one thread meanwhile, the pieces
    taken one at a time by `workers` threads (default worker_count(), at most `count`; the caller is
    worker 0, and `worker` tells work which thread runs it, for scratch arrays made per worker).

    Any thread may take any piece, so work's result must depend on its piece alone, and it writes
    only where its piece says, into arrays the calling thread made (memory that a worker thread
    allocates comes from its own glibc arena, which gives it back to the system after each call and
    faults it in again at the next). A piece's exception is raised here once every thread is done."""
    workers = min(worker_count() if workers is None else workers, count)
    with blas_threads.one_blas_thread():
        crew = _crew(workers - 1) if workers > 1 and not _in_crew.active else None
        if crew is None or not crew.busy.acquire(blocking=False):  # another call has the crew: run here
            return [work(piece, 0) for piece in range(count)]
        try:
            crew.hold_blas()
            return _shared(crew.helpers[: workers - 1], work, count)
        finally:
            crew.busy.release()


def _shared(helpers: list[_Helper], work: Callable[[int, int], Result], count: int) -> list[Result]:
    results: list = [None] * count
    pieces = iter(range(count))  # next() on it is one step under the GIL: no piece is taken twice
    stop = threading.Event()

    def take(worker: int) -> None:
        for piece in pieces:
            if stop.is_set():
                return
            results[piece] = work(piece, worker)

    try:
        # Each helper runs in a copy of the caller's context, so that a use_kernels(...) block holds there too.
        for worker, helper in enumerate(helpers, start=1):
            helper.post(functools.partial(contextvars.copy_context().run, take, worker))
        take(0)
    except BaseException:
        stop.set()
        raise
    finally:
        errors = _collect(helpers, stop)
    if errors:
        raise errors[0]
    return results


def _collect(helpers: list[_Helper], stop: threading.Event) -> list[BaseException]:
    """Waits for every helper's jobs, also when Ctrl-C interrupts the wait (they write into the
    caller's arrays): the interruption stops the handing out of pieces, the wait starts over (for a
    helper already done it ends at once) and the interruption is raised afterwards. Returns the
    exceptions the helpers' jobs raised."""
    interruption = None
    while True:
        try:
            for helper in helpers:
                helper.wait_for_jobs()
            break
        except KeyboardInterrupt as signal:
            stop.set()
            interruption = interruption or signal
    errors = [helper.error for helper in helpers if helper.error is not None]
    if interruption is not None:
        raise interruption
    return errors
