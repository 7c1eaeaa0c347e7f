"""Brain-MRI-like phantoms for the segmentation workshop, generated in NumPy and deterministic per
seed. They stand in for the BraTS scans of the deck (which cannot ship): an elliptical head with
a bright skull rim, soft tissue with smooth texture, sometimes an irregular brighter "tumour", and
scanner noise; the mask marks the tumour's pixels.
"""

from __future__ import annotations

import numpy as np

from minidl.shapes import positive_int

TUMOUR_FREE_FRACTION = 0.2


def _smooth_texture(rng: np.random.Generator, size: int, cutoff: float) -> np.ndarray:
    """Noise with only low spatial frequencies (|f| < cutoff cycles per image), scaled to [−1, 1]."""
    spectrum = np.fft.fft2(rng.standard_normal((size, size)))
    frequencies = np.fft.fftfreq(size) * size
    keep = np.hypot(*np.meshgrid(frequencies, frequencies, indexing="ij")) < cutoff
    texture = np.real(np.fft.ifft2(spectrum * keep))
    return texture / (np.abs(texture).max() or 1.0)


def make_phantoms(n: int, size: int = 64, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images float32 (n, 1, size, size) in [0, 1], masks uint8 (n, size, size) with 1 on the tumour)."""
    positive_int("make_phantoms", "n", n)
    if positive_int("make_phantoms", "size", size) < 16:
        raise ValueError(f"make_phantoms: size must be at least 16 pixels, got {size}")
    rng = np.random.default_rng(seed)
    rows, columns = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1  # pixel centres in [−1, 1]
    images = np.empty((n, 1, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.uint8)
    for index in range(n):
        # The head: an ellipse, its outer band the skull.
        a, b = rng.uniform(0.72, 0.9), rng.uniform(0.6, 0.78)
        angle = rng.uniform(-0.3, 0.3)
        u = (rows * np.cos(angle) + columns * np.sin(angle)) / a
        v = (-rows * np.sin(angle) + columns * np.cos(angle)) / b
        radius = np.hypot(u, v)
        brain, skull = radius < 0.88, (radius >= 0.88) & (radius < 1.0)
        image = np.where(skull, 0.9, 0.0) + brain * (0.45 + 0.12 * _smooth_texture(rng, size, 6))
        # The tumour: a few overlapping discs inside the brain, brighter than the tissue around.
        if rng.random() >= TUMOUR_FREE_FRACTION:
            centre = rng.uniform(-0.45, 0.45, 2) * np.array([a, b])
            tumour = np.zeros((size, size), dtype=bool)
            for _ in range(rng.integers(2, 5)):
                offset = centre + rng.normal(0, 0.07, 2)
                tumour |= np.hypot(rows - offset[0], columns - offset[1]) < rng.uniform(0.07, 0.17)
            tumour &= brain
            masks[index] = tumour
            image = np.where(tumour, 0.64 + 0.06 * _smooth_texture(rng, size, 8), image)
        image += 0.05 * rng.standard_normal((size, size))
        images[index, 0] = np.clip(image, 0.0, 1.0)
    return images, masks
