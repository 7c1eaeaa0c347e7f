"""matplotlib helpers for the lessons: small matrices drawn with their numbers written in.

Imported on demand (`import minidl.viz`), so that `import minidl` does not load matplotlib.
"""
from __future__ import annotations

import numpy as np


def annotated_matrix(ax, values: np.ndarray, title: str, fmt: str = "{:g}", cmap: str = "Blues",
                     xlabel: str | None = None, ylabel: str | None = None) -> None:
    """Draw a 2-D array as a heat map with each entry's value printed in its cell."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"annotated_matrix: expected a 2-D array, got shape {values.shape}")
    image = ax.imshow(values, cmap=cmap)
    middle = (np.nanmax(values) + np.nanmin(values)) / 2
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, fmt.format(value), ha="center", va="center", fontsize=8 if values.size > 60 else 10,
                color="white" if value > middle else "black")
    ax.set_title(title)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return image


def image_grid(images: np.ndarray, columns: int, titles: list[str] | None = None, suptitle: str | None = None,
               cmap: str = "gray", cell_inches: float = 1.3, symmetric: bool = False):
    """A figure with one small image per panel, `columns` per row; images (K, H, W).

    symmetric=True centres the colour scale on 0 (for filters and signed maps: red positive,
    blue negative), with one scale shared by all panels so they can be compared.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"image_grid: expected images of shape (K, H, W), got {images.shape}")
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * cell_inches, rows * cell_inches + 0.5), squeeze=False)
    limit = float(np.abs(images).max()) or 1.0
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            if symmetric:
                ax.imshow(images[index], cmap="RdBu_r", vmin=-limit, vmax=limit)
            else:
                ax.imshow(images[index], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[index], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
