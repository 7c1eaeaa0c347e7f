"""minidl's own worker threads (minidl/kernels/workers.py) and what runs on them: map_pieces shares
pieces out in order and re-raises a piece's error only once every thread is done; one_blas_thread
holds BLAS at one thread for as long as anyone holds it and gives the user's setting back; matmul,
conv2d and the im2col/col2im kernels give the same numbers whether one thread or several do the work.

Most tests need two threads at once: they are skipped, saying so, on a machine with a single core.
"""

from __future__ import annotations

import ast
import faulthandler
import importlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from threadpoolctl import threadpool_info, threadpool_limits

import minidl
import minidl.functional as F
from minidl.kernels import (
    Window,
    chunked_im2col,
    col2im,
    im2col,
    kernel_backend,
    map_pieces,
    matmul,
    use_kernels,
    worker_count,
)
from minidl.kernels import workers
from minidl.kernels.spin_wait import reads_per_second, spin_until_at_least
from minidl.kernels.workers import available_cores
from naive_loops import naive_conv2d

pytestmark = pytest.mark.kernels

# `minidl.kernels.matmul` is the function (the package re-exports it), so the modules are looked up by name.
matmul_module = importlib.import_module("minidl.kernels.matmul")
convolution_module = importlib.import_module("minidl.ops.convolution")

needs_two_cores = pytest.mark.skipif(
    available_cores() < 2, reason="only one core available: map_pieces never starts a second thread here"
)
pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))

HANG_SECONDS = 120


@pytest.fixture(autouse=True)
def no_test_hangs(request, capsys):
    """A lost hand-over hangs a thread for ever: after HANG_SECONDS the test process prints every
    thread's stack (to the terminal: capture is lifted for it, else the dump would die with the
    process) and exits, a failed run that says where it hung, instead of a CI job that waits for its
    own time limit."""

    def give_up() -> None:
        with capsys.disabled():
            print(f"\n{request.node.nodeid} still runs after {HANG_SECONDS} s; every thread's stack:", flush=True)
            faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
            sys.stdout.flush()
        os._exit(1)

    watchdog = threading.Timer(HANG_SECONDS, give_up)
    watchdog.daemon = True
    watchdog.start()
    yield
    watchdog.cancel()


def blas_threads() -> list[int]:
    """The thread count of every BLAS library loaded in this process, as threadpoolctl reads it."""
    return [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]


@contextmanager
def blas_allows(threads: int):
    """A user's setting of `threads` BLAS threads for the block (restored afterwards), so that a hold
    at one thread is told apart from the setting; skips when no BLAS library lets itself be set so."""
    with threadpool_limits(limits=threads, user_api="blas"):
        counts = blas_threads()
        if not counts or min(counts) != threads:
            pytest.skip(f"no BLAS library here that can be set to {threads} threads (threadpoolctl reads {counts})")
        yield


class Recorder:
    """work(piece, worker) for map_pieces that notes which worker and which thread ran each piece."""

    def __init__(self):
        self.runs: list[tuple[object, int, int]] = []  # list.append is atomic: safe from several threads

    def __call__(self, piece, worker):
        self.runs.append((piece, worker, threading.get_ident()))
        return ("done", piece)

    def workers_of(self, pieces) -> list[int]:
        worker_of = {piece: worker for piece, worker, _ in self.runs}
        return [worker_of[piece] for piece in pieces]


# --- map_pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
@pytest.mark.parametrize("count", [0, 1, 2, 5, 17])
def test_map_pieces_returns_results_in_order_each_piece_run_once_in_contiguous_runs(count, workers):
    """Catches results gathered in completion order, a piece dropped or run twice at a run's border
    (off-by-one bounds), worker indices beyond the scratch arrays a caller made, and runs interleaved
    (piece i on worker i % workers) or lopsided (every piece on worker 0)."""
    pieces = [f"piece {i}" for i in range(count)]
    record = Recorder()
    assert map_pieces(record, pieces, workers) == [("done", piece) for piece in pieces]
    assert sorted(piece for piece, _, _ in record.runs) == sorted(pieces)  # each exactly once
    used = min(workers, count, available_cores())
    assignment = record.workers_of(pieces)
    assert set(assignment) == set(range(used))
    for worker in range(used):
        where = [i for i, w in enumerate(assignment) if w == worker]
        assert where == list(range(where[0], where[-1] + 1)), f"worker {worker} got pieces {where}: not one run"
    run_lengths = [assignment.count(worker) for worker in range(used)]
    assert max(run_lengths, default=0) - min(run_lengths, default=0) <= 1, f"uneven runs {run_lengths}"


@needs_two_cores
@pytest.mark.parametrize("count", [2, 3, 8])
def test_map_pieces_with_two_workers_runs_on_two_threads_the_caller_being_worker_0(count):
    """Catches a map_pieces that only pretends to share (runs everything on the calling thread), and a
    worker index that does not say which thread runs the piece (two threads sharing one scratch array)."""
    record = Recorder()
    map_pieces(record, list(range(count)), 2)
    threads_of_worker = {}
    for _, worker, thread in record.runs:
        threads_of_worker.setdefault(worker, set()).add(thread)
    assert threads_of_worker[0] == {threading.get_ident()}
    assert len(threads_of_worker[1]) == 1 and threads_of_worker[1] != threads_of_worker[0]


class PieceFailed(Exception):
    pass


@needs_two_cores
@pytest.mark.parametrize("failing_worker", [0, 1])
def test_map_pieces_raises_a_pieces_error_only_after_every_other_thread_finished(failing_worker):
    """Pieces 0, 1 go to worker 0 and 2, 3 to worker 1. One of the failing worker's pieces raises at
    once while the other worker is slow: the error must come out, as raised, and only once the slow
    piece has finished (else a thread would still write into arrays the caller has let go of).
    Catches an error swallowed in a pool thread, or raised before the other threads are waited for."""
    finished = threading.Event()
    error = PieceFailed("piece failed")
    failing, slow = (0, 3) if failing_worker == 0 else (2, 1)

    def work(piece, worker):
        if piece == failing:
            raise error
        if piece == slow:
            time.sleep(0.3)
            finished.set()
        return piece

    with pytest.raises(PieceFailed) as raised:
        map_pieces(work, [0, 1, 2, 3], 2)
    assert raised.value is error
    assert finished.is_set(), "map_pieces raised while another worker's piece was still running"
    assert map_pieces(lambda piece, worker: piece * 2, [0, 1, 2, 3], 2) == [0, 2, 4, 6]  # the pool still works


@needs_two_cores
def test_map_pieces_runs_every_piece_in_the_callers_context():
    """Catches pool threads that run in their own context: there, a use_kernels(...) block of the
    caller would not hold, and the pieces would silently use the default backend."""
    other = "numpy" if kernel_backend() == "numba" else "numba"  # not the default, so that it shows
    with use_kernels(other):
        seen = map_pieces(lambda piece, worker: (kernel_backend(), threading.get_ident()), range(6), 2)
    assert [backend for backend, _ in seen] == [other] * 6
    assert len({thread for _, thread in seen}) == 2  # the pool thread saw it too
    assert kernel_backend() != other


def test_nested_map_pieces_finishes():
    """A piece whose work calls map_pieces again (a function of the user's, handed to map_pieces, that
    runs conv2d or a large matmul). Catches a pool that waits for itself. Run in a child process with
    a time limit, so that a hang cannot stall this test session's pool."""
    nested = textwrap.dedent(
        """
        from minidl.kernels.workers import map_pieces
        outer = lambda piece, worker: map_pieces(lambda inner, _: inner * 10, [piece, piece + 1], 2)
        print(map_pieces(outer, [0, 2], 2))
        """
    )
    try:
        done = subprocess.run([sys.executable, "-c", nested], capture_output=True, text=True, timeout=15, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("map_pieces called from inside a piece never returned (the pool waits for itself)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[0, 10], [20, 30]]"


def in_a_thread(body, timeout: float = 60) -> None:
    """Runs body() in a daemon thread (a hung one must not hold the session) and fails the test if it
    has not ended within `timeout` seconds or raised anything: an assert inside a thread would only
    be a warning to pytest."""
    raised = []

    def guarded():
        try:
            body()
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s: a hand-over was lost"
    if raised:
        raise raised[0]


@needs_two_cores
@pytest.mark.parametrize("spinning", [True, False], ids=["spinning", "asleep"])
def test_map_pieces_hands_work_over_whether_the_helper_spins_or_sleeps(monkeypatch, spinning):
    """Pieces of random lengths (0-3 ms, about the spin's SPIN_SECONDS) with random pauses between the
    calls, so that hand-overs meet the other thread spinning, giving up, or asleep; without spinning
    (one read), every hand-over goes through the condition variable. Catches a lost wake-up (a hang,
    stopped by the timeout), a result handed back before its job finished or from the previous job."""
    if not spinning:
        monkeypatch.setattr(workers, "_spin_reads", lambda: 1)
    generator = np.random.default_rng(7)

    def work(piece, worker):
        time.sleep(float(generator.uniform(0, 0.003)))
        return piece * piece, worker

    def calls():
        for call in range(150):
            pieces = list(range(call % 5 + 2))
            assert map_pieces(work, pieces, 2) == [(p * p, 0 if p < len(pieces) // 2 else 1) for p in pieces]
            time.sleep(float(generator.choice([0, 0.0005, 0.004])))

    in_a_thread(calls)


@needs_two_cores
def test_map_pieces_from_two_threads_at_once_gives_each_its_own_results():
    """Two threads call map_pieces at the same time: one gets the helper, the other runs its pieces in
    place. Catches a job or result of one caller handed to the other, and a hang on a busy helper."""
    failures, calls = [], {0: 0, 1000: 0}

    def caller(offset):
        try:
            for call in range(300):
                pieces = list(range(offset, offset + 4))
                shifted = map_pieces(lambda piece, worker, shift=call: piece + shift, pieces, 2)
                if shifted != [p + call for p in pieces]:
                    failures.append((offset, call, shifted))
                calls[offset] += 1
        except BaseException as error:  # in a plain thread an exception would only be a warning
            failures.append((offset, "raised", error))

    in_a_thread(lambda: [thread.join() for thread in start_threads(caller, [0, 1000])])
    assert not failures, f"(caller, call, results) wrong or raised: {failures[:3]}"
    assert calls == {0: 300, 1000: 300}


def start_threads(target, arguments) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(argument,), daemon=True) for argument in arguments]
    for thread in threads:
        thread.start()
    return threads


@needs_two_cores
def test_an_interrupted_wait_for_the_helper_still_waits_for_its_job(monkeypatch):
    """Ctrl-C while the caller waits for the helper's share: map_pieces raises KeyboardInterrupt, but
    only once the helper's piece has finished (it writes into the caller's arrays), and the next call
    gets its own results. Catches a caller that leaves with the job still running, and a helper whose
    next result is the interrupted job's (a count compared for change rather than for its target)."""
    monkeypatch.setattr(workers, "_spin_reads", lambda: 1)  # the caller goes to sleep, where Ctrl-C lands
    helper_done = threading.Event()
    real_sleep_until = workers._Helper._sleep_until
    interrupted = []

    def sleep_until(helper, slot, target, **keywords):
        if threading.current_thread() is threading.main_thread() and not interrupted:
            interrupted.append(slot)
            raise KeyboardInterrupt
        real_sleep_until(helper, slot, target, **keywords)

    monkeypatch.setattr(workers._Helper, "_sleep_until", sleep_until)

    def work(piece, worker):
        if worker == 1:
            time.sleep(0.2)
            helper_done.set()
        return piece

    with pytest.raises(KeyboardInterrupt):
        map_pieces(work, [0, 1], 2)
    assert interrupted == [workers._Helper.FINISHED]
    assert helper_done.is_set(), "map_pieces left while the helper's piece was still running"
    assert map_pieces(lambda piece, worker: (piece, worker), [5, 6], 2) == [(5, 0), (6, 1)]


def test_an_interrupted_wait_for_one_helper_still_waits_for_the_others(monkeypatch):
    """A crew of two helpers (three cores' worth; made here whatever the machine has): Ctrl-C lands in
    the wait for the first, whose job ends at once, while the second's job runs on for 0.3 s. The
    interruption must come out only after that. Catches a collect that stops at the first
    interruption and leaves a helper writing into the caller's arrays."""
    monkeypatch.setattr(workers, "_spin_reads", lambda: 1)
    crew = workers._Crew(2)
    first, second = crew.helpers
    real_sleep_until = workers._Helper._sleep_until
    second_done = threading.Event()

    def sleep_until(helper, slot, target, **keywords):
        if helper is first and keywords.get("watching"):
            real_sleep_until(helper, slot, target, **keywords)
            raise KeyboardInterrupt  # after its job ended: the interruption is the only thing left
        real_sleep_until(helper, slot, target, **keywords)

    monkeypatch.setattr(workers._Helper, "_sleep_until", sleep_until)
    first.post(lambda: [time.sleep(0.05), "first"][1:])  # long enough that the caller goes to sleep
    second.post(lambda: [time.sleep(0.3), second_done.set(), "second"][2:])
    with pytest.raises(KeyboardInterrupt):
        crew.collect()
    assert second_done.is_set(), "the interruption came out while the second helper's job still ran"
    monkeypatch.setattr(workers._Helper, "_sleep_until", real_sleep_until)
    first.post(lambda: ["again"])
    assert crew.collect() == [["again"]], "the interrupted jobs' outcomes were handed to the next call"


def test_a_helper_whose_thread_died_makes_the_wait_raise_instead_of_hanging(monkeypatch):
    """A helper thread that ends outside any job (an error in its own waiting, say) never finishes
    what is posted to it. Catches a caller that would sleep for ever (Ctrl-C swallowed, since it
    waits on for the job's sake)."""
    monkeypatch.setattr(workers._Helper, "_serve", lambda helper: None)  # the thread ends at once
    monkeypatch.setattr(workers._Helper, "ALIVE_CHECK_SECONDS", 0.05)
    helper = workers._Helper("a helper that dies")
    helper.thread.join(timeout=10)
    helper.post(lambda: ["never run"])
    message = "worker thread a helper that dies died: its job never finished"
    in_a_thread(lambda: pytest.raises(RuntimeError, helper.collect).match(message), timeout=30)


def test_a_crew_with_a_dead_helper_is_made_again(monkeypatch):
    """Catches a crew kept after one of its threads died: every later call would post to the dead
    thread, wait ALIVE_CHECK_SECONDS and raise."""
    cores = 2
    monkeypatch.setattr(workers, "available_cores", lambda: cores)
    with monkeypatch.context() as dying:
        dying.setattr(workers._Helper, "_serve", lambda helper: None)
        dead = workers._Crew(cores - 1)
    dead.helpers[0].thread.join(timeout=10)
    monkeypatch.setattr(workers, "_crews", {cores - 1: dead})
    results = []
    in_a_thread(lambda: results.append(map_pieces(lambda piece, worker: (piece, worker), [1, 2], 2)))
    assert results == [[(1, 0), (2, 1)]]
    assert workers._crews[cores - 1] is not dead


def test_a_call_interrupted_outside_its_waits_leaves_nothing_to_the_next(monkeypatch):
    """Ctrl-C between two bytecodes of the caller, where no wait catches it (here: before the
    collect): the helpers' jobs run on, uncollected. Three cores' worth of helpers (made here on any
    machine); the next call uses two workers. Catches a next call that hands back the stale helper's
    results with its own, or that posts while the old jobs still write."""
    monkeypatch.setattr(workers, "available_cores", lambda: 3)
    monkeypatch.setattr(workers, "_crews", {})
    real_collect, interrupted = workers._Crew.collect, []

    def collect(crew):
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        return real_collect(crew)

    monkeypatch.setattr(workers._Crew, "collect", collect)
    still_writing = threading.Event()

    def first(piece, worker):
        if worker == 2:
            still_writing.set()
            time.sleep(0.3)
            still_writing.clear()
        return ("first", piece)

    with pytest.raises(KeyboardInterrupt):
        map_pieces(first, [0, 1, 2], 3)

    def second(piece, worker):
        assert not still_writing.is_set(), "the next call ran while the interrupted call's job still ran"
        return ("second", piece)

    assert map_pieces(second, [5, 6], 2) == [("second", 5), ("second", 6)]


def test_two_first_callers_get_one_crew(monkeypatch):
    """Two threads that need the crew at the same time, while it is being made. Catches a crew made
    twice (twice the helper threads, each pair spinning on the same cores)."""
    made = []

    class SlowCrew:
        def __init__(self, size):
            time.sleep(0.2)
            made.append(size)

        def alive(self):
            return True

    monkeypatch.setattr(workers, "_Crew", SlowCrew)
    monkeypatch.setattr(workers, "_crews", {})
    crews = []
    in_a_thread(
        lambda: [thread.join() for thread in start_threads(lambda size: crews.append(workers._crew(size)), [3, 3])]
    )
    assert made == [3] and crews[0] is crews[1]


# --- spin_until_at_least -----------------------------------------------------------------------


def test_spin_until_at_least_sees_a_value_another_thread_writes():
    """Catches a read that the compiler hoisted out of the loop (it would spin out its budget, ~2 s,
    and give back the old value) and a loop that returns before the value has reached the target."""
    counter = np.zeros(3, np.int64)
    seen = []
    reads = int(2 * reads_per_second())
    writer = threading.Timer(0.05, counter.__setitem__, args=(1, 42))
    writer.start()
    start = time.perf_counter()
    in_a_thread(lambda: seen.append(spin_until_at_least(counter, 1, 40, reads)))
    assert seen == [42]
    assert time.perf_counter() - start >= 0.04


def test_spin_until_at_least_gives_back_the_last_read_once_its_reads_are_spent():
    counter = np.full(1, 5, np.int64)
    assert spin_until_at_least(counter, 0, 6, 1000) == 5  # short of the target
    assert spin_until_at_least(counter, 0, 3, 1000) == 5  # past it at the first read
    assert spin_until_at_least(counter, 0, 6, 0) == 5  # no budget: still one read


def test_spin_until_at_least_tells_before_it_waits():
    """tell=(slot, value) is written even when the wait ends at the first read, and only there."""
    counters = np.array([1, 0, 0], np.int64)
    assert spin_until_at_least(counters, 0, 1, 10, tell=(2, 9)) == 1
    assert counters.tolist() == [1, 0, 9]


def read_only(counters):
    counters.flags.writeable = False
    return counters


@pytest.mark.parametrize(
    "counters, index, tell",
    [
        (np.zeros(2, np.int32), 0, None),
        (np.zeros(2), 0, None),
        (np.zeros((2, 2), np.int64), 0, None),
        (np.frombuffer(bytearray(17), np.int64, count=2, offset=1), 0, None),
        (np.lib.stride_tricks.as_strided(np.zeros(4, np.int64), shape=(2,), strides=(12,)), 1, None),
        (np.zeros(2, np.int64), 2, None),
        (np.zeros(2, np.int64), 0, (2, 1)),
        (np.zeros(2, np.int64), 0, (-2, 1)),
        (read_only(np.zeros(2, np.int64)), 0, (1, 1)),
    ],
    ids=[
        "int32",
        "float64",
        "2-d",
        "unaligned",
        "stride of 12",
        "index past the end",
        "tell past",
        "tell before",
        "read-only tell",
    ],
)
def test_spin_until_at_least_refuses_an_array_it_was_not_written_for(counters, index, tell):
    with pytest.raises(ValueError, match="spin_until_at_least: .*(int64|counter)"):
        spin_until_at_least(counters, index, 0, 10, tell=tell)


def test_spin_until_at_least_refuses_a_float_index():
    with pytest.raises(TypeError):
        spin_until_at_least(np.zeros(2, np.int64), 0.0, 0, 10)


# --- one_blas_thread and worker_count ----------------------------------------------------------


FRESH_PROCESS_PREAMBLE = """
import threading
from threadpoolctl import threadpool_info
from minidl.kernels import one_blas_thread, worker_count
blas_threads = lambda: [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
seen = {"at start": blas_threads()}
"""


def blas_in_a_fresh_process(scenario: str) -> dict:
    """Runs `scenario` (Python using blas_threads(), one_blas_thread, worker_count and `seen`, a dict)
    in a new process whose BLAS starts at 2 threads, and returns `seen`. A fresh process, because
    threadpoolctl (≥ 3.8) remembers which thread set OpenBLAS's threads first, and ignores the others."""
    script = FRESH_PROCESS_PREAMBLE + textwrap.dedent(scenario) + "\nprint(repr(seen))\n"
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False, env=environment
    )
    assert done.returncode == 0, done.stderr
    seen = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    if not seen["at start"] or set(seen["at start"]) != {2}:
        pytest.skip(f"BLAS did not start at 2 threads with OPENBLAS_NUM_THREADS=2 (read {seen['at start']})")
    return seen


@needs_two_cores
def test_one_blas_thread_holds_blas_at_one_thread_and_restores_the_users_setting():
    """Catches a hold that does not reach BLAS, that is not given back (also after an error, or at
    the end of a nested hold), and a worker_count that reads the hold (1) instead of the user's
    setting, which would make every map_pieces inside a hold, and matmul's sharing, use one worker."""
    seen = blas_in_a_fresh_process(
        """
        with one_blas_thread():
            seen["holding"] = (blas_threads(), worker_count())
            with one_blas_thread():
                seen["nested"] = blas_threads()
            seen["after the nested hold"] = blas_threads()
        seen["after"] = (blas_threads(), worker_count())
        try:
            with one_blas_thread():
                raise KeyError
        except KeyError:
            seen["after an error"] = blas_threads()
        """
    )
    one, two = [1] * len(seen["at start"]), [2] * len(seen["at start"])
    assert seen["holding"] == (one, 2) and seen["nested"] == one and seen["after the nested hold"] == one
    assert seen["after"] == (two, 2) and seen["after an error"] == two


@needs_two_cores
def test_overlapping_holds_in_two_threads_give_blas_back_only_when_the_last_ends():
    """Thread A takes the hold, then B; A lets go while B still holds, and goes on running until B has
    let go too. Catches a hold that is not counted (A's end would give B's products their threads
    back) and a hold that is not given back when it ends in another thread than the one it began in
    (BLAS left at one thread for good)."""
    seen = blas_in_a_fresh_process(
        """
        first_holds, both_hold = threading.Event(), threading.Barrier(2, timeout=30)
        first_left, second_left = threading.Event(), threading.Event()

        def first():
            with one_blas_thread():
                first_holds.set()
                both_hold.wait()
                seen["first, both holding"] = (blas_threads(), worker_count())
            first_left.set()
            second_left.wait(timeout=30)  # the first thread goes on with other work meanwhile

        def second():
            first_holds.wait(timeout=30)
            with one_blas_thread():
                both_hold.wait()
                first_left.wait(timeout=30)
                seen["second, after the first left"] = (blas_threads(), worker_count())
            second_left.set()

        threads = [threading.Thread(target=target) for target in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        seen["after both"] = (blas_threads(), worker_count())
        """
    )
    one, two = [1] * len(seen["at start"]), [2] * len(seen["at start"])
    assert seen["first, both holding"] == (one, 2)
    assert seen["second, after the first left"] == (one, 2)
    assert seen["after both"] == (two, 2)


@needs_two_cores
def test_a_hold_in_another_thread_than_the_first_holders_reaches_blas():
    """Catches a hold that works only in the thread that happened to take the first one."""
    seen = blas_in_a_fresh_process(
        """
        with one_blas_thread():  # the main thread's hold, as a conv2d or matmul on it takes
            pass

        def hold():
            with one_blas_thread():
                seen["in the thread's hold"] = blas_threads()

        thread = threading.Thread(target=hold)
        thread.start()
        thread.join(timeout=60)
        seen["after"] = blas_threads()
        """
    )
    assert seen["in the thread's hold"] == [1] * len(seen["at start"])
    assert seen["after"] == seen["at start"]


def test_under_a_blas_limit_of_one_thread_everything_runs_on_the_calling_thread():
    """The studio limits BLAS to one thread to serve requests side by side: minidl must then start
    no threads of its own. Catches a worker_count that ignores the user's BLAS limit."""
    with blas_allows(1):
        assert worker_count() == 1
        record = Recorder()
        map_pieces(record, list(range(7)))
        assert {thread for _, _, thread in record.runs} == {threading.get_ident()}
        assert {worker for _, worker, _ in record.runs} == {0}


# --- matmul ------------------------------------------------------------------------------------


@contextmanager
def shared_products(macs: int = 0):
    """matmul with SHARED_PRODUCT_MACS = macs and two workers; yields the spy on its map_pieces."""
    with blas_allows(2), mock.patch.object(matmul_module, "SHARED_PRODUCT_MACS", macs):
        with mock.patch.object(matmul_module, "map_pieces", wraps=map_pieces) as spy:
            yield spy


@needs_two_cores
@given(
    shapes=hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, min_side=0, max_side=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_matmul_shared_between_workers_equals_numpy(shapes, seed):
    """1-D operands, batches, broadcast batch axes and empty sides, all through the shared path
    (SHARED_PRODUCT_MACS = 0). Catches rows lost or written twice at a block's border, a wrong
    result shape for 1-D b or broadcast batches, and a product left unshared."""
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(shape) for shape in shapes.input_shapes)
    expected = a @ b
    with shared_products() as spy:
        product = matmul(a, b)
    assert spy.called == (a.ndim >= 2), "the shared path did not run" if a.ndim >= 2 else "1-D a was shared"
    assert product.shape == expected.shape and product.dtype == expected.dtype
    np.testing.assert_allclose(product, expected, rtol=1e-12, atol=1e-12)


@needs_two_cores
@pytest.mark.parametrize(
    "dtypes", [("float32", "float32"), ("float32", "float64"), ("float64", "float32"), ("int64", "int64")]
)
@pytest.mark.parametrize("b_shape", [(4, 5), (4,), (1, 4, 5)])
def test_matmul_result_has_the_dtype_of_numpys_product(dtypes, b_shape):
    """Catches an out array made in the wrong dtype on the shared path (float32 products in float64,
    or float64 ones rounded to float32)."""
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((2, 6, 4)) * 10).astype(dtypes[0])
    b = (rng.standard_normal(b_shape) * 10).astype(dtypes[1])
    with shared_products() as spy:
        product = matmul(a, b)
    assert spy.called
    expected = a @ b
    assert product.dtype == expected.dtype and product.shape == expected.shape
    np.testing.assert_allclose(product, expected, rtol=1e-6 if expected.dtype == np.float32 else 1e-12)


@needs_two_cores
@pytest.mark.parametrize("b_shape", [(4, 5), (4,)])
def test_matmul_shares_from_shared_product_macs_multiply_adds_on(b_shape):
    """a.size · b.shape[-1] multiply-adds (b's columns, 1 for a vector): shared from the limit on, not
    below. Catches a comparison the wrong way round or a product that is never shared."""
    a, b = np.ones((3, 4)), np.ones(b_shape)
    macs = a.size * (b_shape[-1] if len(b_shape) == 2 else 1)
    for limit, shared in [(macs, True), (macs + 1, False)]:
        with shared_products(limit) as spy:
            np.testing.assert_array_equal(matmul(a, b), a @ b)
        assert spy.called == shared, f"{macs} multiply-adds with SHARED_PRODUCT_MACS = {limit}"


# --- conv2d on several workers -----------------------------------------------------------------


def conv2d_and_gradients(x, w, b, grad, args):
    """(out, [dx, dw, db]) of F.conv2d, backward from the output gradient `grad`, and the
    (piece count, workers) of each map_pieces call that the convolution made."""
    calls = []

    def spy(work, pieces, workers):
        calls.append((len(pieces), workers))
        return map_pieces(work, pieces, workers)

    leaves = [minidl.tensor(array, requires_grad=True) for array in (x, w, b)]
    with mock.patch.object(convolution_module, "map_pieces", spy):
        out = F.conv2d(*leaves, **args)
        out.backward(grad)
    return out.data, [leaf.grad for leaf in leaves], calls


@needs_two_cores
@settings(max_examples=30)
@given(
    data=st.data(),
    groups=st.integers(1, 2),
    size=pairs(2, 6),
    kernel=pairs(1, 3),
    stride=pairs(1, 2),
    padding=pairs(0, 2),
    dilation=pairs(1, 2),
    chunked=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv2d_on_several_workers_equals_one_worker_and_the_naive_loop(
    data, groups, size, kernel, stride, padding, dilation, chunked, seed
):
    """Every batch is split (MIN_SHARED_MULTIPLY_ADDS = 0), dW summed one image at a time; chunked:
    one image per piece, each worker's scratch cols rebuilt piece after piece (more pieces than
    workers). Forward against the naive loop and against one worker (BLAS limited to one thread, the
    batch in one piece); backward against one worker, and against the identities of a bilinear map:
    Σ dx·x = Σ dw·w = Σ grad·(out − b), db = Σ grad. Catches pieces that write over each other's rows,
    a scratch array shared between two threads or not rebuilt for the next piece, and a share of dW
    or db lost when the shares are summed."""
    assume(all(size[a] + 2 * padding[a] >= dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)))
    n = data.draw(st.integers(3 if chunked else 2, 5), label="n")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4 * groups, *size))  # four channels: three or fewer take the direct path
    w = rng.standard_normal((3 * groups, 4, *kernel))
    b = rng.standard_normal(3 * groups)
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    limits = dict(MIN_SHARED_MULTIPLY_ADDS=0, PER_IMAGE_WEIGHT_GRADS_BYTES=1) | (
        dict(WHOLE_BATCH_COLS_BYTES=0, CHUNK_COLS_BYTES=1) if chunked else {}
    )
    expected = naive_conv2d(x, w, b, stride, padding, dilation, groups)
    grad = rng.standard_normal(expected.shape)
    with blas_allows(2), mock.patch.multiple(chunked_im2col, **limits):
        out, grads, calls = conv2d_and_gradients(x, w, b, grad, args)
    # one worker on the batch kept whole, or chunked (test_scratch_of_one_worker_serves_every_piece)
    with blas_allows(1):
        one_out, one_grads, one_calls = conv2d_and_gradients(x, w, b, grad, args)
    assert [workers for _, workers in calls] == [2, 2] and [workers for _, workers in one_calls] == [1, 1]
    pieces = calls[0][0]
    assert pieces == (n if chunked else 2), f"{pieces} pieces for {n} images"
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(out, one_out, rtol=1e-12, atol=1e-12)
    for name, several, one in zip(("dx", "dw", "db"), grads, one_grads):
        np.testing.assert_allclose(several, one, rtol=1e-12, atol=1e-12, err_msg=name)
    grad_x, grad_w, grad_b = grads
    pairing = np.sum(grad * (expected - b.reshape(-1, 1, 1)))
    np.testing.assert_allclose([np.sum(grad_x * x), np.sum(grad_w * w)], [pairing, pairing], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad_b, grad.sum(axis=(0, 2, 3)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_conv2d_weighs_its_sharing_by_the_filters_each_column_meets(monkeypatch, groups):
    """A grouped convolution's column of cols meets O/G filters, not O: the work that decides whether
    a batch is shared (MIN_SHARED_MULTIPLY_ADDS) is C·kh·kw · OH·OW · O/G per image. Catches conv2d
    passing O, which would share grouped layers G times too eagerly."""
    seen = []
    real = chunked_im2col.ChunkedIm2col

    def spy(x, window, filters):
        seen.append(filters)
        return real(x, window, filters)

    monkeypatch.setattr(convolution_module, "ChunkedIm2col", spy)
    x = minidl.tensor(np.ones((2, 4, 5, 5), np.float32))
    F.conv2d(x, minidl.tensor(np.ones((8, 4 // groups, 3, 3), np.float32)), groups=groups)
    assert seen == [8 // groups]


def test_scratch_gives_each_worker_its_own_array_shaped_like_its_pieces_cols(monkeypatch):
    """Catches scratch arrays that are one array lent twice, or not shaped like a piece's cols."""
    monkeypatch.setattr(chunked_im2col, "worker_count", lambda: 2)
    monkeypatch.setattr(chunked_im2col, "WHOLE_BATCH_COLS_BYTES", 0)
    monkeypatch.setattr(chunked_im2col, "CHUNK_COLS_BYTES", 2 * 16 * 8)  # two 4×4 single-channel images
    fields = chunked_im2col.ChunkedIm2col(np.zeros((5, 1, 4, 4)), Window((1, 1), (1, 1)), filters=1)
    assert not fields.kept and len(fields.pieces) >= 3
    with fields.scratch(np.float32) as scratch:
        first, second = scratch(0, 0), scratch(1, 1)
        images = fields.pieces[0].stop - fields.pieces[0].start
        assert first.shape == (images, 1, 16) and first.dtype == np.float32
        assert not np.shares_memory(first, second)
        assert np.shares_memory(scratch(2, 0), first)  # worker 0's next piece reuses its scratch


def test_kept_cols_gives_each_piece_its_own_images(monkeypatch):
    """Catches kept-layout pieces that overlap or leave images out: each piece writes its images'
    fields into the one kept array, which then holds im2col of the whole batch."""
    monkeypatch.setattr(chunked_im2col, "worker_count", lambda: 2)
    monkeypatch.setattr(
        chunked_im2col, "WHOLE_BATCH_COLS_BYTES", 5 * 9 * 4 * 8
    )  # the batch is kept, in one piece per worker
    monkeypatch.setattr(chunked_im2col, "MIN_SHARED_MULTIPLY_ADDS", 0)
    x = np.random.default_rng(0).standard_normal((5, 1, 4, 4))
    window = Window((2, 2), (1, 1))
    fields = chunked_im2col.ChunkedIm2col(x, window, filters=1)
    assert fields.kept and [(p.start, p.stop) for p in fields.pieces] == [(0, 2), (2, 5)]
    with fields.in_use():
        parts = [fields.cols(piece, piece) for piece in range(len(fields.pieces))]
    assert [part.shape for part in parts] == [(2, 4, 9), (3, 4, 9)]
    np.testing.assert_array_equal(np.concatenate(parts), im2col(x, window))
    assert all(not np.shares_memory(a, b) for k, a in enumerate(parts) for b in parts[k + 1 :])


def test_scratch_of_one_worker_serves_every_piece():
    """Catches the single scratch array of one worker cut to the wrong number of images."""
    fields = chunked_im2col.ChunkedIm2col(np.zeros((5, 1, 4, 4)), Window((1, 1), (1, 1)), filters=1)
    fields.pieces, fields.workers = [slice(0, 2), slice(2, 4), slice(4, 5)], 1
    with fields.scratch(np.float64) as scratch:
        assert [scratch(piece, 0).shape for piece in range(3)] == [(2, 1, 16), (2, 1, 16), (1, 1, 16)]
        assert all(np.shares_memory(scratch(piece, 0), scratch(0, 0)) for piece in range(3))


def test_conv2d_with_one_worker_on_a_batch_too_large_to_keep_its_cols():
    """The shipped limits, no monkeypatch: 20 images of 3×48×48 under a 3×3 kernel make 9.1 MB of
    cols, more than WHOLE_BATCH_COLS_BYTES, so the batch is convolved in pieces on one worker."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((20, 3, 48, 48)), rng.standard_normal((2, 3, 3, 3))
    assert x.shape[0] * 46 * 46 * 27 * 8 > chunked_im2col.WHOLE_BATCH_COLS_BYTES
    with blas_allows(1):
        assert worker_count() == 1
        out = F.conv2d(minidl.tensor(x), minidl.tensor(w)).data
    np.testing.assert_allclose(out, naive_conv2d(x, w, None, (1, 1), (0, 0), (1, 1)), rtol=1e-10, atol=1e-10)


# --- dispatch's out= ---------------------------------------------------------------------------


window = Window((2, 3), (1, 2), (1, 0))
x_shape = (2, 3, 5, 6)  # cols (2, 3·2·3, 6·2) = (2, 18, 12); framed input (2, 3, 7, 6)


def test_the_out_tests_window_makes_the_shapes_they_expect():
    """The shapes in the messages below follow from these sizes."""
    assert window.output_size(*x_shape[2:]) == (6, 2) and window.frame(*x_shape[2:]) == (1, 1, 0, 0)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize(
    "kind, bad_out, error, message",
    [
        ("shape", np.empty((2, 18, 11)), ValueError, r"out of shape \(2, 18, 11\) do not fit; expected \(2, 18, 12\)"),
        ("dtype", np.empty((2, 18, 12), np.float32), TypeError, "writeable C-contiguous float64 array, got float32"),
        ("not contiguous", np.empty((12, 18, 2)).T, TypeError, "writeable C-contiguous float64"),
        ("every second image", np.empty((4, 18, 12))[::2], TypeError, "writeable C-contiguous float64"),
        ("read-only", np.empty((2, 18, 12)), TypeError, "writeable C-contiguous float64"),
        ("a list", [[[0.0] * 12] * 18] * 2, TypeError, "writeable C-contiguous float64 array, got list"),
    ],
)
def test_im2col_refuses_an_out_it_may_not_write_into(backend, kind, bad_out, error, message):
    """Catches an out that a numba kernel would write past or through wrong strides, and an out
    of another dtype that would hold silently converted values."""
    if kind == "read-only":
        bad_out.flags.writeable = False
    x = np.random.default_rng(1).standard_normal(x_shape)
    with use_kernels(backend), pytest.raises(error, match=message):
        im2col(x, window, out=bad_out)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_col2im_refuses_an_out_it_may_not_write_into(backend):
    cols = np.random.default_rng(2).standard_normal((2, 18, 12))
    framed = np.zeros((2, 3, 7, 6))
    framed.flags.writeable = False
    with use_kernels(backend):
        with pytest.raises(ValueError, match=r"out of shape \(2, 3, 5, 6\) do not fit; expected \(2, 3, 7, 6\)"):
            col2im(cols, x_shape, window, out=np.zeros(x_shape))  # the input without its frame
        with pytest.raises(TypeError, match="writeable C-contiguous float64 array, got float32"):
            col2im(cols, x_shape, window, out=np.zeros((2, 3, 7, 6), np.float32))
        with pytest.raises(TypeError, match="writeable C-contiguous float64"):
            col2im(cols, x_shape, window, out=framed)


@st.composite
def window_and_input(draw):
    window = Window(draw(pairs(1, 3)), draw(pairs(1, 3)), draw(pairs(0, 1)), draw(pairs(1, 2)), draw(st.booleans()))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + draw(pairs(1, 6))
    assume(min(window.output_size(*shape[2:])) >= 1)
    return window, shape, draw(st.sampled_from([np.float32, np.float64]))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@given(case=window_and_input(), seed=st.integers(0, 2**32 - 1))
def test_im2col_and_col2im_write_into_out(backend, case, seed):
    """im2col fills out (and returns it); col2im adds to what out holds and returns out's x_shape
    part, a view. Catches a kernel that writes into a copy, and a col2im that zeroes out first
    (the convolution's backward hands it slices of one array that must keep their sums)."""
    window, shape, dtype = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    top, bottom, left, right = window.frame(*shape[2:])
    framed_shape = (*shape[:2], top + shape[2] + bottom, left + shape[3] + right)
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    with use_kernels(backend):
        cols = im2col(x, window)
        out = np.full(cols.shape, np.nan, dtype)
        assert im2col(x, window, out=out) is out
        np.testing.assert_array_equal(out, cols)
        plain = col2im(cols, shape, window)
        from_zeros, from_ones = np.zeros(framed_shape, dtype), np.ones(framed_shape, dtype)
        summed = col2im(cols, shape, window, out=from_ones)
        col2im(cols, shape, window, out=from_zeros)
    assert summed.shape == shape and np.shares_memory(summed, from_ones)
    np.testing.assert_allclose(summed, plain + 1, **tolerance)
    np.testing.assert_allclose(from_ones, from_zeros + 1, **tolerance)  # the frame too
