"""Saving the lessons' figures, and showing them when the lesson runs as a notebook."""

from __future__ import annotations

import io
from pathlib import Path

from lessons.settings import in_notebook
from minidl.files import write_atomically


def save_figure(fig, path: Path) -> None:
    """Write a figure as PNG (atomically), show that PNG inline in a notebook, then free the figure:
    lessons make many figures, and a figure left open would be drawn a second time at the cell's end.
    The PNG itself is shown, not the figure, so that it shows whatever matplotlib's backend (with
    MPLBACKEND=Agg, common in headless shells, a notebook prints a figure as text)."""
    import matplotlib.pyplot as plt

    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110, bbox_inches="tight")
    write_atomically(path, lambda file: file.write(png.getvalue()))
    if in_notebook():
        from IPython.display import Image, display

        display(Image(data=png.getvalue(), format="png"))
    plt.close(fig)
