"""Data sets that ship with minidl or are generated, for the lessons."""
from minidl.datasets.mnist import load_mnist

__all__ = ["load_mnist"]
