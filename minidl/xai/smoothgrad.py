"""SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg, "SmoothGrad: removing noise by adding
noise", 2017): the gradient of the class score averaged over noisy copies of the image,

    M̂(x) = (1/n) Σₖ ∂y_c(x + εₖ)/∂x,   εₖ ~ N(0, σ²),   σ = noise · (max x − min x).

A raw gradient map is speckled because the gradient of a ReLU network jumps from pixel to pixel;
averaging over a neighbourhood of the image keeps what is stable there. The paper finds noise
levels of 10–20 % of the image's range work best.
"""

from __future__ import annotations

import numpy as np

from minidl.nn import Module
from minidl.rng import generator_for
from minidl.shapes import positive_int
from minidl.xai.gradients import explained_classes, input_gradients
from minidl.xai.targets import Contrast, Target, check_images


def smoothgrad(
    model: Module,
    images: np.ndarray,
    target: Target = None,
    noise: float = 0.15,
    samples: int = 50,
    seed: int | None = None,
    contrast: Contrast = None,
) -> np.ndarray:
    """Mean gradients (N, C, H, W), signed, of the score of target (None: each clean image's top
    class) or of y_target − y_contrast; show |M̂| max over channels as a saliency map.
    seed None draws from minidl's global generator (minidl.manual_seed)."""
    op = "smoothgrad"
    images = check_images(op, images)
    samples = positive_int(op, "samples", samples)
    if not (isinstance(noise, (int, float)) and 0 <= noise < np.inf):
        raise ValueError(f"{op}: noise must be a finite number >= 0 (a fraction of the image's range), got {noise!r}")
    rng = generator_for(seed)
    targets, contrasts = explained_classes(op, model, images, target, contrast)
    ranges = images.max(axis=(1, 2, 3)) - images.min(axis=(1, 2, 3))
    smoothed = np.empty(images.shape, dtype=np.float64)
    for n, image in enumerate(images):
        noisy = image + (noise * ranges[n]) * rng.standard_normal((samples, *image.shape))
        gradients, _, _ = input_gradients(
            op,
            model,
            noisy.astype(images.dtype),
            np.full(samples, targets[n]),
            None if contrasts is None else np.full(samples, contrasts[n]),
        )
        smoothed[n] = gradients.mean(axis=0)
    return smoothed
