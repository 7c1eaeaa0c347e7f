"""im2col of a batch by pieces: how the convolution's memory and its work are cut up.

cols is C·kh·kw times larger than the input. The batch is cut into pieces of whole images, for two
reasons: so that the workers (workers.py) each take a share of them, and so that a batch too large
to keep its cols needs only a piece's worth (at most CHUNK_COLS_BYTES) at a time. Up to
WHOLE_BATCH_COLS_BYTES for the whole batch, cols is one array that every piece fills its own images
of, kept for the backward pass, and there is one piece per worker (smaller pieces, sized for the
core's cache, measured slower: every piece costs its own calls); beyond, each worker has one scratch
array of a piece's size, borrowed from the workspace (workspace.py) for one call, and a piece's cols
is built into it again wherever it is needed. A batch whose forward product has fewer than
MIN_SHARED_MULTIPLY_ADDS per worker stays on the calling thread: waking a second thread costs
a fixed time per call (on this project's 2-core virtual machine, more than small work saves).
Every array is made here, by the calling thread (workers.py says why). The README's section on
speed gives the measurements behind the limits.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np

from minidl.kernels.dispatch import im2col
from minidl.kernels.geometry import Window
from minidl.kernels.workers import worker_count
from minidl.kernels.workspace import workspace

WHOLE_BATCH_COLS_BYTES = 8 << 20
CHUNK_COLS_BYTES = 3 << 20
MIN_SHARED_MULTIPLY_ADDS = 3 << 20
PER_IMAGE_WEIGHT_GRADS_BYTES = 4 << 20  # the convolution's dW, image by image, a block of images at a time

PieceArray = Callable[[int, int], np.ndarray]  # (piece, worker) -> an array of the piece's images


def image_pieces(n: int, cols_bytes_per_image: int, workers: int, multiply_adds_per_image: int) -> list[slice]:
    """The slices of a batch of n images: enough that none exceeds CHUNK_COLS_BYTES once the batch is
    too large to keep, a multiple of `workers` when the batch is worth sharing (its forward product
    has at least MIN_SHARED_MULTIPLY_ADDS per worker), as even as whole images allow."""
    total = n * cols_bytes_per_image
    count = math.ceil(total / CHUNK_COLS_BYTES) if total > WHOLE_BATCH_COLS_BYTES else 1
    if workers > 1 and n * multiply_adds_per_image >= workers * MIN_SHARED_MULTIPLY_ADDS:
        count = workers * math.ceil(count / workers)
    count = max(1, min(count, n))
    bounds = [n * k // count for k in range(count + 1)]
    return [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]


class ChunkedIm2col:
    """The receptive fields of x (N, C, H, W) under `window`, by pieces of the batch; each column of
    cols meets `filters` rows of weights in the product (O/G for a convolution of G groups).

    with fields.in_use():  # for one call (forward or backward)
        map_pieces(work, range(len(fields.pieces)), fields.workers)
    where work(piece, worker) calls fields.cols(piece, worker): (images, C·kh·kw, OH·OW) for the
    images fields.pieces[piece].
    """

    def __init__(self, x: np.ndarray, window: Window, filters: int):
        self.x, self.window = x, window
        out_h, out_w = window.output_size(*x.shape[2:])
        self.taps, self.out_size = x.shape[1] * window.kernel[0] * window.kernel[1], out_h * out_w
        cols_bytes_per_image = self.taps * self.out_size * x.itemsize
        self.workers = worker_count()
        multiply_adds_per_image = self.taps * self.out_size * filters
        self.pieces = image_pieces(x.shape[0], cols_bytes_per_image, self.workers, multiply_adds_per_image)
        self.kept = x.shape[0] * cols_bytes_per_image <= WHOLE_BATCH_COLS_BYTES
        # Kept cols lives from the forward to the backward pass, so it is an array of its own.
        self._kept_cols = np.empty((x.shape[0], self.taps, self.out_size), x.dtype) if self.kept else None
        self._scratch: PieceArray | None = None
        self._built = [False] * len(self.pieces)

    @contextmanager
    def scratch(
        self, dtype: np.dtype, per_image: tuple[int, ...] | None = None, most_images: int | None = None
    ) -> Iterator[PieceArray]:
        """For the block: scratch(piece, worker), an array of one `per_image` entry (default: cols' own,
        (C·kh·kw, OH·OW)) for each of the piece's images, or for at most `most_images` of them; one per
        worker (reused by the pieces it works on one after the other), borrowed from the workspace."""
        per_image = (self.taps, self.out_size) if per_image is None else per_image
        images = max(piece.stop - piece.start for piece in self.pieces)
        images = images if most_images is None else max(1, min(images, most_images))
        with workspace.borrowed([(images, *per_image)] * min(self.workers, len(self.pieces)), dtype) as arrays:
            yield lambda piece, worker: arrays[worker][
                : min(images, self.pieces[piece].stop - self.pieces[piece].start)
            ]

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """For one call: kept cols needs nothing more; else each worker's scratch for cols is borrowed."""
        if self.kept:
            yield
            return
        with self.scratch(self.x.dtype) as scratch:
            self._scratch = scratch
            try:
                yield
            finally:
                self._scratch = None

    def cols(self, piece: int, worker: int) -> np.ndarray:
        """im2col of x's piece-th piece: built once when cols is kept, else into the worker's scratch."""
        if self._kept_cols is not None:
            cols = self._kept_cols[self.pieces[piece]]
        elif self._scratch is not None:
            cols = self._scratch(piece, worker)
        else:
            raise RuntimeError("ChunkedIm2col.cols: the batch is too large to keep; call it inside fields.in_use()")
        if not self._built[piece]:
            im2col(self.x[self.pieces[piece]], self.window, out=cols)
            self._built[piece] = self.kept
        return cols
