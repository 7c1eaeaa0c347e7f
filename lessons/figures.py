"""Saving the lessons' figures."""
from __future__ import annotations

from pathlib import Path


def save_figure(fig, path: Path) -> None:
    """Write a figure as PNG and free it (lessons make many)."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
