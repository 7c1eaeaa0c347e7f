"""Progress of anything that takes seconds: a live tqdm bar on a terminal, plain lines elsewhere.

A carriage-return bar is unreadable in a log file, a CI log or a notebook's saved output, and a
bar switched off there leaves a minute-long step silent. So off a terminal the same progress
prints one line every few seconds ("U-Net: 120/400 steps (30%), 15 s, loss 0.21"), and nothing at
all for work that ends sooner.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

from tqdm import tqdm

T = TypeVar("T")
LINE_INTERVAL_SECONDS = 5.0


class progress(Generic[T]):  # noqa: N801 - used like tqdm, as a lower-case wrapper of an iterable
    """Iterate over `iterable` while showing progress; `set_postfix(name=value)` adds to the line.

    for images, labels in progress(loader, "epoch 1/5", unit="batch"):
        ...
    """

    def __init__(self, iterable: Iterable[T], desc: str, total: int | None = None, unit: str = "it"):
        self.iterable, self.desc, self.unit = iterable, desc, unit
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.postfix = ""
        self.bar = tqdm(total=self.total, desc=desc, unit=unit, leave=False) if sys.stderr.isatty() else None

    def set_postfix(self, **values: object) -> None:
        self.postfix = ", ".join(f"{name} {value}" for name, value in values.items())
        if self.bar is not None:
            self.bar.set_postfix_str(self.postfix, refresh=False)

    def __iter__(self) -> Iterator[T]:
        start = last_line = time.perf_counter()
        done = 0
        try:
            for item in self.iterable:
                yield item
                done += 1
                if self.bar is not None:
                    self.bar.update()
                elif time.perf_counter() - last_line >= LINE_INTERVAL_SECONDS:
                    last_line = time.perf_counter()
                    print(self.line(done, last_line - start), flush=True)
        finally:
            if self.bar is not None:
                self.bar.close()

    def line(self, done: int, seconds: float) -> str:
        count = f"{done}/{self.total} {self.unit} ({done / self.total:.0%})" if self.total else f"{done} {self.unit}"
        return f"{self.desc}: {count}, {seconds:.0f} s" + (f", {self.postfix}" if self.postfix else "")
