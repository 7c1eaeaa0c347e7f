"""save and load: state dicts (nested dicts of arrays and numbers) as .npz files, without pickle.

The file holds one array per leaf array, plus a JSON manifest that records the nesting and the
plain values (numbers, strings, booleans, None, lists). Writing is atomic (minidl.files): a crash
never leaves a half-written file where a good one was. Reading uses `allow_pickle=False`, so a file can never run code.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from minidl.files import write_atomically
from minidl.tensor import Tensor

MANIFEST_KEY = "__minidl_manifest__"
FORMAT = "minidl-state-1"
ZIP_MAGIC = b"PK\x03\x04"  # every .npz file is a zip archive and starts with these bytes


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """The manifest form of value; arrays go to `arrays` under a numbered key."""
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
        return {"__dict__": {k: _encode(v, arrays, f"{where}[{k!r}]") for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"save: {where} is a {type(value).__name__}; expected arrays, tensors, numbers, strings, lists or dicts"
    )


def _decode(node: Any, arrays: Any) -> Any:
    if isinstance(node, dict) and "__array__" in node:
        return arrays[node["__array__"]]
    if isinstance(node, dict):
        return {k: _decode(v, arrays) for k, v in node["__dict__"].items()}
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    return node


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write obj (a state dict, or nested dicts/lists of arrays and numbers) to path, atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    manifest = json.dumps({"format": FORMAT, "tree": _encode(obj, arrays, "obj")})
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: folder {path.parent} does not exist")
    write_atomically(path, lambda file: np.savez(file, **arrays, **{MANIFEST_KEY: np.array(manifest)}))


def load(path: str | os.PathLike) -> Any:
    """Read what `save` wrote. A truncated, corrupted or foreign file raises ValueError; nothing in
    the file is ever executed (no pickle)."""
    path = Path(path)
    with open(path, "rb") as file:
        if file.read(4) != ZIP_MAGIC:
            raise ValueError(f"load: {path} is truncated or corrupted: it is not an .npz (zip) archive")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if MANIFEST_KEY not in archive.files:
                raise ValueError(f"load: {path} is an .npz file but not one written by minidl.save (no manifest)")
            manifest = json.loads(str(archive[MANIFEST_KEY]))
            if manifest.get("format") != FORMAT:
                raise ValueError(f"load: {path} has format {manifest.get('format')!r}, expected {FORMAT!r}")
            arrays = {key: archive[key] for key in archive.files if key != MANIFEST_KEY}
            return _decode(manifest["tree"], arrays)
    except ValueError as error:
        if str(error).startswith("load:"):
            raise
        raise ValueError(f"load: {path} cannot be read safely: {error}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError) as error:
        raise ValueError(f"load: {path} is truncated or corrupted ({type(error).__name__}: {error})") from None
