"""Data for the lessons: the MNIST subset that ships with minidl (and full MNIST from its IDX
files), Sign Language MNIST from its Kaggle CSV files, the lecture's worked convolution example,
generated sets, and a DataLoader."""

from minidl.datasets.errors import DatasetError, DatasetNotFoundError
from minidl.datasets.idx import read_idx
from minidl.datasets.loader import DataLoader
from minidl.datasets.mnist import load_mnist
from minidl.datasets.phantoms import make_phantoms
from minidl.datasets.sign_mnist import LETTERS, load_sign_mnist
from minidl.datasets.slide_conv import SlideConvExample, slide_conv_example
from minidl.datasets.synthetic import (
    HUSKY_WOLF_CLASSES,
    REGRESSION_FUNCTIONS,
    SHAPE_NAMES,
    make_blobs,
    make_circles,
    make_husky_wolf,
    make_regression_1d,
    make_shapes,
    make_spirals,
    make_xor,
    shape_mask,
)

__all__ = [
    "DataLoader",
    "DatasetError",
    "DatasetNotFoundError",
    "HUSKY_WOLF_CLASSES",
    "LETTERS",
    "REGRESSION_FUNCTIONS",
    "SHAPE_NAMES",
    "SlideConvExample",
    "load_mnist",
    "load_sign_mnist",
    "make_blobs",
    "make_circles",
    "make_husky_wolf",
    "make_phantoms",
    "make_regression_1d",
    "make_shapes",
    "make_spirals",
    "make_xor",
    "read_idx",
    "shape_mask",
    "slide_conv_example",
]
