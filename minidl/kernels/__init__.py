"""Hot loops of the convolution path, kept apart from the graph: im2col/col2im, max-pooling and ReLU.

Each exists twice with the same functions: a plain NumPy reference that teaches the step
(im2col_numpy.py, pooling_numpy.py, relu_numpy.py) and a numba version that runs it fast (im2col_numba.py,
pooling_numba.py, relu_numba.py). `dispatch` hands them only the arrays they were written for and calls the
backend chosen in `backend` (MINIDL_KERNELS=numba|numpy, set_kernel_backend, or
`with use_kernels(...)`). chunked_im2col.py cuts a batch into the pieces im2col takes at a time.
Two convolutions of stride 1 skip im2col where that measured faster, with numba only: winograd.py
(3×3 windows, Winograd's F(2×2, 3×3)) and direct.py (one to three input channels, windows 5 or
more wide, tap by tap).

Each numba kernel runs on the thread that calls it, and releases the GIL while it runs. The cores
are shared out one level up: the pieces of a batch go to minidl's own threads (workers.py),
each piece's gather, GEMM and scatter on one thread, with BLAS held to one thread per call meanwhile
(a second pool of threads, numba's prange, fighting OpenBLAS's spinning threads made a LeNet-5 step
several times slower on 2 cores). matmul.py shares large matrix products the same way. The kernels
compile on first use and are cached on disk (cache=True).
"""

from minidl.kernels.backend import BACKENDS, kernel_backend, set_kernel_backend, use_kernels
from minidl.kernels.chunked_im2col import ChunkedIm2col
from minidl.kernels.dispatch import (
    col2im,
    im2col,
    max_pool_backward,
    max_pool_forward,
    max_pool_values,
    relu_backward,
    relu_forward,
)
from minidl.kernels.geometry import Window, conv_output_size
from minidl.kernels.matmul import matmul
from minidl.kernels.workers import map_pieces, one_blas_thread, worker_count
from minidl.kernels.workspace import release_workspace

__all__ = [
    "BACKENDS",
    "ChunkedIm2col",
    "Window",
    "col2im",
    "conv_output_size",
    "im2col",
    "kernel_backend",
    "map_pieces",
    "matmul",
    "max_pool_backward",
    "max_pool_forward",
    "max_pool_values",
    "one_blas_thread",
    "relu_backward",
    "relu_forward",
    "release_workspace",
    "set_kernel_backend",
    "use_kernels",
    "worker_count",
]
