"""Both cores without a fight: a batch cut into pieces that minidl's own threads work on, with BLAS
held to one thread per call while they do.

The convolution is a chain per piece of the batch: gather (im2col), matrix product, scatter
(col2im). Left to themselves, the gather and scatter run on one core (numba, single-threaded) and
only some of the products use the second (OpenBLAS splits a large product, but not the per-image
products of the backward pass). Handing the cores to a second pool (numba's prange) beside
OpenBLAS's made a LeNet-5 step several times slower on 2 cores: each pool's idle threads spin while
the other works. So here a piece's whole chain runs on one thread, each of `worker_count()` threads
takes its share of the pieces, and for that time every BLAS call stays on the thread that made it:
one busy thread per core, and no pool waiting for another.

How many workers: as many threads as BLAS may use now (threadpoolctl reads it), at most the cores
this process may run on. A program or server that limited BLAS to one thread (the studio does, to
serve many requests at once) therefore gets one worker, and minidl starts no threads of its own.
The BLAS limit is process-wide (an OpenBLAS setting), so it is taken by the first of several
concurrent callers and given back, to what it was, by the last. Where threadpoolctl finds no BLAS
it can control (e.g. Apple's Accelerate), the workers still share the cores and BLAS keeps its own
threads.

The hand-over: the other workers are minidl's threads (a crew of helpers, one per core beside the
caller's), each waiting for its next job by reading a counter without the GIL for SPIN_SECONDS
(spin_wait.py), then asleep; the caller waits for their results the same way. A LeNet-5 step makes
four calls, 0.1-1 ms apart. With a pool whose threads slept between calls (concurrent.futures),
each call paid two wake-ups of a sleeping thread, and the caller's own piece took twice as long as
the helper's (conv2's forward: 0.45 against 0.22 ms; 0.23 against 0.19 with the crew). Measured
on the benchmarks' 2-core VM: two pieces of 110 µs each took 170 µs with the pool, 135-141 µs with
the crew; a LeNet-5 epoch 189 → 167 ms, 12 % faster (interleaved A/B). The spin does not fight OpenBLAS's
threads as prange's did: BLAS stays at one thread while the workers are near (near_the_workers),
and minidl's own products leave no BLAS thread spinning beside a helper. What is left of the hand-over is the GIL:
a helper that sees its job while the caller runs Python sleeps until the caller lets go of it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import math
import os
import threading
import time
from contextlib import contextmanager
from types import ModuleType
from typing import Callable, Iterator, Sequence, TypeVar

import numpy as np

Piece = TypeVar("Piece")
Result = TypeVar("Result")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@functools.cache
def _blas_libraries() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded in this process (imported on first use)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas").lib_controllers


def _thread_count_setter(lib) -> Callable[[int], None]:
    """How minidl sets one BLAS library's thread count: OpenBLAS's own openblas_set_num_threads where
    threadpoolctl finds it (a process-wide count), else threadpoolctl's setter.

    Not threadpoolctl's OpenBLAS setter, for two reasons: from 3.8 on it lets only one thread, the
    first to set the count, change it, and silently ignores the others (a hold taken or given back
    on another thread did nothing: BLAS left at one thread for good, measured), and its bookkeeping
    cost ~7 µs a call, four calls per held product (the MLP step of the benchmarks: +50 µs)."""
    find_symbol = getattr(lib, "_get_symbol", None)  # threadpoolctl's lookup with the library's affixes
    if lib.internal_api == "openblas" and getattr(lib, "threading_layer", None) != "openmp" and find_symbol:
        setter = find_symbol("openblas_set_num_threads")
        if setter is not None:
            return setter
    let_go = getattr(type(lib), "clear_controlling_thread", None)

    def set_through_threadpoolctl(count: int) -> None:
        if let_go is not None:
            let_go(force=True)
        lib.set_num_threads(count)
        if let_go is not None:
            let_go()

    return set_through_threadpoolctl


@functools.cache
def _blas_setters() -> list[Callable[[int], None]]:
    return [_thread_count_setter(lib) for lib in _blas_libraries()]


class _OneBlasThread:
    """The process-wide hold on BLAS's thread count: set to 1 by the first holder, restored by the last."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.saved: list[int] = []

    def threads_allowed(self) -> int:
        """What BLAS may use outside minidl's hold: the user's setting, even while a hold is on."""
        with self.lock:
            counts = self.saved if self.holders else [lib.get_num_threads() for lib in _blas_libraries()]
        return min(counts, default=available_cores())

    @contextmanager
    def held(self) -> Iterator[None]:
        libraries = _blas_libraries()
        with self.lock:
            if self.holders == 0:
                self.saved = [lib.get_num_threads() for lib in libraries]
                for set_threads in _blas_setters():
                    set_threads(1)
            self.holders += 1
        try:
            yield
        finally:
            with self.lock:
                self.holders -= 1
                if self.holders == 0:
                    for set_threads, count in zip(_blas_setters(), self.saved):
                        set_threads(count)


_one_blas_thread = _OneBlasThread()


def one_blas_thread() -> contextlib.AbstractContextManager[None]:
    """Context manager: BLAS calls inside run on the thread that makes them (see the module's docstring)."""
    return _one_blas_thread.held()


WORKERS_NEARBY_SECONDS = 1.0
_last_shared = -math.inf  # time.monotonic() when map_pieces last used more than one thread


def near_the_workers() -> contextlib.AbstractContextManager[None]:
    """For a BLAS call too small to share: one_blas_thread() if minidl's workers ran within the last
    WORKERS_NEARBY_SECONDS, else nothing.

    A product that OpenBLAS spreads over both cores leaves its threads spinning for about 0.1 s
    afterwards, beside minidl's workers when a convolution follows (measured: a LeNet-5 epoch 337 ms
    with the dense layers' products free, 244 ms with every product held). Without workers nearby
    (an MLP alone) the hold would only cost: the MLP step of the benchmarks took 0.19 ms with its
    products held, 0.13 ms free."""
    if time.monotonic() - _last_shared < WORKERS_NEARBY_SECONDS:
        return _one_blas_thread.held()
    return contextlib.nullcontext()


def worker_count() -> int:
    """How many threads map_pieces uses now: BLAS's allowed threads, at most the available cores."""
    return max(1, min(available_cores(), _one_blas_thread.threads_allowed()))


class _InCrew(threading.local):
    """Whether this thread is one of the crew's: a piece that itself called map_pieces would wait for
    a crew whose every thread may be waiting too, so such a call runs its pieces in place."""

    active = False


_in_crew = _InCrew()

SPIN_SECONDS = 0.002
"""How long a thread of map_pieces waits for its signal by reading a counter (spin_wait.py) before it
goes to sleep: about the gaps between the convolutions of a LeNet-5 step (0.1-1 ms), short enough
that a program that stopped convolving has the core back at once. Not a sensitive choice: on the
benchmarks' 2-core VM (AMD EPYC), a LeNet-5 epoch took the same time, within 3 %, with 0.2, 0.5, 2 and 5
ms (interleaved A/B)."""


@functools.cache
def _spin_wait() -> ModuleType:
    """spin_wait.py, imported on the first shared call: `import minidl` does not pay for importing numba."""
    return importlib.import_module("minidl.kernels.spin_wait")


@functools.cache
def _spin_reads() -> int:
    return max(1, int(SPIN_SECONDS * _spin_wait().reads_per_second()))


class _Helper:
    """One thread beside the caller's: it runs the jobs it is posted, one at a time, on its own core,
    and hands back what came of each (a list of results, or the exception raised).

    Three counters, which only grow, say where it is: POSTED (jobs posted), FINISHED (jobs done),
    WAITING (the jobs done when it last went back to waiting, without the GIL). A job is posted by
    the one store that raises POSTED, and it is outstanding until collect() takes its outcome, so a
    Ctrl-C that lands anywhere in post() leaves the job either posted (and waited for) or not.
    Either side waits for a counter to reach a target by reading it without the GIL for up to
    SPIN_SECONDS, then asleep on a condition variable; a counter is raised under the condition's lock
    after waking any sleeper, so a raise is never lost between a sleeper's last read and its sleep.
    The caller waits for WAITING, written by the helper once it has let go of the GIL, so that it
    takes the GIL at once (waiting for FINISHED, it would find the helper still holding it, and
    sleep: a wake-up again); only when that spin runs out does it sleep until FINISHED."""

    POSTED, FINISHED, WAITING = range(3)
    ALIVE_CHECK_SECONDS = 0.5  # how often a sleeping caller makes sure the helper has not died

    def __init__(self, name: str) -> None:
        self.counters = np.zeros(3, np.int64)
        self.condition = threading.Condition()
        self.sleepers = 0
        self.job: Callable[[], list] | None = None
        self.outcome: list | BaseException = []
        self.collected = 0  # the jobs whose outcome the caller has taken
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def _advance(self, slot: int, value: int) -> None:
        """counters[slot] = value, waking whoever sleeps on the condition (woken first: the store
        is the last step, so an interruption before it leaves the counter as it was)."""
        with self.condition:
            if self.sleepers:
                self.condition.notify_all()
            self.counters[slot] = value

    def _sleep_until(self, slot: int, target: int, *, watching: bool = False) -> None:
        """Asleep until counters[slot] >= target; watching (the caller's wait): raises if the helper's
        thread has died meanwhile, rather than sleeping for ever."""
        with self.condition:
            self.sleepers += 1
            try:
                while self.counters[slot] < target:
                    self.condition.wait(self.ALIVE_CHECK_SECONDS if watching else None)
                    if watching and not self.thread.is_alive() and self.counters[slot] < target:
                        raise RuntimeError(f"minidl's worker thread {self.thread.name} died: its job never finished")
            finally:
                self.sleepers -= 1

    def _spin_until(self, slot: int, target: int, tell: tuple[int, int] | None = None) -> bool:
        """Whether counters[slot] reached `target` within SPIN_SECONDS (tell: spin_until_at_least's)."""
        return _spin_wait().spin_until_at_least(self.counters, slot, target, _spin_reads(), tell=tell) >= target

    def _serve(self) -> None:
        _in_crew.active = True
        while True:
            done = int(self.counters[self.FINISHED])
            if not self._spin_until(self.POSTED, done + 1, tell=(self.WAITING, done)):
                self._sleep_until(self.POSTED, done + 1)
            job, self.job = self.job, None
            try:
                self.outcome = job()
            except BaseException as error:  # handed to the caller, who raises it
                self.outcome = error
            job = None  # the job's arrays are the caller's to let go of
            self._advance(self.FINISHED, done + 1)

    def post(self, job: Callable[[], list]) -> None:
        self.job = job
        self._advance(self.POSTED, int(self.counters[self.POSTED]) + 1)

    def collect(self) -> list | BaseException | None:
        """What the posted job gave, once it has finished; None if no job is outstanding. The outcome
        is not kept here: it may hold arrays.

        Waits for the job even when the wait is interrupted (Ctrl-C), and raises the interruption
        afterwards: the job writes into arrays that the caller may only reuse once it is done."""
        interruption = None
        while True:
            try:
                posted = int(self.counters[self.POSTED])
                if self.collected < posted and not self._spin_until(self.WAITING, posted):
                    self._sleep_until(self.FINISHED, posted, watching=True)
                break
            except BaseException as error:  # a signal's (Ctrl-C): the wait itself raises only if the helper died
                if not self.thread.is_alive():
                    raise
                interruption = interruption or error
        outcome = None
        if self.collected < posted:
            outcome, self.outcome, self.collected = self.outcome, [], posted
        if interruption is not None:
            raise interruption
        return outcome


class _Crew:
    """The helpers of map_pieces, one per core beside the caller's, used by one call at a time."""

    def __init__(self, size: int) -> None:
        _spin_reads()  # spin_wait's import, compilation and timing, here: an error reaches the caller
        self.busy = threading.Lock()
        self.helpers = [_Helper(f"minidl-worker-{k}") for k in range(1, size + 1)]

    def alive(self) -> bool:
        return all(helper.thread.is_alive() for helper in self.helpers)

    def collect(self) -> list[list | BaseException]:
        """The outcome of every job outstanding (a list of results or the exception its job raised),
        in the helpers' order, once all have finished.

        An interruption (Ctrl-C) does not stop the waiting: with three or more cores, the other
        helpers still write into the caller's arrays. It is raised once every helper has finished,
        as is the error of a helper whose thread died. (An interruption can still land between two
        bytecodes outside the waits, where nothing catches it: map_pieces then drops what was left
        outstanding before its next call posts anything, see drop_outstanding.)"""
        outcomes, interruption, waiting_for = [], None, list(self.helpers)
        while waiting_for:
            try:
                while waiting_for:
                    outcome = waiting_for[0].collect()  # again after an interruption: None once collected
                    waiting_for.pop(0)
                    if outcome is not None:
                        outcomes.append(outcome)
            except BaseException as error:
                interruption = interruption or error
                if waiting_for and not waiting_for[0].thread.is_alive():  # (empty: it landed after the last pop)
                    waiting_for.pop(0)
        if interruption is not None:
            raise interruption
        return outcomes

    def drop_outstanding(self) -> None:
        """Waits for, and throws away, what an interrupted call left outstanding: its outcomes are not
        the next call's."""
        self.collect()


_crews: dict[int, _Crew] = {}
_crews_lock = threading.Lock()


def _crew(size: int) -> _Crew:
    """The crew of `size` helpers, made by the first caller that needs it (one crew, even if two ask
    at once), and made again if one of its threads has died (its call raised RuntimeError)."""
    crew = _crews.get(size)
    if crew is None or not crew.alive():
        with _crews_lock:
            crew = _crews.get(size)
            if crew is None or not crew.alive():
                crew = _crews[size] = _Crew(size)
    return crew


def _forget_threads_after_fork() -> None:
    """A forked child has only the thread that forked: the parent's crew and a hold taken by another of
    its threads do not exist there, so the child starts afresh."""
    global _one_blas_thread, _crews_lock
    _crews.clear()
    _crews_lock = threading.Lock()
    _one_blas_thread = _OneBlasThread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads_after_fork)


def map_pieces(
    work: Callable[[Piece, int], Result], pieces: Sequence[Piece], workers: int | None = None
) -> list[Result]:
    """[work(piece, worker) for piece in pieces], the pieces shared out in contiguous runs between
    `workers` threads (default worker_count(); the calling thread is worker 0, and `worker` tells
    `work` which thread runs it, so that it can use scratch arrays the caller made for that thread).

    `work` writes only where its own piece says, into arrays the calling thread allocated: memory
    that a worker thread allocates comes from its own glibc arena, which gives it back to the system
    after each call and faults it in again at the next (measured on LeNet's conv2: 490 page faults
    and 2.5x the time per piece). An exception in any piece is raised here, after every thread has finished.
    """
    cores = available_cores()
    workers = max(1, min(worker_count() if workers is None else workers, len(pieces), cores))
    crew = _crew(cores - 1) if workers > 1 and not _in_crew.active else None
    if crew is None or not crew.busy.acquire(blocking=False):  # another thread's call has the crew: run here
        with _one_blas_thread.held():  # one piece's BLAS calls too: no OpenBLAS threads left spinning
            return [work(piece, 0) for piece in pieces]
    try:
        return _shared(crew, work, pieces, workers)
    finally:
        crew.busy.release()


def _shared(crew: _Crew, work: Callable[[Piece, int], Result], pieces: Sequence[Piece], workers: int) -> list[Result]:
    """map_pieces on the crew, which the caller has taken (crew.busy)."""
    global _last_shared
    crew.drop_outstanding()
    bounds = [len(pieces) * k // workers for k in range(workers + 1)]

    def run(worker: int) -> list[Result]:
        return [work(piece, worker) for piece in pieces[bounds[worker] : bounds[worker + 1]]]

    with _one_blas_thread.held():
        try:
            # Each helper runs in a copy of the caller's context, so that a use_kernels(...) block holds there too.
            for worker, helper in enumerate(crew.helpers[: workers - 1], start=1):
                helper.post(functools.partial(contextvars.copy_context().run, run, worker))
            own = run(0)
        finally:
            # also when our own share failed: no thread may still write into the arrays
            outcomes = crew.collect()
            _last_shared = time.monotonic()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return own + [value for outcome in outcomes for value in outcome]
