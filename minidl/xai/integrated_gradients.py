"""Integrated Gradients (Sundararajan, Taly & Yan, "Axiomatic attribution for deep networks", ICML
2017): the gradient of the class score integrated along the straight path from a baseline image x′
(black by default) to the image x,

    IGᵢ(x) = (xᵢ − x′ᵢ) · ∫₀¹ ∂F(x′ + α (x − x′)) / ∂xᵢ dα.

By the fundamental theorem of calculus for path integrals the attributions add up to the change of
the score, Σᵢ IGᵢ(x) = F(x) − F(x′) (completeness), which a plain gradient map does not: a ReLU
network that is flat around x gets a zero gradient yet a non-zero score. The integral is taken
with the midpoint rule, α_k = (k + ½) / steps, which is exact for a score linear along the path and
converges faster than the paper's right Riemann sum.
"""

from __future__ import annotations

import numpy as np

from minidl.nn import Module
from minidl.shapes import positive_int
from minidl.xai.gradients import explained_classes, input_gradients
from minidl.xai.targets import IMAGE_AXES, Contrast, Target, check_finite, check_images


def baseline_images(op: str, images: np.ndarray, baseline: float | np.ndarray | None) -> np.ndarray:
    """The baseline x′ broadcast to images (N, C, H, W): None = 0, a number, (C, H, W) or (N, C, H, W)."""
    reference = np.zeros(1) if baseline is None else np.asarray(getattr(baseline, "data", baseline), np.float64)
    if reference.ndim not in (0, 1, 3, 4) or reference.ndim == 1 and reference.size != 1:
        raise ValueError(
            f"{op}: baseline must be None, a number, one image (C, H, W) or one per image "
            f"{images.shape}, got shape {reference.shape}"
        )
    try:
        broadcast = np.broadcast_to(reference.reshape(()) if reference.ndim == 1 else reference, images.shape)
    except ValueError:
        raise ValueError(f"{op}: baseline of shape {reference.shape} does not fit the images {images.shape}") from None
    check_finite(op, "the baseline", broadcast, IMAGE_AXES)
    return broadcast.astype(images.dtype)


def integrated_gradients(
    model: Module,
    images: np.ndarray,
    target: Target = None,
    baseline: float | np.ndarray | None = None,
    steps: int = 50,
    contrast: Contrast = None,
) -> np.ndarray:
    """Attributions (N, C, H, W) of images (N, C, H, W) for the score of target (None: each image's
    top class), or of y_target − y_contrast; steps points per path. Targets are chosen on the images
    themselves, not along the path."""
    op = "integrated_gradients"
    images = check_images(op, images)
    steps = positive_int(op, "steps", steps)
    start = baseline_images(op, images, baseline)
    targets, contrasts = explained_classes(op, model, images, target, contrast)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(images.dtype)[:, None, None, None]
    attributions = np.empty(images.shape, dtype=np.float64)
    for n, (image, origin) in enumerate(zip(images, start)):
        path = origin + alphas * (image - origin)  # (steps, C, H, W)
        gradients, _, _ = input_gradients(
            op, model, path, np.full(steps, targets[n]), None if contrasts is None else np.full(steps, contrasts[n])
        )
        attributions[n] = (image - origin) * gradients.mean(axis=0)
    return attributions
