"""The lesson track: one runnable script per section of the lecture "Explainable AI (XAI) for
Image Analysis with Deep Learning", in the order of the deck.

    python -m lessons --list        the lessons and the slide each belongs to
    python -m lessons NAME          run one (add --quick for a fast, smaller run)
    python -m lessons --all         run the whole track

Each lesson module has a docstring naming its slide, a `SLIDE` title and a
`run(out_dir, quick) -> None` that prints what the slide shows and saves its figures in out_dir.
"""
from __future__ import annotations

from typing import NamedTuple


class Lesson(NamedTuple):
    name: str
    module: str
    slide: str


# In the deck's order; sections not written yet are added here as they arrive.
LESSONS: tuple[Lesson, ...] = (
    Lesson("activations", "lessons.activations", "Activation functions: the table and its derivatives"),
    Lesson("backprop", "lessons.mlp_backprop", "MLP and backpropagation"),
    Lesson("convolution", "lessons.convolution", "Convolution operations: stride, padding, max-pooling, im2col"),
)
