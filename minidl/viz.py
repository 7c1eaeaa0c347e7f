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
