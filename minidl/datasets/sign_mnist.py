"""Sign Language MNIST (tecperson / datamunge on Kaggle, CC0): 28×28 grey hand shapes of the
American Sign Language letters, as CSV files sign_mnist_train.csv (27,455 rows) and
sign_mnist_test.csv (7,172 rows). Each row is a label then 784 pixel values 0-255; the header is
"label,pixel1,...,pixel784". Labels 0-24 index the letters A-Y; 9 (J) and 25 (Z) never occur,
because those letters are signed with a motion.

minidl cannot ship these files; get them from https://www.kaggle.com/datasets/datamunge/sign-language-mnist
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minidl.datasets.errors import DatasetError, DatasetNotFoundError

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXY"  # label k is LETTERS[k]; J (9) is unused
KAGGLE_URL = "https://www.kaggle.com/datasets/datamunge/sign-language-mnist"
PIXELS = 28 * 28


def load_sign_mnist(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,) in 0-24) from one Kaggle CSV file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(
            f"load_sign_mnist: no file at {path}. Download sign_mnist_train.csv and "
            f"sign_mnist_test.csv from {KAGGLE_URL} and give the path of one of them."
        )
    with path.open(encoding="utf-8", errors="replace") as file:
        header = file.readline().strip().split(",")
        if len(header) != 1 + PIXELS or header[0] != "label":
            raise DatasetError(
                f"load_sign_mnist: {path} does not look like a Sign Language MNIST CSV: expected a "
                f"header 'label,pixel1,...,pixel784' ({1 + PIXELS} columns), got {len(header)} "
                f"column(s) starting {header[:3]}"
            )
        try:
            table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
        except ValueError as error:
            raise DatasetError(f"load_sign_mnist: {path} has a malformed row ({error})") from None
    if table.shape[0] == 0 or table.shape[1] != 1 + PIXELS:
        raise DatasetError(f"load_sign_mnist: {path} holds a table of shape {table.shape}, expected (N, {1 + PIXELS})")
    labels, pixels = table[:, 0], table[:, 1:]
    if labels.min() < 0 or labels.max() > 24:
        raise DatasetError(f"load_sign_mnist: labels must lie in 0-24 (A-Y), got [{labels.min()}, {labels.max()}]")
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetError(f"load_sign_mnist: pixels must lie in 0-255, got [{pixels.min()}, {pixels.max()}]")
    return (pixels.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32), labels.astype(np.int64)
