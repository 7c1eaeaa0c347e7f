"""Files that minidl fetches once and keeps: the cache folder, and a verified, atomic download.

The cache folder is $MINIDL_DATA, or ~/.cache/minidl when that is not set. A download goes to a
temporary file beside its target, is checked against its MD5 sum, and only then takes its name,
so the cache never holds a half-written or wrong file.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from minidl.datasets.errors import DatasetError, DatasetNotFoundError
from minidl.files import write_atomically

ENVIRONMENT_VARIABLE = "MINIDL_DATA"
CHUNK = 1 << 16


def cache_dir() -> Path:
    return Path(os.environ.get(ENVIRONMENT_VARIABLE) or Path.home() / ".cache" / "minidl").expanduser()


def _fetch(url: str, target: Path, md5: str, timeout: float) -> Path:
    """Stream url into target through a temporary file, refusing it unless its MD5 is md5."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        size = int(response.headers.get("Content-Length") or 0) or None
        digest = hashlib.md5()  # the published MNIST sums are MD5: integrity, not authenticity

        def copy(file) -> None:
            with tqdm(total=size, unit="B", unit_scale=True, desc=target.name, leave=False) as bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    file.write(block)
                    digest.update(block)
                    bar.update(len(block))
            if digest.hexdigest() != md5:
                raise DatasetError(f"{url} has MD5 {digest.hexdigest()}, expected {md5}")

        return write_atomically(target, copy)


def download(mirrors: list[str], target: Path, md5: str, timeout: float = 30.0) -> Path:
    """Fetch target.name from the first mirror that answers, verify its MD5, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + target.name
        try:
            return _fetch(url, target, md5, timeout)
        except (urllib.error.URLError, OSError, DatasetError) as error:
            failures.append(f"{url}: {error}")
    raise DatasetNotFoundError(f"could not download {target.name}:\n  " + "\n  ".join(failures))
