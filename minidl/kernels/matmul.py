"""Matrix products on minidl's workers: a @ b with NumPy's semantics, the rows of the result shared
between the threads of workers.py when the product is large, BLAS held to one thread per call
while the workers are about (workers.near_the_workers).

Row block r of A @ B is A[r] @ B, so each worker writes its own rows of a result that the calling
thread made. Products below SHARED_PRODUCT_MACS multiply-adds stay on the calling thread: handing a
piece to a thread costs tens of microseconds.
"""

from __future__ import annotations

import math

import numpy as np

from minidl.kernels.workers import map_pieces, near_the_workers, worker_count

SHARED_PRODUCT_MACS = 1 << 23


def _multiply_adds(a: np.ndarray, b: np.ndarray) -> int:
    """The multiply-adds of a @ b, a of two axes or more: a stack of (M, K) @ (K, P) products."""
    if b.ndim == 1:
        return a.size
    # (np.broadcast_shapes takes 1.5 µs, a tenth of a small product's time: not for the common 2-D case)
    stack = 1 if a.ndim == b.ndim == 2 else math.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    return stack * a.shape[-2] * a.shape[-1] * b.shape[-1]


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, with the rows of a (its axis −2) shared between the workers when that pays."""
    small = a.ndim < 2 or _multiply_adds(a, b) < SHARED_PRODUCT_MACS
    workers = 1 if small else worker_count()
    if workers == 1:
        with near_the_workers():
            return a @ b
    rows = a.shape[-2]
    if b.ndim == 1:
        out = np.empty(a.shape[:-1], dtype=np.result_type(a, b))
    else:
        out = np.empty((*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), rows, b.shape[-1]), np.result_type(a, b))
    bounds = [rows * k // workers for k in range(workers + 1)]

    def product_rows(piece: int, worker: int) -> None:
        r = slice(bounds[piece], bounds[piece + 1])
        if b.ndim == 1:
            np.matmul(a[..., r, :], b, out=out[..., r])
        else:
            np.matmul(a[..., r, :], b, out=out[..., r, :])

    map_pieces(product_rows, range(workers), workers)
    return out
