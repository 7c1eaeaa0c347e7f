"""save and load: state dicts (nested dicts of arrays and numbers) as .npz files, without pickle.

The file holds one array per leaf array, plus a JSON manifest that records the nesting and the
plain values (numbers, strings, booleans, None, lists). Writing is atomic (minidl.files): a crash
never leaves a half-written file where a good one was. Reading trusts nothing in the file: it uses
no pickle (a file can never run code), refuses a manifest over MAX_MANIFEST_BYTES and checks it is
what `save` writes, reads only the arrays the manifest names, and refuses arrays larger in all than
`max_bytes` from the sizes the zip directory declares, before inflating any (a small file cannot
make it allocate gigabytes).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minidl.files import write_atomically
from minidl.tensor import Tensor

MANIFEST_KEY = "__minidl_manifest__"
FORMAT = "minidl-state-1"
ZIP_MAGIC = b"PK\x03\x04"  # every .npz file is a zip archive and starts with these bytes
MAX_BYTES = 2**30  # what load reads by default (1 GiB, as the zip directory declares it); more needs max_bytes=
MAX_MANIFEST_BYTES = 4 * 2**20  # the manifest's JSON text, stored 4 bytes a character: a million characters
MAX_DEPTH = 100  # lists and dicts inside each other: far beyond any state dict, well within Python's recursion


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str, depth: int = 0) -> Any:
    """The manifest form of value; arrays go to `arrays` under a numbered key."""
    if depth > MAX_DEPTH:
        raise ValueError(f"save: obj nests lists and dicts deeper than {MAX_DEPTH} levels, which load would refuse")
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise TypeError(f"save: {where} is an array of dtype {value.dtype}; only numeric arrays can be saved")
        key = f"array_{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"save: {where} has non-string keys; state dict keys must be strings")
        return {"__dict__": {k: _encode(v, arrays, f"{where}[{k!r}]", depth + 1) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"save: {where} is a {type(value).__name__}; expected arrays, tensors, numbers, strings, lists or dicts"
    )


def _array_keys(node: Any, where: str, depth: int = 0) -> Iterator[str]:
    """The array keys a manifest's tree names, in order; ValueError at the first node that is not
    what _encode writes (where: the node's path in the tree, as tree['a'][0])."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _array_keys(item, f"{where}[{index}]", depth + 1)
    elif isinstance(node, dict) and set(node) == {"__array__"} and isinstance(node["__array__"], str):
        yield node["__array__"]
    elif isinstance(node, dict) and set(node) == {"__dict__"} and isinstance(node["__dict__"], dict):
        for key, item in node["__dict__"].items():
            yield from _array_keys(item, f"{where}[{key!r}]", depth + 1)
    elif isinstance(node, dict):
        raise ValueError(
            f"holds a JSON object with keys {sorted(node)[:5]} at {where}, where save writes "
            "{'__array__': key} for an array and {'__dict__': {...}} for a dict"
        )


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The value a tree checked by _array_keys stands for."""
    if isinstance(node, dict) and "__array__" in node:
        return arrays[node["__array__"]]
    if isinstance(node, dict):
        return {k: _decode(v, arrays) for k, v in node["__dict__"].items()}
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    return node


def _read_array(archive: zipfile.ZipFile, key: str, kinds: str, max_bytes: int | None = None) -> np.ndarray:
    """The array stored as member key.npy, of a dtype kind in `kinds`. Its .npy header is read
    first: an array larger than the member's declared size, or than max_bytes when given, is
    refused before NumPy allocates it."""
    info = archive.getinfo(f"{key}.npy")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"array {key!r} is in .npy format {version}, which save does not write")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(member)
    if dtype.kind not in kinds:
        raise ValueError(f"array {key!r} has dtype {dtype}, which save does not write (no pickle is ever read)")
    if math.prod(shape) * dtype.itemsize > info.file_size:
        raise ValueError(
            f"array {key!r} claims shape {shape} of {dtype}, more bytes than its member holds ({info.file_size})"
        )
    if max_bytes is not None and math.prod(shape) * dtype.itemsize > max_bytes:
        raise ValueError(f"array {key!r} takes {math.prod(shape) * dtype.itemsize} bytes, more than {max_bytes}")
    with archive.open(info) as member:
        return np.lib.format.read_array(member, allow_pickle=False)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write obj (a state dict, or nested dicts/lists of arrays and numbers) to path, atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    manifest = np.array(json.dumps({"format": FORMAT, "tree": _encode(obj, arrays, "obj")}))
    if manifest.nbytes > MAX_MANIFEST_BYTES:
        raise ValueError(
            f"save: obj's nesting and plain values take {manifest.nbytes} bytes as a manifest, more than "
            f"{MAX_MANIFEST_BYTES} (MAX_MANIFEST_BYTES, what load reads); store long lists of numbers as arrays"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: folder {path.parent} does not exist")
    write_atomically(path, lambda file: np.savez(file, **arrays, **{MANIFEST_KEY: manifest}))


def _read_tree(archive: zipfile.ZipFile, path: Path) -> Any:
    """The tree of the archive's manifest, checked against what save writes."""
    if f"{MANIFEST_KEY}.npy" not in archive.namelist():
        raise ValueError(
            f"load: {path} is an .npz file but not one written by minidl.save (no manifest); if it holds a "
            f"model's parameters by name, as np.savez(path, **state_dict) writes them, load them with "
            f"model.load_state_dict(dict(np.load(path)))"
        )
    try:
        manifest = json.loads(str(_read_array(archive, MANIFEST_KEY, "U", MAX_MANIFEST_BYTES)))
    except RecursionError:
        raise ValueError(f"load: {path}'s manifest nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(manifest, dict) or "tree" not in manifest:
        raise ValueError(
            f"load: {path}'s manifest is not the JSON object with a tree that save writes "
            f"(it is a {type(manifest).__name__})"
        )
    if manifest.get("format") != FORMAT:
        raise ValueError(f"load: {path} has format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest["tree"]


def _named_array_sizes(archive: zipfile.ZipFile, path: Path, tree: Any) -> dict[str, int]:
    """{key: size the zip directory declares} of each array the tree names, each once."""
    try:
        keys = list(_array_keys(tree, "tree"))
    except ValueError as error:
        raise ValueError(f"load: {path}'s manifest {error}") from None
    held = set(archive.namelist())
    sizes: dict[str, int] = {}
    for key in keys:
        if key in sizes:
            raise ValueError(f"load: {path}'s manifest names array {key!r} twice")
        if f"{key}.npy" not in held:
            raise ValueError(f"load: {path}'s manifest names array {key!r}, which the file does not hold")
        sizes[key] = archive.getinfo(f"{key}.npy").file_size
    return sizes


def load(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Any:
    """Read what `save` wrote. A truncated, corrupted or foreign file, a manifest that is not what
    save writes or takes more than MAX_MANIFEST_BYTES (4 MiB), and arrays that take more than
    max_bytes in all (1 GiB unless raised) raise ValueError; only the arrays the manifest names are
    read, and nothing in the file is ever executed (no pickle)."""
    path = Path(path)
    with open(path, "rb") as file:
        if file.read(4) != ZIP_MAGIC:
            raise ValueError(f"load: {path} is truncated or corrupted: it is not an .npz (zip) archive")
    try:
        with zipfile.ZipFile(path) as archive:
            tree = _read_tree(archive, path)
            sizes = _named_array_sizes(archive, path, tree)
            if sum(sizes.values()) > max_bytes:
                raise ValueError(
                    f"load: {path}'s arrays take {sum(sizes.values())} bytes, more than max_bytes={max_bytes}; "
                    "for a model that large call load(path, max_bytes=...)"
                )
            return _decode(tree, {key: _read_array(archive, key, "biufc") for key in sizes})
    except ValueError as error:
        if str(error).startswith("load:"):
            raise
        raise ValueError(f"load: {path} cannot be read safely: {error}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, NotImplementedError, RuntimeError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile cannot undo
        raise ValueError(f"load: {path} is truncated or corrupted ({type(error).__name__}: {error})") from None
