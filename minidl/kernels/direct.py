"""Convolutions of one to three input channels summed tap by tap, without im2col: the first layer
on grayscale or colour images (LeNet-5's conv1, 5×5). direct_numpy.py writes the algorithm out on
one screen; conv2d_path (seam.py) says where it runs.

im2col writes kh·kw copies of the input (25 for LeNet's 5×5 window) for a product whose C·kh·kw rows
(25 there) are too few to keep BLAS busy. With so few channels it is faster to add each row of taps'
shifted copy of the framed image straight into the output, as a run over the image
(direct_numba.py has the loops and the layout), and to read the same runs the other way for the
gradients. Nothing is kept between the passes but x. The batch is cut into pieces that the workers
share (pieces.py, workers.py), as on im2col's path.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.arrays import kernel_array, kernel_bias, kernel_grad
from minidl.kernels.backend import numba_module
from minidl.kernels.convolution import FastConvolution2d
from minidl.kernels.pieces import DIRECT_WORK_PER_MULTIPLY_ADD, batch_pieces
from minidl.kernels.workers import run_pieces, worker_count
from minidl.ops.window import Window


class DirectConvolution:
    """x (N, C, H, W) convolved with weight (O, C, kh, kw), stride 1, window.padding zeros on each side
    (one group); forward(bias) and backward(grad, ...) share the batch's pieces between the workers."""

    def __init__(self, x: np.ndarray, weight: np.ndarray, window: Window, groups: int, dtype: np.dtype, keep: bool):
        if groups != 1 or window.stride != (1, 1) or window.dilation != (1, 1):
            raise ValueError(f"DirectConvolution: stride 1, no dilation and one group only, got {window}")
        self.x, self.weight = kernel_array("conv2d", x, 4, dtype), kernel_array("conv2d", weight, 4, dtype)
        self.padding = window.padding
        n, channels = x.shape[:2]
        filters, _, kh, kw = weight.shape
        self.out_shape = (n, filters, *window.output_size(*x.shape[2:]))
        multiply_adds_per_image = filters * channels * kh * kw * self.out_shape[2] * self.out_shape[3]
        self.pieces = batch_pieces(n, multiply_adds_per_image * DIRECT_WORK_PER_MULTIPLY_ADD)
        self.workers = min(worker_count(), len(self.pieces))

    def forward(self, bias: np.ndarray | None) -> np.ndarray:
        """The convolution plus bias (O,), (N, O, OH, OW)."""
        bias = kernel_bias("conv2d", bias, self.weight.shape[0], self.x.dtype)
        out = np.empty(self.out_shape, self.x.dtype)  # made here, by the calling thread

        forward = numba_module("direct_numba").forward_kernel(self.weight.shape[3])

        def forward_piece(piece: int, worker: int) -> None:
            images = self.pieces[piece]
            forward(self.x[images], self.weight, bias, *self.padding, out[images])

        run_pieces(forward_piece, len(self.pieces), self.workers)
        return out

    def backward(self, grad: np.ndarray, need_x: bool, need_w: bool) -> tuple[np.ndarray | None, ...]:
        """(dx, dW, db) from grad (N, O, OH, OW); dx and dW None where not needed."""
        grad = kernel_grad("conv2d", grad, self.out_shape, self.x.dtype)
        # Made here, by the calling thread: dx, and each piece's shares of dW and db (summed after).
        grad_x = np.empty_like(self.x) if need_x else None
        grad_w_shares = np.zeros((len(self.pieces), *self.weight.shape), self.x.dtype)
        grad_b_shares = np.zeros((len(self.pieces), self.weight.shape[0]))

        loops = numba_module("direct_numba")
        weight_grad, input_grad = loops.weight_grad, loops.input_grad_kernel(self.weight.shape[3])

        def backward_piece(piece: int, worker: int) -> None:
            images = self.pieces[piece]
            weight_grad(self.x[images], grad[images], *self.padding, grad_w_shares[piece], grad_b_shares[piece], need_w)
            if need_x:
                input_grad(grad[images], self.weight, *self.padding, grad_x[images])

        run_pieces(backward_piece, len(self.pieces), self.workers)
        grad_w = grad_w_shares.sum(axis=0) if need_w else None
        return grad_x, grad_w, grad_b_shares.sum(axis=0).astype(self.x.dtype)


class DirectConvolution2d(FastConvolution2d):
    algorithm = DirectConvolution
