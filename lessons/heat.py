"""Where an explanation's heat lies, as a number, and heat maps put on one scale.

"The heat is on the animal" is measured, not read off a picture: the share of a map's mass that
lies inside the object's mask, against the object's share of the image area (what a map spread
evenly over the image would give). Maps compared side by side are drawn on one scale from 0, so
that a weak map looks weak; min-max scaling each map on its own (as Grad-CAM does for display)
makes a nearly flat map look as contrasted as a sharp one.
"""

from __future__ import annotations

import numpy as np

from minidl.viz import colorbar_beside
from minidl.xai import LimeExplanation, resize_bilinear


def share_inside(heat: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For maps heat (N, H, W) >= 0 and boolean masks (N, H, W): the share of each map's mass inside
    its mask, and the mask's share of the image area, each (N,). An all-zero map has share 0."""
    heat, masks = np.asarray(heat, dtype=np.float64), np.asarray(masks, dtype=bool)
    if heat.shape != masks.shape or heat.ndim != 3:
        raise ValueError(
            f"share_inside: need heat and masks of one shape (N, H, W), got {heat.shape} and {masks.shape}"
        )
    if np.any(heat < 0):
        raise ValueError("share_inside: heat must be >= 0 (take the positive part of a signed map first)")
    inside = (heat * masks).sum(axis=(1, 2))
    total = heat.sum(axis=(1, 2))
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0), masks.mean(axis=(1, 2))


def cam_heat(raw: np.ndarray, height: int, width: int) -> np.ndarray:
    """Grad-CAM's unscaled maps ReLU(Σ_k α_k A^k) (N, h, w) enlarged to (N, height, width) without
    min-max scaling: the heat whose share share_inside measures."""
    return np.maximum(resize_bilinear(raw, height, width), 0.0)


def on_one_scale(heat: np.ndarray) -> tuple[np.ndarray, float]:
    """Maps (N, H, W) >= 0 divided by their common maximum (so in [0, 1], the strongest reaching 1),
    and that maximum."""
    top = float(np.max(heat))
    return (heat / top if top > 0 else np.zeros_like(heat)), top


def one_scale_colorbar(mappable, row, top: float, name: str | None = None):
    """The colour bar beside a row of panels (minidl.viz.colorbar_beside) of maps put on one scale by
    on_one_scale (top: their common maximum), labelled with `name` if given: it says what 1 stands
    for, or, when every map is 0 everywhere, that there is no heat anywhere (rather than "1 = 0")."""
    if top > 0:
        scale = f"1 = {top:.2g} unscaled"
        return colorbar_beside(mappable, row, f"{name} ({scale})" if name else scale)
    bar = colorbar_beside(mappable, row, "no heat anywhere:\nevery map shown is 0")
    bar.set_ticks([0])  # nothing to scale: no tick may suggest a value above 0
    return bar


def lime_heat(explanations: list[LimeExplanation]) -> np.ndarray:
    """(N, H, W): each pixel gets its superpixel's positive LIME weight max(β_k, 0), the evidence
    for the explained class (the share of it on an object is then measured like a heat map's)."""
    return np.stack([np.maximum(e.coef, 0.0)[e.segments] for e in explanations])


def mean_share_with_heat(heat: np.ndarray, masks: np.ndarray) -> tuple[float, float, int]:
    """Over the maps (N, H, W) >= 0 that have any heat: the mean share of their heat inside the
    masks (N, H, W) and the masks' mean share of the image; and how many maps are 0 everywhere and
    left out (Grad-CAM's ReLU can cut a whole map: a map without heat lies nowhere, while
    share_inside gives it share 0). Both means are nan when no map has any heat."""
    shares, areas = share_inside(heat, masks)
    lit = np.asarray(heat).sum(axis=(1, 2)) > 0
    if not lit.any():
        return float("nan"), float("nan"), len(lit)
    return float(shares[lit].mean()), float(areas[lit].mean()), int((~lit).sum())
