"""MNIST digits (LeCun, Cortes & Burges), in two sizes.

- The subset that ships with minidl: 5,000 digits, 500 per class (see data/PROVENANCE.md).
  load_mnist(split) gives a fixed, stratified split: for each digit, a permutation drawn with
  SPLIT_SEED puts 400 images in 'train' and 100 in 'test'; each split is then shuffled with the
  same seed, so batches mix the classes.
- The full 60,000/10,000 set, load_mnist(split, full=True), from the four standard IDX files in
  the cache folder ($MINIDL_DATA/mnist, default ~/.cache/minidl/mnist), downloaded and verified
  on first use when a network is there.

Either way: images float32 (N, 1, 28, 28) scaled to [0, 1], labels int64 (N,).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from minidl.datasets.download import cache_dir, download
from minidl.datasets.errors import DatasetError, DatasetNotFoundError
from minidl.datasets.idx import read_idx

DATA_FILE = Path(__file__).with_name("data") / "mnist_5k.npz"
SHA256 = "246e0c30eeea57c8d0037d3f38c8e00651ec204cc61b8022563e9aeeb9d756f4"
SPLIT_SEED = 0
TEST_PER_CLASS = 100

# The standard files with their published MD5 sums, and mirrors that serve them (torchvision's too).
FULL_FILES = {
    "train": (
        "train-images-idx3-ubyte.gz",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz",
        "d53e105ee54ea40749a09fcbcd1e9432",
    ),
    "test": (
        "t10k-images-idx3-ubyte.gz",
        "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz",
        "ec29112dd5afa0611ce80d1b7f02629c",
    ),
}
MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]


def _read_subset() -> tuple[np.ndarray, np.ndarray]:
    if not DATA_FILE.is_file():
        raise DatasetNotFoundError(f"load_mnist: the shipped file {DATA_FILE} is missing; reinstall minidl")
    digest = hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()
    if digest != SHA256:
        raise DatasetError(
            f"load_mnist: {DATA_FILE} is corrupted (sha256 {digest}, expected {SHA256}); reinstall minidl"
        )
    with np.load(DATA_FILE, allow_pickle=False) as archive:
        return archive["images"], archive["labels"]


def _full_file(name: str, md5: str) -> Path:
    """The cached file (or the same file unzipped), downloading it when it is in neither form."""
    folder = cache_dir() / "mnist"
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    try:
        return download(MIRRORS, folder / name, md5)
    except DatasetNotFoundError as error:
        raise DatasetNotFoundError(
            f"load_mnist(full=True): {name} is not in {folder} and could not be downloaded ({error}).\n"
            f"Put the four MNIST files there ({', '.join(f[i] for f in FULL_FILES.values() for i in (0, 2))}, "
            "gzipped or not), or set MINIDL_DATA to the folder that holds an mnist/ folder with them."
        ) from None


def _read_full(split: str) -> tuple[np.ndarray, np.ndarray]:
    images_name, images_md5, labels_name, labels_md5 = FULL_FILES[split]
    images, labels = read_idx(_full_file(images_name, images_md5)), read_idx(_full_file(labels_name, labels_md5))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DatasetError(f"load_mnist: {images_name} holds {images.dtype} {images.shape}, expected uint8 (N, 28, 28)")
    if labels.shape != images.shape[:1] or labels.dtype != np.uint8 or (labels.size and labels.max() > 9):
        raise DatasetError(
            f"load_mnist: {labels_name} holds {labels.dtype} {labels.shape} with values up to "
            f"{labels.max() if labels.size else '-'}; expected {images.shape[0]} uint8 labels 0-9"
        )
    return images, labels


def load_mnist(split: str = "train", full: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)).

    split 'train' or 'test': 4,000 / 1,000 digits of the shipped subset, or with full=True the
    standard 60,000 / 10,000 (in the files' order).
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    if full:
        images, labels = _read_full(split)
        return images[:, np.newaxis].astype(np.float32) / 255.0, labels.astype(np.int64)
    images, labels = _read_subset()
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        chosen.append(members[:TEST_PER_CLASS] if split == "test" else members[TEST_PER_CLASS:])
    order = rng.permutation(np.concatenate(chosen))
    return (images[order, np.newaxis].astype(np.float32) / 255.0), labels[order].astype(np.int64)
