"""The workspace: scratch memory that the convolution borrows for a call and gives back after it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl.kernels import pieces
from minidl.kernels.workspace import Workspace, workspace

pytestmark = pytest.mark.kernels


def test_borrowed_arrays_have_the_shapes_asked_for_and_do_not_overlap():
    space = Workspace()
    with space.borrowed([(3, 4), (5,)], np.float32) as (a, b):
        assert a.shape == (3, 4) and b.shape == (5,) and a.dtype == b.dtype == np.float32
        assert a.flags.c_contiguous and a.flags.writeable
        assert not np.shares_memory(a, b)
        a[...], b[...] = 1.0, 2.0
        assert (a == 1).all() and (b == 2).all()


def test_memory_given_back_serves_the_next_call_of_a_size_that_fits():
    space = Workspace()
    with space.borrowed([(1000,)], np.float64) as (first,):
        address = first.ctypes.data
    assert space.kept_bytes == 8000
    with space.borrowed([(900,)], np.float64) as (again,):  # fits in the 8,000 bytes kept
        assert again.ctypes.data == address
        assert space.kept_bytes == 0  # lent out, so not kept
    with space.borrowed([(100,)], np.float64) as (small,):  # 800 bytes: the 8,000-byte block is too big
        assert small.ctypes.data != address


def test_two_borrowers_at_once_never_share_memory():
    space = Workspace()
    barrier, seen = threading.Barrier(2), []

    def borrow() -> None:
        with space.borrowed([(256,)], np.float32) as (array,):
            barrier.wait(timeout=10)  # both hold their arrays now
            seen.append(array)
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=borrow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(seen) == 2 and not np.shares_memory(seen[0], seen[1])


def test_only_the_limit_is_kept_and_release_lets_go_of_it():
    space = Workspace(limit_bytes=1000)
    with space.borrowed([(100,), (100,)], np.float32):  # 400 bytes each
        pass
    assert space.kept_bytes == 800
    with space.borrowed([(100,), (100,), (100,)], np.float32):  # 2 reused, 1 new
        pass
    assert space.kept_bytes == 800  # the third 400 bytes would pass the limit: left to the collector
    space.release()
    assert space.kept_bytes == 0


def test_a_convolution_gives_back_what_it_borrowed_and_gives_the_same_results_again():
    """Large batch: cols is rebuilt per piece into borrowed scratch, twice per step; the second step
    reuses the first one's memory and must give identical numbers (nothing stale read)."""
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((6, 3, 9, 9)), requires_grad=True)
    w = minidl.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pieces, "KEEP_COLS_BYTES", 0)
        patch.setattr(pieces, "PIECE_COLS_BYTES", 2 * 81 * 27 * 8)  # two images a piece
        results = []
        for _ in range(2):
            x.grad = w.grad = None
            out = F.conv2d(x, w, padding=1)
            (out * out).sum().backward()
            results.append((out.data.copy(), x.grad.copy(), w.grad.copy()))
        assert workspace.kept_bytes > 0
    for first, second in zip(*results):
        np.testing.assert_array_equal(first, second)
    with minidl.no_grad():  # inference keeps nothing for a backward pass: the same numbers
        np.testing.assert_allclose(F.conv2d(x, w, padding=1).data, results[0][0], rtol=1e-12)
