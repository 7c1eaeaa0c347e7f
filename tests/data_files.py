"""Small data files written by the tests themselves, in the formats minidl reads: IDX (MNIST) and
the Kaggle CSV of Sign Language MNIST. Written independently of minidl's readers."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SIGN_HEADER = "label," + ",".join(f"pixel{i}" for i in range(1, 785))


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding: two zero bytes, a type code, the rank, big-endian sizes, big-endian data."""
    type_code = {np.uint8: 0x08, np.int32: 0x0C, np.float64: 0x0E}[array.dtype.type]
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_full_mnist(folder: Path, n_train: int = 6, n_test: int = 4) -> dict:
    """The four MNIST files with random digits (images gzipped, labels not): {split: (images, labels)}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    written = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images_name, labels_name = MNIST_FILES[split]
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        (folder / images_name).write_bytes(gzip.compress(idx_bytes(images)))
        (folder / labels_name.removesuffix(".gz")).write_bytes(idx_bytes(labels))
        written[split] = (images, labels)
    return written


def write_sign_csv(path: Path, labels, pixels=None, header: str = SIGN_HEADER) -> Path:
    pixels = np.full((len(labels), 784), 255) if pixels is None else pixels
    rows = [",".join(map(str, [label, *row])) for label, row in zip(labels, pixels)]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def write_sign_language_folder(folder: Path, rows: int = 80) -> Path:
    """sign_mnist_train.csv and sign_mnist_test.csv with random images of the 24 letters."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("sign_mnist_train.csv", "sign_mnist_test.csv"):
        labels = rng.choice([k for k in range(25) if k != 9], rows)
        write_sign_csv(folder / name, labels, rng.integers(0, 256, (rows, 784)))
    return folder
