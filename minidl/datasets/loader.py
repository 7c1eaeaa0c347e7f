"""Mini-batches for a training loop: DataLoader(X, y, batch_size=64, shuffle=True, seed=0)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from minidl.shapes import positive_int
from minidl.tensor import Tensor


class DataLoader:
    """Iterate over aligned arrays in batches of `batch_size`, as tuples of Tensors (float arrays
    keep their dtype, labels stay integer). With shuffle=True every epoch draws a new order from
    one generator seeded once with `seed`, so a run repeats exactly; drop_last skips a short last
    batch."""

    def __init__(
        self,
        *arrays: np.ndarray,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ):
        if not arrays:
            raise ValueError("DataLoader: give at least one array, e.g. DataLoader(images, labels)")
        self.arrays = [np.asarray(a.data if isinstance(a, Tensor) else a) for a in arrays]
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(
                f"DataLoader: arrays must have the same length, got {', '.join(str(a.shape) for a in self.arrays)}"
            )
        self.batch_size = positive_int("DataLoader", "batch_size", batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self._rng = np.random.default_rng(seed)

    @property
    def num_samples(self) -> int:
        return len(self.arrays[0])

    def __len__(self) -> int:
        """Batches per epoch."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        order = self._rng.permutation(self.num_samples) if self.shuffle else np.arange(self.num_samples)
        for batch in range(len(self)):
            chosen = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            yield tuple(Tensor(a[chosen]) for a in self.arrays)
