"""The fast path: the same sums as the reading path (minidl/ops), computed faster, chosen at one seam.

    seam.py            which implementation runs, and why: conv2d_path, implementation, the thresholds
    convolution.py     conv2d by im2col and matrix products, numba's im2col (im2col_numba.py)
    winograd.py        conv2d of 3×3 windows by Winograd's F(2×2, 3×3) (winograd_numba.py; twin: winograd_numpy.py)
    direct.py          conv2d of one to three channels, tap by tap (direct_numba.py; twin: direct_numpy.py)
    pooling.py         max-pooling (pooling_numba.py)
    relu.py            ReLU (relu_numba.py)
    held.py            Linear, MatMul and the transposed convolution, held to one BLAS thread
    pieces.py          how a batch is cut into pieces: by the batch alone, so results never depend on the cores
    workers.py         the threads that share the pieces out, all of minidl's (spin_numba.py: their wait)
    workspace.py       scratch memory kept between calls
    arrays.py          what a numba kernel may be handed
    backend.py         MINIDL_KERNELS=numba|numpy, use_kernels(...)

Every numba kernel has a twin in plain NumPy that the tests hold it to: the reading path's own
functions for im2col, pooling and ReLU, and winograd_numpy.py and direct_numpy.py for the two
algorithms the reading path does not have. The kernels compile on first use and are cached on disk.
`python -m minidl.kernels` prints which path each convolution of the lessons' models takes.
"""

from minidl.kernels.backend import BACKENDS, kernel_backend, set_kernel_backend, use_kernels
from minidl.kernels.seam import PATHS, conv2d_path, implementation
from minidl.blas_threads import one_blas_thread
from minidl.kernels.workers import set_workers, use_workers, worker_count
from minidl.kernels.workspace import release_workspace

__all__ = [
    "BACKENDS",
    "PATHS",
    "conv2d_path",
    "implementation",
    "kernel_backend",
    "one_blas_thread",
    "release_workspace",
    "set_kernel_backend",
    "set_workers",
    "use_kernels",
    "use_workers",
    "worker_count",
]
