"""minidl's worker threads in a process's life: a forked child and a piece that shares work itself."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

from minidl.kernels import map_pieces, worker_count

pytestmark = pytest.mark.kernels


def test_a_piece_that_calls_map_pieces_runs_its_pieces_in_place():
    """The pool has one thread per extra core; a pool thread waiting on that same pool would hang."""
    if worker_count() < 2:
        pytest.skip("needs BLAS allowed at least 2 threads, to start the pool at all")

    def inner(piece: int, worker: int) -> tuple[int, int]:
        return piece, threading.get_ident()

    def outer(piece: int, worker: int) -> list[tuple[int, int]]:
        return map_pieces(inner, range(3), workers=2)

    finished: list[list[list[tuple[int, int]]]] = []
    caller = threading.Thread(target=lambda: finished.append(map_pieces(outer, range(2), workers=2)), daemon=True)
    caller.start()
    caller.join(timeout=20)
    assert finished, "map_pieces inside a piece did not return within 20 s: the pool waits on itself"
    results = finished[0]
    assert [[piece for piece, _ in inner_results] for inner_results in results] == [[0, 1, 2], [0, 1, 2]]
    in_pool = results[1]  # outer piece 1 ran on the pool's thread: its inner pieces all stayed there
    assert len({thread for _, thread in in_pool}) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork exists only on POSIX systems")
def test_a_forked_child_can_share_work_again():
    """After fork the child has no pool threads: map_pieces must make new ones, not queue work forever."""
    if worker_count() < 2:
        pytest.skip("needs BLAS allowed at least 2 threads, to start the pool at all")
    assert map_pieces(lambda piece, worker: piece * 2, range(4), workers=2) == [0, 2, 4, 6]  # pool started
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        code = 1
        signal.alarm(20)  # work queued for the parent's vanished pool would wait forever: end the child
        try:
            threads: set[int] = set()

            def work(piece: int, worker: int) -> int:
                threads.add(threading.get_ident())
                return int(np.arange(piece + 1).sum())

            ok = map_pieces(work, range(4), workers=2) == [0, 1, 3, 6] and len(threads) == 2
            os.write(write, b"ok" if ok else b"wrong")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    answer = os.read(read, 16)
    os.close(read)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child ended with status {status}"
    assert answer == b"ok"
