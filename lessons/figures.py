"""Saving the lessons' figures, and showing them when the lesson runs as a notebook."""

from __future__ import annotations

from pathlib import Path

from lessons.settings import in_notebook
from minidl.files import write_atomically


def save_figure(fig, path: Path) -> None:
    """Write a figure as PNG (atomically), show it inline in a notebook, then free it: lessons make
    many figures, and a figure left open would also be drawn a second time at the cell's end."""
    import matplotlib.pyplot as plt

    write_atomically(path, lambda file: fig.savefig(file, format="png", dpi=110, bbox_inches="tight"))
    if in_notebook():
        from IPython.display import display

        display(fig)
    plt.close(fig)
