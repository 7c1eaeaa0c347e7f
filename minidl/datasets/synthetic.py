"""Generated data sets, deterministic for a given seed: 1-D regression curves for the MLP
workshop, XOR / two spirals / two circles / two Gaussian blobs for classifiers, and images of simple shapes."""

from __future__ import annotations

from typing import Callable

import numpy as np

from minidl.shapes import positive_int

Array = np.ndarray

# Functions on [−1, 1] for the regression workshop and universal approximation: bounded and
# continuous, from gentle to wiggly.
REGRESSION_FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "sine": lambda x: np.sin(2 * np.pi * x),
    "cubic": lambda x: 2 * x**3 - x,
    "bump": lambda x: np.exp(-((x / 0.3) ** 2)),
    "abs": np.abs,
    "wiggle": lambda x: np.sin(5 * x) * np.exp(-(x**2)) + 0.3 * x,
}
SHAPE_NAMES = ("circle", "square", "triangle", "cross")
HUSKY_WOLF_CLASSES = ("husky", "wolf")
HUSKY_WOLF_SHAPES = ("circle", "triangle")  # how each class is drawn
BACKGROUNDS = ("confounded", "swapped", "random")


def _check(op: str, n: int, noise: float) -> None:
    positive_int(op, "n", n)
    if not noise >= 0:
        raise ValueError(f"{op}: noise must be a non-negative standard deviation, got {noise!r}")


def make_regression_1d(
    n: int = 200, function: str = "sine", noise: float = 0.1, seed: int | None = 0
) -> tuple[Array, Array]:
    """x uniform on [−1, 1] and y = f(x) + noise·N(0, 1), both float32 (n, 1), sorted by x."""
    _check("make_regression_1d", n, noise)
    if function not in REGRESSION_FUNCTIONS:
        raise ValueError(
            f"make_regression_1d: function must be one of {', '.join(REGRESSION_FUNCTIONS)}, got {function!r}"
        )
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    y = REGRESSION_FUNCTIONS[function](x) + noise * rng.standard_normal(n)
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)


def make_xor(n: int = 200, noise: float = 0.2, seed: int | None = 0) -> tuple[Array, Array]:
    """Points around the four corners (±1, ±1); label 1 where exactly one coordinate is positive."""
    _check("make_xor", n, noise)
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    points = (2.0 * corners - 1.0) + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), (corners[:, 0] ^ corners[:, 1]).astype(np.int64)


def make_spirals(
    n: int = 300, classes: int = 2, noise: float = 0.05, turns: float = 1.5, seed: int | None = 0
) -> tuple[Array, Array]:
    """`classes` interleaved spiral arms from the centre outwards; label = arm."""
    _check("make_spirals", n, noise)
    positive_int("make_spirals", "classes", classes)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    radius = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * (turns * radius + labels / classes)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    points += noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return points[order].astype(np.float32), labels[order].astype(np.int64)


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0) -> tuple[Array, Array]:
    """An outer circle of radius 1 (label 0) around an inner one of radius `factor` (label 1)."""
    _check("make_circles", n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must lie in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(labels == 1, factor, 1.0)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def make_blobs(n: int = 200, noise: float = 0.35, distance: float = 1.0, seed: int | None = 0) -> tuple[Array, Array]:
    """Two round Gaussian clouds of standard deviation `noise`, each `distance` from the origin on
    the diagonal: label 0 around −(d, d)/√2, label 1 around (d, d)/√2. With noise small against
    the distance a straight line separates them (TensorFlow Playground's "Gaussian" set)."""
    _check("make_blobs", n, noise)
    if not distance > 0:
        raise ValueError(f"make_blobs: distance must be positive, got {distance!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    centres = np.where(labels[:, None] == 1, 1.0, -1.0) * distance / np.sqrt(2)
    points = centres + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def shape_mask(kind: str, size: int, center: tuple[float, float], radius: float) -> Array:
    """A boolean (size, size) mask of one shape; center is (row, column), radius its half-extent."""
    rows, columns = np.mgrid[0:size, 0:size] + 0.5
    dy, dx = rows - center[0], columns - center[1]
    if kind == "circle":
        return dy**2 + dx**2 <= radius**2
    if kind == "square":
        return (np.abs(dy) <= radius) & (np.abs(dx) <= radius)
    if kind == "triangle":  # apex up: inside the base line and the two slanted sides
        return (dy <= radius) & (2 * np.abs(dx) <= dy + radius)
    if kind == "cross":
        bar = radius / 3
        return ((np.abs(dy) <= bar) & (np.abs(dx) <= radius)) | ((np.abs(dx) <= bar) & (np.abs(dy) <= radius))
    raise ValueError(f"shape_mask: kind must be one of {', '.join(SHAPE_NAMES)}, got {kind!r}")


def make_shapes(
    n: int = 400, size: int = 28, noise: float = 0.05, kinds: tuple[str, ...] = SHAPE_NAMES, seed: int | None = 0
) -> tuple[Array, Array]:
    """Grey images float32 (n, 1, size, size) in [0, 1] of one bright shape each, at a random place
    and size on a dark background with noise; label = index of the shape's kind in `kinds`."""
    _check("make_shapes", n, noise)
    if size < 12:
        raise ValueError(f"make_shapes: size must be at least 12 pixels, got {size}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(kinds), n)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    for index, label in enumerate(labels):
        radius = rng.uniform(0.18, 0.32) * size
        center = rng.uniform(radius + 1, size - radius - 1, 2)
        mask = shape_mask(kinds[label], size, (center[0], center[1]), radius)
        brightness = rng.uniform(0.6, 1.0)
        image = 0.1 + brightness * mask + noise * rng.standard_normal((size, size))
        images[index, 0] = np.clip(image, 0.0, 1.0)
    return images, labels.astype(np.int64)


def make_husky_wolf(
    n: int = 400, size: int = 28, background: str = "confounded", noise: float = 0.05, seed: int | None = 0
) -> tuple[Array, Array, Array]:
    """The "husky vs wolf" shortcut of Ribeiro et al. (2016) in miniature.

    A grey animal — a "husky" (circle, label 0) or a "wolf" (triangle, label 1), small and of
    middling contrast — on a background of bright speckled "snow" or dark striped "grass". With
    background="confounded" every wolf stands on snow and every husky on grass (the training
    set's accident), "swapped" reverses that, "random" draws the background by a coin toss.
    Returns (images float32 (n, 1, size, size) in [0, 1], labels int64, animal masks bool (n, size, size)).
    """
    _check("make_husky_wolf", n, noise)
    if background not in BACKGROUNDS:
        raise ValueError(f"make_husky_wolf: background must be one of {', '.join(BACKGROUNDS)}, got {background!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    snowy = {"confounded": labels == 1, "swapped": labels == 0, "random": rng.integers(0, 2, n) == 1}[background]
    rows, columns = np.mgrid[0:size, 0:size]
    images = np.empty((n, 1, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=bool)
    for index in range(n):
        if snowy[index]:  # bright snow with darker speckles
            scene = 0.85 - 0.25 * (rng.random((size, size)) < 0.08)
        else:  # dark grass: vertical stripes
            scene = 0.22 + 0.08 * np.sin(columns * 1.7 + rng.uniform(0, 2 * np.pi)) + 0.03 * (rows % 3 == 0)
        radius = rng.uniform(0.16, 0.22) * size
        center = rng.uniform(radius + 1, size - radius - 1, 2)
        masks[index] = shape_mask(HUSKY_WOLF_SHAPES[labels[index]], size, (center[0], center[1]), radius)
        scene = np.where(masks[index], 0.55, scene) + noise * rng.standard_normal((size, size))
        images[index, 0] = np.clip(scene, 0.0, 1.0)
    return images, labels.astype(np.int64), masks
