"""A drawing made the way MNIST's digits were made (LeCun et al. 1998, and the MNIST page): the
ink's bounding box scaled, keeping its aspect ratio, so that its longer side is 20 pixels (with
anti-aliasing: each new pixel is the mean of the area it covers), then placed in a 28×28 image
so that its centre of mass is the image centre. A network trained on MNIST expects exactly this;
a raw 280×280 drawing shrunk to 28×28 would be off-centre and of the wrong size."""

from __future__ import annotations

import numpy as np

SIZE, BOX = 28, 20
INK_THRESHOLD = 0.05  # fainter pixels (anti-aliasing fringe, noise) do not widen the bounding box


def area_resample_matrix(source: int, target: int) -> np.ndarray:
    """(target, source) weights: row i averages the source pixels that output pixel i covers,
    each weighted by the length of its overlap with [i·s, (i+1)·s), s = source / target."""
    scale = source / target
    starts, ends = np.arange(target) * scale, (np.arange(target) + 1) * scale
    left, right = np.arange(source), np.arange(source) + 1
    overlap = np.clip(np.minimum(ends[:, None], right) - np.maximum(starts[:, None], left), 0.0, None)
    return overlap / scale


def mnist_like(drawing: np.ndarray) -> np.ndarray:
    """(28, 28) float32 in [0, 1] from a drawing (H, W) of ink in [0, 1] on a 0 background.

    Raises ValueError when there is no ink to centre.
    """
    rows, columns = np.nonzero(drawing > INK_THRESHOLD)
    if rows.size == 0:
        raise ValueError(
            f"the drawing is empty: no pixel has ink above {INK_THRESHOLD} (draw a digit first; ink is 1, background 0)"
        )
    ink = drawing[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1].astype(np.float64)
    height, width = ink.shape
    scale = BOX / max(height, width)
    new_height, new_width = max(1, round(height * scale)), max(1, round(width * scale))
    box = area_resample_matrix(height, new_height) @ ink @ area_resample_matrix(width, new_width).T
    box = box / box.max()  # a thin stroke averaged over large cells stays as dark as MNIST's ink

    total = box.sum()
    centre_row = (np.arange(new_height) @ box.sum(axis=1)) / total
    centre_column = (np.arange(new_width) @ box.sum(axis=0)) / total
    top = round((SIZE - 1) / 2 - float(centre_row))
    left = round((SIZE - 1) / 2 - float(centre_column))
    image = np.zeros((SIZE, SIZE))
    # Paste with clipping: a lopsided stroke's centre of mass may push part of its box outside.
    rows_from, columns_from = max(0, -top), max(0, -left)
    rows_to, columns_to = min(new_height, SIZE - top), min(new_width, SIZE - left)
    image[top + rows_from : top + rows_to, left + columns_from : left + columns_to] = box[
        rows_from:rows_to, columns_from:columns_to
    ]
    return np.clip(image, 0.0, 1.0).astype(np.float32)
