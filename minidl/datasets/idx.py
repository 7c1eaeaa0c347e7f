"""The IDX format of the original MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/):

    bytes 0-1  zero          byte 2  element type (0x08 = uint8, ... 0x0E = float64)
    byte 3     number of dimensions d      then d big-endian uint32 sizes, then the data,
               big-endian, in C order.

Files may be gzip-compressed (the usual *.gz downloads); both forms are read.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from minidl.datasets.errors import DatasetError, DatasetNotFoundError

ELEMENT_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (gzip or not), in native byte order."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"read_idx: no file at {path}")
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DatasetError(
                f"read_idx: {path} is a damaged gzip file ({error}); delete it and fetch it again"
            ) from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in ELEMENT_TYPES:
        raise DatasetError(
            f"read_idx: {path} is not an IDX file (it starts with {raw[:4].hex() or 'nothing'}; "
            "expected 0000 then a type byte 08-0e)"
        )
    dtype, ndim = ELEMENT_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"read_idx: {path} is truncated inside its header")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetError(
            f"read_idx: {path} should hold {expected} bytes of data for shape {shape}, "
            f"but holds {len(raw) - header}; the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
