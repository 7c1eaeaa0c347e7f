"""Object detection basics on boxes (x1, y1, x2, y2) with x1 ≤ x2, y1 ≤ y2, in pixels:
intersection over union, and greedy non-maximum suppression."""

from __future__ import annotations

import numpy as np


def _boxes(op: str, boxes: object) -> np.ndarray:
    array = np.asarray(boxes, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{op}: boxes must have shape (N, 4) as (x1, y1, x2, y2), got {array.shape}")
    if np.any(array[:, 2] < array[:, 0]) or np.any(array[:, 3] < array[:, 1]):
        raise ValueError(f"{op}: every box needs x1 <= x2 and y1 <= y2")
    return array


def box_area(boxes: object) -> np.ndarray:
    b = _boxes("box_area", boxes)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def box_iou(boxes_a: object, boxes_b: object) -> np.ndarray:
    """iou[i, j] = |A_i ∩ B_j| / |A_i ∪ B_j| (0 where both are empty), shape (N, M)."""
    a, b = _boxes("box_iou", boxes_a), _boxes("box_iou", boxes_b)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    union = box_area(a)[:, None] + box_area(b)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def non_max_suppression(boxes: object, scores: object, iou_threshold: float = 0.5) -> np.ndarray:
    """Indices of the boxes kept, best first: take the highest-scoring box, drop every remaining box
    that overlaps it by more than iou_threshold, repeat (ties in score keep the lower index first)."""
    b = _boxes("non_max_suppression", boxes)
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (len(b),):
        raise ValueError(f"non_max_suppression: {len(b)} boxes need {len(b)} scores, got shape {s.shape}")
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"non_max_suppression: iou_threshold must lie in [0, 1], got {iou_threshold}")
    remaining = list(np.argsort(-s, kind="stable"))
    kept = []
    while remaining:
        best, remaining = remaining[0], remaining[1:]
        kept.append(best)
        if remaining:
            overlaps = box_iou(b[[best]], b[remaining])[0]
            remaining = [index for index, overlap in zip(remaining, overlaps) if overlap <= iou_threshold]
    return np.array(kept, dtype=np.int64)
