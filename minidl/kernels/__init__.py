"""Hot loops of the convolution path, kept apart from the graph: im2col/col2im and max-pooling.

Each exists twice with the same functions: a plain NumPy reference that teaches the step
(im2col_numpy.py, pooling_numpy.py) and a numba version that runs it fast (im2col_numba.py,
pooling_numba.py). `dispatch` hands them only the arrays they were written for and calls the
backend chosen in `backend` (MINIDL_KERNELS=numba|numpy, set_kernel_backend, or
`with use_kernels(...)`). chunked_im2col.py decides how much of a batch im2col takes at a time.

The numba kernels are single-threaded on purpose. NumPy's BLAS already runs the GEMMs between
them on every core; a second pool of threads (numba's prange) fighting it made a LeNet-5 training
step several times slower on 2 cores, because each pool's idle threads spin while the other works.
They compile on first use and are cached on disk (cache=True).
"""

from minidl.kernels.backend import BACKENDS, kernel_backend, set_kernel_backend, use_kernels
from minidl.kernels.chunked_im2col import ChunkedIm2col
from minidl.kernels.dispatch import col2im, im2col, max_pool_backward, max_pool_forward
from minidl.kernels.geometry import Window, conv_output_size
from minidl.kernels.matmul import matmul
from minidl.kernels.workers import map_pieces, one_blas_thread, worker_count

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
    "one_blas_thread",
    "set_kernel_backend",
    "use_kernels",
    "worker_count",
]
