"""im2col of a batch, built whole or a few images at a time: the memory side of the convolution.

cols is C·kh·kw times larger than the input. Up to WHOLE_BATCH_COLS_BYTES it is built once for the
whole batch and kept for the backward pass. Beyond, it is built for a few images at a time (at most
CHUNK_COLS_BYTES), each piece used by its matrix product while it is still in the processor's cache,
and rebuilt from the input in backward instead of kept. The README's section on speed gives the
measurements behind the two limits.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.dispatch import im2col
from minidl.kernels.geometry import Window

WHOLE_BATCH_COLS_BYTES = 8 << 20
CHUNK_COLS_BYTES = 3 << 20


def image_chunks(n: int, cols_bytes_per_image: int) -> list[slice]:
    """The slices of a batch of n images that im2col handles at one time."""
    if n * cols_bytes_per_image <= WHOLE_BATCH_COLS_BYTES:
        return [slice(0, n)]
    size = max(1, CHUNK_COLS_BYTES // cols_bytes_per_image)
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


class ChunkedIm2col:
    """The receptive fields of x (N, C, H, W) under `window`, by pieces of the batch.

    for images in fields.pieces: cols = fields.cols(images)  # (images·OH·OW, C·kh·kw)
    """

    def __init__(self, x: np.ndarray, window: Window):
        self.x, self.window = x, window
        out_h, out_w = window.output_size(*x.shape[2:])
        cols_bytes_per_image = out_h * out_w * x.shape[1] * window.kernel[0] * window.kernel[1] * x.itemsize
        self.pieces = image_chunks(x.shape[0], cols_bytes_per_image)
        self._whole_batch_cols: np.ndarray | None = None

    def cols(self, images: slice) -> np.ndarray:
        """im2col of x[images]: kept after the first call when the batch is one piece, else built anew."""
        if len(self.pieces) > 1:
            return im2col(self.x[images], self.window)
        if self._whole_batch_cols is None:
            self._whole_batch_cols = im2col(self.x, self.window)
        return self._whole_batch_cols
