"""The lecture's worked convolution example, number for number.

The slide "Automatic Feature Extraction with Convolutional Layers" convolves a 5×5×3 input (drawn
padded by 1 to 7×7×3) with one 3×3×3 filter W0 and bias b0 = 1 at stride 2, and prints the 3×3
output o[:, :, 0] = [[2, 3, 3], [3, 7, 3], [8, 10, -3]]. The numbers ship in
data/slide_conv_7x7x3.json, with their provenance in data/PROVENANCE.md; the slide's second filter
W1 is not legible in the source and is not included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minidl.datasets.errors import DatasetError, DatasetNotFoundError

DATA_FILE = Path(__file__).with_name("data") / "slide_conv_7x7x3.json"

# What each array must look like once in NCHW / OIHW layout.
EXPECTED_SHAPES = {"input": (1, 3, 5, 5), "weight": (1, 3, 3, 3), "bias": (1,), "output": (1, 1, 3, 3)}


class SlideConvExample(NamedTuple):
    """The slide's example as a Conv2d sees it: nn.Conv2d(3, 1, 3, stride, padding) with
    weight and bias set to these arrays maps input to output."""

    input: np.ndarray  # (1, 3, 5, 5): the slide's x[:, :, c] without its zero border, as channel c
    weight: np.ndarray  # (1, 3, 3, 3): the filter W0, weight[0, c] = the slide's w0[:, :, c]
    bias: np.ndarray  # (1,): b0 = 1
    stride: int
    padding: int
    output: np.ndarray  # (1, 1, 3, 3): o[:, :, 0] as the slide prints it


def slide_conv_example() -> SlideConvExample:
    """The slide's 7×7×3 stride-2 convolution: input, filter W0, bias b0, stride, padding and the
    output the slide prints, all float32 in NCHW (input, output) and OIHW (weight) layout."""
    if not DATA_FILE.is_file():
        raise DatasetNotFoundError(f"slide_conv_example: the shipped file {DATA_FILE} is missing; reinstall minidl")
    record = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    arrays = {
        "input": np.asarray(record["input"], dtype=np.float32)[None],
        "weight": np.asarray(record["w0"], dtype=np.float32)[None],
        "bias": np.asarray([record["b0"]], dtype=np.float32),
        "output": np.asarray(record["output_o0"], dtype=np.float32)[None, None],
    }
    for name, array in arrays.items():
        if array.shape != EXPECTED_SHAPES[name]:
            raise DatasetError(
                f"slide_conv_example: {DATA_FILE} holds {name} of shape {array.shape}, expected {EXPECTED_SHAPES[name]}"
            )
    return SlideConvExample(
        arrays["input"],
        arrays["weight"],
        arrays["bias"],
        int(record["stride"]),
        int(record["padding"]),
        arrays["output"],
    )
