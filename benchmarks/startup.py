"""What a student waits for before the first convolution: `import minidl`, then the first conv2d
and max-pool forward+backward, whose numba kernels compile on first use — once per machine when
numba's cache is warm, every time when it is cold. Each run is a fresh Python process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import json, time
start = time.perf_counter()
import numpy as np
import minidl, minidl.functional as F
imported = time.perf_counter()
x = minidl.tensor(np.ones((2, 1, 28, 28), np.float32), requires_grad=True)
w = minidl.tensor(np.ones((6, 1, 5, 5), np.float32), requires_grad=True)
F.max_pool2d(F.conv2d(x, w, padding=2), 2).sum().backward()
done = time.perf_counter()
print(json.dumps({"import": imported - start, "first_conv": done - imported}))
"""


def _child(cache_dir: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NUMBA_CACHE_DIR": cache_dir, "MINIDL_KERNELS": "numba"},
    )
    return json.loads(done.stdout)


def run(repeats: int) -> list[dict[str, object]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="minidl-numba-cache-") as cache_dir:
        cold = _child(cache_dir)
        warm = [_child(cache_dir) for _ in range(max(1, repeats))]
    warm_import = sorted(w["import"] for w in warm)[len(warm) // 2]
    warm_conv = sorted(w["first_conv"] for w in warm)[len(warm) // 2]
    rows.append({"suite": "startup", "case": "import minidl", "seconds": {"minidl": warm_import}})
    rows.append(
        {
            "suite": "startup",
            "case": "first conv2d + max-pool forward+backward, cold numba cache",
            "seconds": {"minidl": cold["first_conv"]},
        }
    )
    rows.append(
        {
            "suite": "startup",
            "case": "first conv2d + max-pool forward+backward, warm numba cache",
            "seconds": {"minidl": warm_conv},
        }
    )
    rows.append(
        {
            "suite": "startup",
            "case": "import + first conv, warm cache (target < 2 s)",
            "seconds": {"minidl": warm_import + warm_conv},
        }
    )
    return rows
