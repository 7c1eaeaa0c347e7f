"""minidl's worker threads in a process's life: a forked child starts a pool of its own."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

from minidl.kernels import map_pieces, worker_count

pytestmark = pytest.mark.kernels


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
