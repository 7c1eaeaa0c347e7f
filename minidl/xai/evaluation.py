"""Measuring explanations.

- Deletion and insertion (Petsiuk, Das & Saenko, "RISE", BMVC 2018): remove the pixels an
  explanation ranks highest first (set them to 0) and watch the class probability fall — a good
  map makes it fall fast (small area under the curve); or start from a blurred image and insert
  the original pixels in that order — a good map makes it rise fast (large area). The area is the
  trapezoidal rule on [0, 1] over the n + 1 points of n steps, as in the RISE code.
- The model-randomisation sanity check (Adebayo et al., "Sanity checks for saliency maps",
  NeurIPS 2018): re-initialise the layers one by one from the output down; an explanation that
  depends on what the model learned must change (low Spearman rank correlation with the
  original map), one that does not is only an edge detector.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

import minidl
import minidl.functional as F
from minidl.nn import Module
from minidl.nn.init import default_layer_init_
from minidl.xai.targets import IMAGE_AXES, SCORE_AXES, check_finite, explaining

BLUR_SIGMA, BLUR_TAPS = 5.0, 11


def _probabilities(model: Module, images: np.ndarray, batch_size: int) -> np.ndarray:
    with explaining(model), minidl.no_grad():
        logits = np.concatenate(
            [model(minidl.tensor(images[i : i + batch_size])).data for i in range(0, len(images), batch_size)]
        ).astype(np.float64)
        check_finite("deletion/insertion", "the model's scores", logits, SCORE_AXES)
        return F.softmax(minidl.tensor(logits), axis=1).data


def gaussian_blur(image: np.ndarray, sigma: float = BLUR_SIGMA, taps: int = BLUR_TAPS) -> np.ndarray:
    """(C, H, W) blurred by a normalised taps-wide Gaussian along each axis, edges repeated."""
    offsets = np.arange(taps) - taps // 2
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    pad = taps // 2
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad)), mode="edge")
    rows = sum(k * padded[:, i : i + image.shape[1], :] for i, k in enumerate(kernel))
    return sum(k * rows[:, :, i : i + image.shape[2]] for i, k in enumerate(kernel)).astype(image.dtype)


def _curve(
    model: Module,
    start: np.ndarray,
    finish: np.ndarray,
    saliency: np.ndarray,
    target: int,
    step: int | None,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of target while the pixels of start become those of finish, most salient first."""
    if start.ndim != 3 or saliency.shape != start.shape[1:]:
        raise ValueError(
            f"the image must be (C, H, W) and the saliency map (H, W) of the same size, got "
            f"{start.shape} and {saliency.shape}"
        )
    check_finite("deletion/insertion", "the saliency map", saliency, IMAGE_AXES[2:])
    pixels = saliency.size
    step = max(1, pixels // 100) if step is None else step
    if not 1 <= step <= pixels:
        raise ValueError(f"step must lie in [1, {pixels}] pixels, got {step}")
    order = np.argsort(-saliency.ravel(), kind="stable")
    steps = -(-pixels // step)
    frames = np.empty((steps + 1, *start.shape), dtype=start.dtype)
    current = start.reshape(start.shape[0], -1).copy()
    for i in range(steps + 1):
        frames[i] = current.reshape(start.shape)
        chosen = order[i * step : (i + 1) * step]
        current[:, chosen] = finish.reshape(start.shape[0], -1)[:, chosen]
    return np.linspace(0.0, 1.0, steps + 1), _probabilities(model, frames, batch_size)[:, target]


def auc(values: np.ndarray) -> float:
    """Trapezoidal area on [0, 1] of values at evenly spaced points."""
    return float((values.sum() - values[0] / 2 - values[-1] / 2) / (len(values) - 1))


def deletion_curve(
    model: Module,
    image: np.ndarray,
    saliency: np.ndarray,
    target: int | None = None,
    step: int | None = None,
    batch_size: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """(fraction of pixels deleted, probability of target); target None = the class of the intact image."""
    image = np.asarray(getattr(image, "data", image))
    target = _default_target(model, image, target)
    return _curve(model, image, np.zeros_like(image), np.asarray(saliency), target, step, batch_size)


def insertion_curve(
    model: Module,
    image: np.ndarray,
    saliency: np.ndarray,
    target: int | None = None,
    step: int | None = None,
    batch_size: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """(fraction of pixels inserted into a blurred copy, probability of target)."""
    image = np.asarray(getattr(image, "data", image))
    target = _default_target(model, image, target)
    return _curve(model, gaussian_blur(image), image, np.asarray(saliency), target, step, batch_size)


def deletion_auc(
    model: Module,
    image: np.ndarray,
    saliency: np.ndarray,
    target: int | None = None,
    step: int | None = None,
    batch_size: int = 100,
) -> float:
    """Area under the deletion curve: lower is better."""
    return auc(deletion_curve(model, image, saliency, target, step, batch_size)[1])


def insertion_auc(
    model: Module,
    image: np.ndarray,
    saliency: np.ndarray,
    target: int | None = None,
    step: int | None = None,
    batch_size: int = 100,
) -> float:
    """Area under the insertion curve: higher is better."""
    return auc(insertion_curve(model, image, saliency, target, step, batch_size)[1])


def _default_target(model: Module, image: np.ndarray, target: int | None) -> int:
    if image.ndim != 3:
        raise ValueError(f"the image must be (C, H, W), got {image.shape}")
    check_finite("deletion/insertion", "the image", image, IMAGE_AXES[1:])
    probabilities = _probabilities(model, image[None], 1)[0]
    if target is None:
        return int(probabilities.argmax())
    if not isinstance(target, (int, np.integer)) or not 0 <= target < len(probabilities):
        raise ValueError(f"target must be a class in [0, {len(probabilities) - 1}], got {target!r}")
    return int(target)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    boundaries = np.flatnonzero(np.diff(sorted_values)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(values)]])
    ranks = np.empty(len(values))
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks (0 when either is constant)."""
    ra, rb = _ranks(np.ravel(a)), _ranks(np.ravel(b))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / denominator) if denominator > 0 else 0.0


def randomisation_check(
    model: Module, explain: Callable[[Module, np.ndarray], np.ndarray], images: np.ndarray, seed: int = 0
) -> list[tuple[str, np.ndarray]]:
    """Cascading randomisation: for each layer with weights, from the output down, re-initialise it
    (and keep the ones above re-initialised) and compare explain(model, images) (N, H, W) with the
    original maps. Returns [(layer name, Spearman correlation per image)]; the model's weights are
    restored afterwards, also on error."""
    original_maps = np.asarray(explain(model, images))
    layers = [(name, m) for name, m in model.named_modules() if "weight" in m._parameters][::-1]
    if not layers:
        raise ValueError("randomisation_check: the model has no layer with weights to re-initialise")
    saved = model.state_dict()
    rng = np.random.default_rng(seed)
    results = []
    try:
        for name, module in layers:
            default_layer_init_(module.weight, module._parameters.get("bias"), rng)
            maps = np.asarray(explain(model, images))
            results.append((name, np.array([spearman(a, b) for a, b in zip(original_maps, maps)])))
    finally:
        model.load_state_dict(saved)
    return results
