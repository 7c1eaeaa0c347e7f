"""The IDX format of the original MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/):

    bytes 0-1  zero          byte 2  element type (0x08 = uint8, ... 0x0E = float64)
    byte 3     number of dimensions d      then d big-endian uint32 sizes, then the data,
               big-endian, in C order.

Files may be gzip-compressed (the usual *.gz downloads); both forms are read, as a stream: the
header first, then exactly the bytes it announces and one more (to see a file that holds more),
so a small damaged or crafted file never makes the reader inflate or allocate more than that.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import BinaryIO

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
MAX_DIMENSIONS = 32  # NumPy 1's limit (NumPy 2 allows 64); MNIST's files have one and three
CHUNK_BYTES = 1 << 20


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (gzip or not), in native byte order. A file that is not IDX,
    is damaged, announces a shape NumPy cannot make, or holds fewer or more bytes than its header
    announces raises DatasetError."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"read_idx: no file at {path}")
    with open(path, "rb") as file:
        zipped = file.read(2) == GZIP_MAGIC
    try:
        with gzip.open(path, "rb") if zipped else open(path, "rb") as stream:
            dtype, shape = read_header(stream, path)
            expected = math.prod(shape) * dtype.itemsize
            data = read_at_most(stream, expected + 1)  # one byte more: a longer file shows itself
    except (OSError, EOFError, zlib.error) as error:
        if not zipped:
            raise
        raise DatasetError(f"read_idx: {path} is a damaged gzip file ({error}); delete it and fetch it again") from None
    if len(data) != expected:
        held = "more" if len(data) > expected else len(data)
        raise DatasetError(
            f"read_idx: {path} should hold {expected} bytes of data for shape {shape}, "
            f"but holds {held}; the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def read_header(stream: BinaryIO, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    """(element type, shape) from the header at the start of stream."""
    start = read_at_most(stream, 4)
    if len(start) < 4 or start[:2] != b"\x00\x00" or start[2] not in ELEMENT_TYPES:
        raise DatasetError(
            f"read_idx: {path} is not an IDX file (it starts with {start.hex() or 'nothing'}; "
            "expected 0000 then a type byte 08-0e)"
        )
    dtype, ndim = ELEMENT_TYPES[start[2]], start[3]
    if ndim > MAX_DIMENSIONS:
        raise DatasetError(f"read_idx: {path}'s header announces {ndim} dimensions; at most {MAX_DIMENSIONS} are read")
    sizes = read_at_most(stream, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DatasetError(f"read_idx: {path} is truncated inside its header")
    shape = tuple(int.from_bytes(sizes[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    # NumPy refuses a shape whose sizes other than 0 multiply past its index type, even for an empty array.
    addressed = math.prod(size for size in shape if size) * dtype.itemsize
    if addressed > np.iinfo(np.intp).max:
        raise DatasetError(
            f"read_idx: {path}'s header announces shape {shape} of {dtype}: {addressed} bytes without its "
            f"sizes of 0, where an array holds at most {np.iinfo(np.intp).max}"
        )
    return dtype, shape


def read_at_most(stream: BinaryIO, count: int) -> bytearray:
    """Up to count bytes of stream (fewer only at its end), read in pieces: a count that a header
    made up costs no more memory than the bytes really there."""
    data = bytearray()
    while len(data) < count:
        piece = stream.read(min(CHUNK_BYTES, count - len(data)))
        if not piece:
            break
        data += piece
    return data
