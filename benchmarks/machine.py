"""What the numbers were measured on: CPU, cores, Python and library versions, BLAS, threads."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # the layout of show_config changes between NumPy releases
        return "unknown"


def _blas_kernel() -> str:
    """The kernel family BLAS chose for this processor (OpenBLAS's "architecture", e.g. Haswell for AVX2,
    SkylakeX for AVX-512), as threadpoolctl reports it; OPENBLAS_CORETYPE in the environment overrides it."""
    from threadpoolctl import threadpool_info

    kernels = {info.get("architecture") for info in threadpool_info() if info.get("user_api") == "blas"}
    return ", ".join(sorted(str(kernel) for kernel in kernels)) or "unknown"


def describe(torch_module: object | None) -> dict[str, object]:
    import numba

    from minidl.kernels import worker_count

    info: dict[str, object] = {
        "cpu": _cpu_model(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "blas_kernel": _blas_kernel(),
        "numba": numba.__version__,
        "minidl_workers": worker_count(),
    }
    if torch_module is not None:
        info["torch"] = torch_module.__version__
        info["torch_threads"] = torch_module.get_num_threads()
    return info
