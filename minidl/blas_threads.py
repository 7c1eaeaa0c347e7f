"""BLAS on one thread: the same sums whatever the number of cores.

OpenBLAS spreads a large product over threads of its own, and some of its splits cut the sums
themselves (measured: a float64 (64, 400) @ (400, 120), and the normal equations of LIME's weighted
ridge for 1000 samples of 256 superpixels, round differently on one thread and on two). So a result
computed with BLAS would depend on the machine it ran on. Inside `with one_blas_thread():` every BLAS
call runs on the thread that makes it, and its sums are the same on any machine:

    with one_blas_thread():
        coef = np.linalg.solve(X.T @ (w[:, None] * X) + alpha * np.eye(k), X.T @ (w * y))

minidl holds BLAS so in its fast path (minidl/kernels/workers.py, which also keeps the hold a while
after its workers' last job) and in the fits of its explanations (minidl/xai). The hold is
process-wide and counted: the first holder sets every BLAS library to one thread, the last gives
back the program's own setting. A program's own products slow down under a hold only where BLAS
would have shared them out.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterator


@functools.cache
def _blas_libraries() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded in this process (imported on first use)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas").lib_controllers


def _thread_count_setter(lib) -> Callable[[int], None]:
    """How minidl sets one BLAS library's thread count: OpenBLAS's own openblas_set_num_threads where
    threadpoolctl finds it (a process-wide count), else threadpoolctl's setter. Not threadpoolctl's
    OpenBLAS setter: from version 3.8 on it lets only the first thread that set the count change it
    again and ignores the others, so a hold given back on another thread would leave BLAS at one
    thread for good. An OpenBLAS built on OpenMP keeps the count per thread: there the hold reaches
    only the thread that takes it (NumPy's wheels ship the pthreads build)."""
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


class _Hold:
    """The process-wide hold on BLAS's thread count: set to 1 by the first holder, given back by the last.

    What is given back is the program's own setting: the count each library had before the first
    hold, or the one the program set while a hold was on (seen at the next take, or at the give-back,
    where a library no longer at 1 thread keeps what the program set). A program that sets 1 thread
    itself under a hold cannot be told from the hold: it gets its earlier setting back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.saved: list[int] = []

    def programs_counts(self) -> list[int]:
        """Each library's count as the program set it (the caller has the lock)."""
        counts = [lib.get_num_threads() for lib in _blas_libraries()]
        if self.holders == 0:
            return counts
        return [count if count != 1 else saved for count, saved in zip(counts, self.saved)]

    def take(self) -> None:
        """One more holder; BLAS set to one thread (again, if the program changed it under an earlier hold)."""
        with self.lock:
            self.saved = self.programs_counts()
            for set_threads, count in zip(_blas_setters(), self.saved):
                if count != 1:
                    set_threads(1)
            self.holders += 1

    def give_back(self) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0:
                self.restore()

    def restore(self) -> None:
        """The saved counts back, where a library is still at the hold's one thread."""
        for set_threads, lib, count in zip(_blas_setters(), _blas_libraries(), self.saved):
            if lib.get_num_threads() == 1 and count != 1:
                set_threads(count)


_hold = _Hold()


@contextmanager
def _held() -> Iterator[None]:
    hold = _hold  # the one taken is the one given back, also across a fork
    hold.take()
    try:
        yield
    finally:
        hold.give_back()


def one_blas_thread() -> contextlib.AbstractContextManager[None]:
    """Context manager: BLAS calls inside run on the thread that makes them (see the module's docstring)."""
    return _held()


def take_hold() -> None:
    """one_blas_thread's start, for a hold that ends elsewhere: give_hold_back() ends it."""
    _hold.take()


def give_hold_back() -> None:
    _hold.give_back()


def programs_thread_count() -> int | None:
    """The fewest threads the program lets a BLAS library use (its own setting, also while minidl
    holds BLAS at one); None when no BLAS library is loaded."""
    with _hold.lock:
        return min(_hold.programs_counts(), default=None)


def _forget_holds_after_fork() -> None:
    """A forked child has only the thread that forked: holds of the parent's other threads (the
    workers' lingering one) do not exist there, so BLAS gets the program's setting back. A hold of
    the forking thread's own ends on the parent's hold object, its lock made anew (another thread may
    have held it at the fork)."""
    global _hold
    parents, _hold = _hold, _Hold()
    parents.lock = threading.Lock()
    if parents.holders:
        parents.restore()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_holds_after_fork)
