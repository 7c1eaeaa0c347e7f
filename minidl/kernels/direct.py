"""Convolutions of one to three input channels with windows 5 or more wide, summed tap by tap
without im2col: the first layer on grayscale or colour images (LeNet-5's conv1, 5×5).

im2col writes kh·kw copies of the input (25 for LeNet's 5×5 window: 5 MB for a batch of 64 MNIST
digits, past the core's cache) for a product whose C·kh·kw rows (25 there) are too few to keep BLAS
busy. With so few channels it is faster to add each tap's shifted copy of the framed image straight
into the output, as a run over the image (direct_numba.py has the loops and the layout):

    out[n, o] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_framed[n, c][i + ·, j + ·]

and to read the same runs the other way for the gradients. Nothing is kept between the passes
but x. A worker (workers.py) takes a share of the batch's images, as for im2col's path.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from minidl.kernels.backend import kernel_backend
from minidl.kernels.chunked_im2col import image_pieces
from minidl.kernels.convolution_arguments import kernel_bias, kernel_grad
from minidl.kernels.dispatch import KERNEL_DTYPES, numba_module
from minidl.kernels.geometry import Window
from minidl.kernels.workers import map_pieces, worker_count

# Where this path measured faster than im2col's (a forward and backward pass, interleaved, on the
# benchmarks' 2-core machine with both of OpenBLAS's kernel sets, README's section on speed): each
# channel adds kh runs over the image per filter, where im2col's product only gets wider, and each
# run adds a row of kw taps, which pays for the run from 5 taps on (direct/im2col 0.55-0.92 for 5×5
# windows on 1 or 3 channels; 0.70-1.46 for 3×3 ones, from run to run).
MAX_CHANNELS = 3
MIN_WINDOW_WIDTH = 5


def suits(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, window: Window, groups: int) -> bool:
    """Whether conv2d of these arrays takes this path: numba's kernels, one group, stride 1 without
    dilation, float32 or float64 throughout, at most MAX_CHANNELS input channels and a window at
    least MIN_WINDOW_WIDTH wide."""
    return (
        kernel_backend() == "numba"
        and groups == 1
        and window.stride == window.dilation == (1, 1)
        and not window.ceil_mode
        and x.ndim == 4
        and x.shape[1] <= MAX_CHANNELS
        and window.kernel[1] >= MIN_WINDOW_WIDTH
        and x.dtype in KERNEL_DTYPES
        and weight.dtype == x.dtype
        and (bias is None or bias.dtype == x.dtype)
    )


class DirectConvolution:
    """x (N, C, H, W) convolved with weight (O, C, kh, kw), stride 1, `padding` zeros on each side;
    forward(bias) and backward(grad, ...) share the batch's images between the workers."""

    def __init__(self, x: np.ndarray, weight: np.ndarray, padding: tuple[int, int]):
        if x.ndim != 4 or weight.ndim != 4 or weight.shape[1] != x.shape[1] or weight.dtype != x.dtype:
            raise ValueError(
                f"DirectConvolution: x {x.dtype} {x.shape} and weight {weight.dtype} {weight.shape} "
                f"must be (N, C, H, W) and (O, C, kh, kw) of one dtype"
            )
        self.x, self.weight, self.padding = np.ascontiguousarray(x), np.ascontiguousarray(weight), padding
        n, channels, height, width = x.shape
        filters, _, kh, kw = weight.shape
        self.out_shape = (n, filters, height + 2 * padding[0] - kh + 1, width + 2 * padding[1] - kw + 1)
        if min(self.out_shape[2:]) < 1:
            raise ValueError(f"DirectConvolution: a {kh}×{kw} window does not fit {x.shape} padded by {padding}")
        self.workers = worker_count()
        multiply_adds_per_image = filters * channels * kh * kw * self.out_shape[2] * self.out_shape[3]
        self.pieces = image_pieces(n, 0, self.workers, multiply_adds_per_image)

    def forward(self, bias: np.ndarray | None) -> np.ndarray:
        """The convolution plus bias (O,), (N, O, OH, OW)."""
        bias = kernel_bias("DirectConvolution", bias, self.weight.shape[0], self.x.dtype)
        out = np.empty(self.out_shape, self.x.dtype)  # made here, by the calling thread

        forward = _kernels().forward_kernel(self.weight.shape[3])

        def forward_piece(piece: int, worker: int) -> None:
            images = self.pieces[piece]
            forward(self.x[images], self.weight, bias, *self.padding, out[images])

        map_pieces(forward_piece, range(len(self.pieces)), self.workers)
        return out

    def backward(self, grad: np.ndarray, need_x: bool, need_w: bool) -> tuple[np.ndarray | None, ...]:
        """(dx, dW, db) from grad (N, O, OH, OW); dx and dW None where not needed."""
        grad = kernel_grad("DirectConvolution", grad, self.out_shape, self.x.dtype)
        # Made here, by the calling thread: dx, and each piece's shares of dW and db (summed after).
        grad_x = np.empty_like(self.x) if need_x else None
        grad_w_shares = np.zeros((len(self.pieces), *self.weight.shape), self.x.dtype)
        grad_b_shares = np.zeros((len(self.pieces), self.weight.shape[0]))

        weight_grad, input_grad = _kernels().weight_grad, _kernels().input_grad_kernel(self.weight.shape[3])

        def backward_piece(piece: int, worker: int) -> None:
            images = self.pieces[piece]
            weight_grad(self.x[images], grad[images], *self.padding, grad_w_shares[piece], grad_b_shares[piece], need_w)
            if need_x:
                input_grad(grad[images], self.weight, *self.padding, grad_x[images])

        map_pieces(backward_piece, range(len(self.pieces)), self.workers)
        grad_w = grad_w_shares.sum(axis=0) if need_w else None
        return grad_x, grad_w, grad_b_shares.sum(axis=0).astype(self.x.dtype)


def _kernels() -> ModuleType:
    return numba_module("direct_numba")
