"""The lecture's worked convolution example (7×7×3 input, stride 2), number for number through
nn.Conv2d: the shipped file, read by slide_conv_example, gives the output the slide prints."""

import json

import numpy as np
import pytest

from minidl import nn, tensor
from minidl.datasets import DatasetError, slide_conv_example
from minidl.datasets import slide_conv as slide_conv_module

pytestmark = pytest.mark.datasets


def slide_layer(example, bias: float) -> nn.Conv2d:
    layer = nn.Conv2d(3, 1, kernel_size=3, stride=example.stride, padding=example.padding)
    layer.weight.data[...] = example.weight
    layer.bias.data[...] = bias
    return layer


def test_conv2d_gives_the_slide_output():
    example = slide_conv_example()
    assert (example.stride, example.padding, example.bias.tolist()) == (2, 1, [1.0])
    output = slide_layer(example, bias=example.bias[0])(tensor(example.input)).numpy()
    assert output.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(output[0, 0], [[2, 3, 3], [3, 7, 3], [8, 10, -3]])
    np.testing.assert_array_equal(output, example.output)


def test_bias_zero_gives_every_entry_one_less():
    """Why b0 is 1: with bias 0 the output is [[1,2,2],[2,6,2],[7,9,-4]], not the slide's."""
    example = slide_conv_example()
    output = slide_layer(example, bias=0.0)(tensor(example.input)).numpy()
    np.testing.assert_array_equal(output[0, 0], [[1, 2, 2], [2, 6, 2], [7, 9, -4]])


def test_top_left_entry_is_the_sum_the_slide_draws():
    """o[0, 0] at stride 2 sees the padded input's rows 0..2 and columns 0..2."""
    example = slide_conv_example()
    padded = np.pad(example.input[0], ((0, 0), (1, 1), (1, 1)))
    per_channel = [(padded[c, 0:3, 0:3] * example.weight[0, c]).sum() for c in range(3)]
    assert per_channel == [-1.0, 1.0, 1.0]  # worked by hand from the slide
    assert sum(per_channel) + example.bias[0] == example.output[0, 0, 0, 0] == 2.0


def test_a_damaged_file_is_refused(tmp_path, monkeypatch):
    record = json.loads(slide_conv_module.DATA_FILE.read_text(encoding="utf-8"))
    record["w0"] = record["w0"][:2]
    damaged = tmp_path / "slide_conv_7x7x3.json"
    damaged.write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setattr(slide_conv_module, "DATA_FILE", damaged)
    with pytest.raises(DatasetError, match=r"weight of shape \(1, 2, 3, 3\), expected \(1, 3, 3, 3\)"):
        slide_conv_example()
