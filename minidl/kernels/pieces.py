"""How the fast path cuts a batch into pieces: by the batch alone, never by the number of workers.

A convolution's gradient of the weights is a sum over the batch's images; the fast path adds it up
piece by piece, then the pieces' sums in piece order. So the pieces decide every rounding, and if
they depended on the machine's cores, so would a trained model (a run of LeNet-5 on two cores and
the same run on one drifted apart within ten steps). Here they depend on the work and the memory
of the batch only; the workers (workers.py) then take them in any order.

Pieces serve two ends. Sharing: a batch with much work is cut into a power of two of pieces,
about one per PIECE_MULTIPLY_ADDS, at most MAX_PIECES, so that 2, 4 or 8 cores each get as many
(work counts BLAS's multiply-adds; the direct convolution's loops weigh theirs by
DIRECT_WORK_PER_MULTIPLY_ADD). Memory: im2col's matrix is C·kh·kw times the input; a batch whose matrix exceeds
KEEP_COLS_BYTES does not keep it from the forward to the backward pass, but builds it again piece by
piece, each piece's at most PIECE_COLS_BYTES.
"""

from __future__ import annotations

import math

PIECE_MULTIPLY_ADDS = 7 << 20
DIRECT_WORK_PER_MULTIPLY_ADD = 2  # direct_numba's loops against BLAS's products, per multiply-add (LeNet's layers)
MAX_PIECES = 8
KEEP_COLS_BYTES = 8 << 20
PIECE_COLS_BYTES = 3 << 20
WEIGHT_GRADS_BYTES = 4 << 20


def batch_pieces(images: int, multiply_adds_per_image: float, cols_bytes_per_image: int = 0) -> list[slice]:
    """The pieces of a batch of `images`: slices of whole images, as even as whole images allow."""
    sharing = min(MAX_PIECES, int(images * multiply_adds_per_image // PIECE_MULTIPLY_ADDS))
    sharing = 1 << (sharing.bit_length() - 1) if sharing > 1 else 1  # a power of two: 2, 4 or 8 cores share it evenly
    cols_bytes = images * cols_bytes_per_image
    memory = math.ceil(cols_bytes / PIECE_COLS_BYTES) if cols_bytes > KEEP_COLS_BYTES else 1
    count = max(1, min(images, max(sharing, memory)))
    bounds = [images * k // count for k in range(count + 1)]
    return [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]


def cols_kept(images: int, cols_bytes_per_image: int) -> bool:
    """Whether the whole batch's im2col matrix is small enough to keep for the backward pass."""
    return images * cols_bytes_per_image <= KEEP_COLS_BYTES


def images_per_block(bytes_per_image: int) -> int:
    """How many images' products for the weights' gradient a piece holds at a time: at least one,
    as many as fit in WEIGHT_GRADS_BYTES."""
    return max(1, WEIGHT_GRADS_BYTES // bytes_per_image)
