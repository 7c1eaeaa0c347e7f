"""The MNIST subset that ships with minidl: 5,000 digits, 500 per class (see data/PROVENANCE.md).

load_mnist(split) gives a fixed, stratified split: for each digit, a permutation drawn with
SPLIT_SEED puts 400 images in 'train' and 100 in 'test'; each split is then shuffled with the same
seed, so batches mix the classes. Images are float32 (N, 1, 28, 28) scaled to [0, 1]; labels int64.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).with_name("data") / "mnist_5k.npz"
SHA256 = "246e0c30eeea57c8d0037d3f38c8e00651ec204cc61b8022563e9aeeb9d756f4"
SPLIT_SEED = 0
TEST_PER_CLASS = 100


def _read_subset() -> tuple[np.ndarray, np.ndarray]:
    if not DATA_FILE.is_file():
        raise FileNotFoundError(f"load_mnist: the shipped file {DATA_FILE} is missing; reinstall minidl")
    digest = hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()
    if digest != SHA256:
        raise ValueError(f"load_mnist: {DATA_FILE} is corrupted (sha256 {digest}, expected {SHA256}); reinstall minidl")
    with np.load(DATA_FILE, allow_pickle=False) as archive:
        return archive["images"], archive["labels"]


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)) for split 'train' (4,000) or 'test' (1,000)."""
    if split not in ("train", "test"):
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    images, labels = _read_subset()
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        chosen.append(members[:TEST_PER_CLASS] if split == "test" else members[TEST_PER_CLASS:])
    order = rng.permutation(np.concatenate(chosen))
    return (images[order, np.newaxis].astype(np.float32) / 255.0), labels[order].astype(np.int64)
