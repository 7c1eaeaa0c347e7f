"""minidl's worker threads (minidl/kernels/workers.py): run_pieces runs every piece once, gives the
results in piece order and re-raises a piece's error only once every thread is done; Ctrl-C stops
it within a piece; one_blas_thread holds BLAS at one thread for as long as anyone holds it and
gives the user's setting back; MINIDL_WORKERS and set_workers choose the number of workers.

Tests that need two threads at once are skipped, saying so, on a machine with a single core.
"""

from __future__ import annotations

import ast
import faulthandler
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from minidl.kernels import kernel_backend, set_workers, use_kernels, use_workers, worker_count
from minidl.kernels import workers
from minidl.kernels.workers import available_cores, run_pieces

pytestmark = pytest.mark.kernels

needs_two_cores = pytest.mark.skipif(available_cores() < 2, reason="only one core: no second thread runs at once")
HANG_SECONDS = 120


@pytest.fixture(autouse=True)
def no_test_hangs(request, capsys):
    """A lost hand-over hangs a thread for ever: after HANG_SECONDS the test process prints every
    thread's stack (to the terminal: capture is lifted for it) and exits, a failed run that says where
    it hung, instead of a CI job that waits for its own time limit."""

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
    """A user's setting of `threads` BLAS threads for the block (restored afterwards); skips when no
    BLAS library lets itself be set so."""
    with threadpool_limits(limits=threads, user_api="blas"):
        counts = blas_threads()
        if not counts or min(counts) != threads:
            pytest.skip(f"no BLAS library here that can be set to {threads} threads (threadpoolctl reads {counts})")
        yield


class Recorder:
    """work(piece, worker) for run_pieces that notes which worker and which thread ran each piece,
    each piece taking `seconds` (long enough that a second thread surely takes some)."""

    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds
        self.runs: list[tuple[int, int, int]] = []  # list.append is atomic: safe from several threads

    def __call__(self, piece: int, worker: int) -> tuple[str, int]:
        time.sleep(self.seconds)
        self.runs.append((piece, worker, threading.get_ident()))
        return ("done", piece)


# --- run_pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize("count_of_workers", [1, 2, 3, 4])
@pytest.mark.parametrize("count", [0, 1, 2, 5, 17])
def test_run_pieces_gives_the_results_in_piece_order_each_piece_run_once(count, count_of_workers):
    """Catches results gathered in the order the threads finished, a piece dropped or run twice (two
    threads taking one piece), and worker indices past the scratch arrays a caller made per worker."""
    record = Recorder()
    assert run_pieces(record, count, count_of_workers) == [("done", piece) for piece in range(count)]
    assert sorted(piece for piece, _, _ in record.runs) == list(range(count))
    assert {worker for _, worker, _ in record.runs} <= set(range(min(count, count_of_workers)))


@needs_two_cores
def test_run_pieces_with_two_workers_runs_on_two_threads_the_caller_being_worker_0():
    record = Recorder(seconds=0.02)
    run_pieces(record, 8, 2)
    threads_of = {worker: {thread for _, w, thread in record.runs if w == worker} for worker in (0, 1)}
    assert threads_of[0] == {threading.get_ident()}
    assert len(threads_of[1]) == 1 and threads_of[1] != threads_of[0]


class PieceFailed(Exception):
    pass


@needs_two_cores
def test_a_pieces_error_is_raised_only_after_every_other_thread_finished():
    """The caller's piece 0 fails at once while the helper is still in a long piece: run_pieces must
    wait for it (it writes into the caller's arrays) and hand out no further piece."""
    finished = []

    def work(piece: int, worker: int) -> None:
        if worker == 0:
            helper_started.wait(timeout=30)
            raise PieceFailed(piece)
        helper_started.set()
        time.sleep(0.2)
        finished.append(piece)

    helper_started = threading.Event()
    with pytest.raises(PieceFailed):
        run_pieces(work, 6, 2)
    assert len(finished) == 1  # the helper's piece in flight, done; no piece handed out after the error


@needs_two_cores
def test_a_helpers_error_reaches_the_caller():
    def work(piece: int, worker: int) -> int:
        time.sleep(0.01)
        if worker == 1:
            raise PieceFailed(piece)
        return piece

    with pytest.raises(PieceFailed):
        run_pieces(work, 8, 2)


@needs_two_cores
def test_every_piece_runs_in_the_callers_context():
    """A use_kernels(...) block of the caller holds in the helper threads too (contextvars)."""
    with use_kernels("numpy"):
        seen = run_pieces(lambda piece, worker: (time.sleep(0.01), kernel_backend(), worker)[1:], 8, 2)
    assert {backend for backend, _ in seen} == {"numpy"} and {worker for _, worker in seen} == {0, 1}


@needs_two_cores
def test_run_pieces_inside_a_piece_runs_in_place():
    """A piece that shares pieces out again would wait for pool threads that may all be waiting too."""

    def outer(piece: int, worker: int) -> list:
        return run_pieces(lambda inner, w: (piece, inner, w), 3, 2)

    results = run_pieces(outer, 4, 2)
    assert [[(p, i) for p, i, _ in inner] for inner in results] == [[(p, i) for i in range(3)] for p in range(4)]


@needs_two_cores
def test_run_pieces_from_two_threads_at_once_gives_each_its_own_results():
    results: dict[str, list] = {}

    def call(name: str) -> None:
        results[name] = run_pieces(lambda piece, worker: (time.sleep(0.005), name, piece)[1:], 12, 2)

    threads = [threading.Thread(target=call, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {name: [(name, piece) for piece in range(12)] for name in ("a", "b")}


@needs_two_cores
def test_ctrl_c_in_the_callers_piece_stops_the_sharing_after_the_pieces_in_flight():
    """KeyboardInterrupt from the caller's piece: the helper finishes the piece it has, takes no more,
    and run_pieces raises the interruption once it has."""
    started, done = [], []

    def work(piece: int, worker: int) -> None:
        started.append(piece)
        if worker == 0 and piece > 0:
            raise KeyboardInterrupt
        time.sleep(0.05)
        done.append(piece)

    with pytest.raises(KeyboardInterrupt):
        run_pieces(work, 40, 2)
    interrupted = [piece for piece in started if piece not in done]
    assert len(interrupted) == 1  # the caller's; every piece the helper took, it finished
    assert len(started) < 10, f"{len(started)} of 40 pieces started after the interruption"


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="needs POSIX signals")
def test_ctrl_c_stops_a_training_loop_within_a_step(tmp_path):
    """A real SIGINT into a LeNet-5 training loop that would run for minutes: the process ends with
    KeyboardInterrupt soon after, instead of finishing its work first or hanging in a wait."""
    script = textwrap.dedent(
        """
        import sys, time
        import numpy as np
        import minidl, minidl.functional as F
        from minidl.models import LeNet5
        model, x, y = LeNet5(), minidl.tensor(np.random.rand(64, 1, 28, 28).astype(np.float32)), np.arange(64) % 10
        for step in range(100000):
            F.cross_entropy(model(x), y).backward()
            if step == 3:
                print("training", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "training"
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=20)
    finally:
        process.kill()
    assert "KeyboardInterrupt" in errors, errors


# --- one_blas_thread and the number of workers ---------------------------------------------------


FRESH_PROCESS_PREAMBLE = """
import threading
from threadpoolctl import threadpool_info
from minidl.kernels import one_blas_thread, worker_count
blas_threads = lambda: [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
seen = {"at start": blas_threads()}
"""


def in_a_fresh_process(scenario: str, **environment: str) -> dict:
    """Runs `scenario` (Python using blas_threads(), one_blas_thread, worker_count and `seen`, a dict)
    in a new process whose BLAS starts at 2 threads, and returns `seen`. A fresh process, because
    threadpoolctl (≥ 3.8) remembers which thread set OpenBLAS's threads first, and ignores the others."""
    script = FRESH_PROCESS_PREAMBLE + textwrap.dedent(scenario) + "\nprint(repr(seen))\n"
    inherited = {name: value for name, value in os.environ.items() if name != "MINIDL_WORKERS"}
    environment = inherited | {"OPENBLAS_NUM_THREADS": "2"} | environment
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
    setting, which would make every run_pieces inside a hold use one worker."""
    seen = in_a_fresh_process(
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
    """Thread A takes the hold, then B; A lets go while B still holds. Catches a hold that is not
    counted (A's end would give B's products their threads back) and a hold that is not given back when
    it ends in another thread than the one it began in (BLAS left at one thread for good)."""
    seen = in_a_fresh_process(
        """
        first_holds, both_hold = threading.Event(), threading.Barrier(2, timeout=30)
        first_left, second_left = threading.Event(), threading.Event()

        def first():
            with one_blas_thread():
                first_holds.set()
                both_hold.wait()
                seen["first, both holding"] = (blas_threads(), worker_count())
            first_left.set()
            second_left.wait(timeout=30)

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
def test_blas_stays_at_one_thread_while_the_helpers_have_work_and_comes_back_when_they_idle():
    """OpenBLAS's threads spin after a product; run between two convolutions they would take the
    helpers' cores. Catches a crew that gives BLAS back at once, or never."""
    seen = in_a_fresh_process(
        """
        import time
        from minidl.kernels import workers
        workers.LINGER_SECONDS = 0.3
        workers.run_pieces(lambda piece, worker: piece, 4, 2)
        seen["right after"] = (blas_threads(), worker_count())
        time.sleep(1.5)
        seen["after a quiet while"] = blas_threads()
        workers.run_pieces(lambda piece, worker: piece, 4, 2)
        seen["working again"] = blas_threads()
        """
    )
    one, two = [1] * len(seen["at start"]), [2] * len(seen["at start"])
    assert seen["right after"] == (one, 2)
    assert seen["after a quiet while"] == two and seen["working again"] == one


def test_under_a_blas_limit_of_one_thread_everything_runs_on_the_calling_thread():
    """The studio limits BLAS to one thread to serve requests side by side: by default minidl then
    starts no threads of its own; set_workers overrides the default."""
    with blas_allows(1), use_workers(None):
        assert worker_count() == 1
        record = Recorder()
        run_pieces(record, 7)
        assert {thread for _, _, thread in record.runs} == {threading.get_ident()}
        with use_workers(2):
            assert worker_count() == 2


def test_set_workers_and_use_workers():
    with use_workers(3):
        assert worker_count() == 3
        with pytest.raises(RuntimeError), use_workers(1):
            assert worker_count() == 1
            raise RuntimeError
        assert worker_count() == 3
    with use_workers(np.int64(2)):
        assert worker_count() == 2 and type(worker_count()) is int
    for bad in (0, -1, 1.5, "two", True, np.float64(2.0)):
        with pytest.raises(ValueError, match="positive integer"):
            set_workers(bad)


@pytest.mark.parametrize("value, expected", [("1", 1), (" 3 ", 3)])
def test_minidl_workers_in_the_environment_sets_the_count(value, expected):
    seen = in_a_fresh_process('seen["workers"] = worker_count()', MINIDL_WORKERS=value)
    assert seen["workers"] == expected


def test_a_bad_minidl_workers_fails_on_import_naming_it():
    done = subprocess.run(
        [sys.executable, "-c", "import minidl"],
        capture_output=True,
        text=True,
        env={**os.environ, "MINIDL_WORKERS": "0"},
    )
    assert done.returncode != 0 and "MINIDL_WORKERS" in done.stderr and "'0'" in done.stderr


def test_one_worker_starts_no_thread():
    """MINIDL_WORKERS=1: a training step runs on the calling thread alone."""
    script = textwrap.dedent(
        """
        import threading
        import numpy as np
        import minidl, minidl.functional as F
        from minidl.models import LeNet5
        x = minidl.tensor(np.random.rand(64, 1, 28, 28).astype(np.float32))
        F.cross_entropy(LeNet5()(x), np.arange(64) % 10).backward()
        print(threading.active_count())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "MINIDL_WORKERS": "1"}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]


@needs_two_cores
def test_a_setting_the_program_made_under_a_hold_is_the_one_given_back():
    """The crew's hold begins inside the program's threadpool_limits(1), whose end sets BLAS back
    to 2 threads under the hold. Catches a hold that gives back the count it saw when it began (1:
    BLAS left at one thread for good)."""
    seen = in_a_fresh_process(
        """
        import time
        from threadpoolctl import threadpool_limits
        from minidl.kernels import workers
        workers.LINGER_SECONDS = 0.3
        with threadpool_limits(limits=1, user_api="blas"):
            workers.run_pieces(lambda piece, worker: piece, 4, 2)
        seen["after the limit, the crew holding"] = (blas_threads(), worker_count())
        workers.run_pieces(lambda piece, worker: piece, 4, 2)
        seen["in the next shared call's linger"] = blas_threads()
        time.sleep(1.5)
        seen["after a quiet while"] = blas_threads()
        """,
        MINIDL_WORKERS="2",
    )
    one, two = [1] * len(seen["at start"]), [2] * len(seen["at start"])
    assert seen["after the limit, the crew holding"] == (two, 2)  # the program's own setting, at once
    assert seen["in the next shared call's linger"] == one and seen["after a quiet while"] == two


def test_a_post_whose_notify_ctrl_c_cut_off_still_reaches_a_sleeping_helper():
    """Ctrl-C may strike post() between the counter's step and notify_all: the helper, asleep,
    must still see the job (within WAKE_SECONDS), or the caller waits for it for ever."""
    workers._spin_reads()  # numba's compilation of the spin, before the helper's first wait
    helper = workers._Helper("minidl-worker-test")
    time.sleep(0.3)  # past its spin: asleep on the condition
    ran = threading.Event()
    helper.job = ran.set
    helper.counters[helper.POSTED] += 1  # post() without its notify_all
    assert ran.wait(timeout=5 * helper.WAKE_SECONDS)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork exists only on POSIX systems")
@needs_two_cores
def test_a_child_forked_while_the_crew_holds_blas_starts_afresh():
    """Forked right after a shared call, while the parent's crew keeps BLAS at one thread: the child
    has none of the parent's threads, so BLAS gets the program's setting back there (catches a child
    left at one BLAS thread and so one worker) and its first shared call makes a crew of its own
    (catches work queued for the parent's vanished threads, which would wait for ever)."""
    seen = in_a_fresh_process(
        """
        import ast, os, signal, time
        from minidl.kernels import workers
        workers.run_pieces(lambda piece, worker: piece, 4, 2)
        seen["parent, the crew holding"] = blas_threads()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.alarm(20)
            found = [blas_threads(), worker_count()]
            found.append(workers.run_pieces(lambda piece, worker: (time.sleep(0.01), piece)[1], 4, 2))
            found.append(len(workers._crews))
            os.write(write, repr(found).encode())
            os._exit(0)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        seen["child's status"] = status
        seen["child"] = ast.literal_eval(os.read(read, 1000).decode() or "None")
        """
    )
    one, two = [1] * len(seen["at start"]), [2] * len(seen["at start"])
    assert seen["parent, the crew holding"] == one
    assert seen["child's status"] == 0
    assert seen["child"] == [two, 2, [0, 1, 2, 3], 1]


def test_the_workers_file_holds_every_thread_of_minidl():
    """The threading lives in one file: nothing else in minidl imports threading's pools or starts threads."""
    package = os.path.dirname(os.path.dirname(workers.__file__))
    offenders = []
    for folder, _, files in os.walk(package):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".py") and path != workers.__file__ and "studio" not in path:
                text = open(path, encoding="utf-8").read()
                if "ThreadPoolExecutor" in text or "threading.Thread(" in text:
                    offenders.append(path)
    assert offenders == []
