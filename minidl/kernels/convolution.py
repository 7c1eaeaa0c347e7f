"""conv2d on the fast path: the reading path's Convolution2d (minidl/ops/convolution.py) computed by
one of three algorithms, each over the batch cut into pieces that the workers share.

FastConvolution2d is the Function; `algorithm` says how it computes: Im2colConvolution here (the
reading path's im2col, products and col2im, with numba's im2col and col2im), WinogradConvolution
(winograd.py) or DirectConvolution (direct.py). An algorithm is made from (x, weight, window,
groups, dtype, keep) and has forward(bias) -> out and backward(grad, need_x, need_w) -> (dx, dW, db);
conv2d_path (seam.py) says which one runs for a layer.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

import numpy as np

from minidl.autograd import Context
from minidl.kernels.backend import numba_module
from minidl.kernels.arrays import kernel_array, kernel_bias, kernel_grad
from minidl.kernels.pieces import batch_pieces, cols_kept, images_per_block
from minidl.kernels.workers import run_pieces, worker_count
from minidl.kernels.workspace import workspace
from minidl.ops.convolution import Convolution2d
from minidl.ops.window import Window, crop_spatial, framed_shape


class FastConvolution2d(Convolution2d):
    """Convolution2d's forward and backward by `algorithm`, in the dtype NumPy's promotion gives x,
    weight and bias together."""

    algorithm: type

    @classmethod
    def forward(
        cls,
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None = None,
        *,
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        groups: int,
    ) -> np.ndarray:
        dtype = np.result_type(x, weight, *(() if bias is None else (bias,)))
        window = Window(weight.shape[2:], stride, padding, dilation)
        convolution = cls.algorithm(x, weight, window, groups, dtype, keep=any(ctx.needs_input_grad))
        ctx.save_for_backward(convolution)
        return convolution.forward(bias)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        (convolution,) = ctx.saved
        grad_x, grad_w, grad_b = convolution.backward(grad, ctx.needs_input_grad[0], ctx.needs_input_grad[1])
        return grad_x, grad_w, grad_b if len(ctx.needs_input_grad) > 2 else None


class Im2colConvolution:
    """x (N, C, H, W) convolved with weight (O, C/G, kh, kw): im2col, then G matrix products per image.

    The pieces' arrays are made by the calling thread (workers.py says why): out, dx, and cols when
    the batch keeps it from the forward to the backward pass; else each worker builds a piece's cols
    into a scratch array borrowed from the workspace, again in the backward pass."""

    def __init__(self, x: np.ndarray, weight: np.ndarray, window: Window, groups: int, dtype: np.dtype, keep: bool):
        self.x, self.window, self.weight_shape = kernel_array("conv2d", x, 4, dtype), window, weight.shape
        # W_g: (G, O/G, C/G·kh·kw)
        self.grouped_weight = kernel_array("conv2d", weight, 4, dtype).reshape(groups, weight.shape[0] // groups, -1)
        n, channels = x.shape[:2]
        out_h, out_w = window.output_size(*x.shape[2:])
        self.out_shape = (n, weight.shape[0], out_h, out_w)
        self.cols_shape = (channels * window.kernel[0] * window.kernel[1], out_h * out_w)  # one image's cols
        cols_bytes = self.cols_shape[0] * self.cols_shape[1] * self.x.itemsize
        self.pieces = batch_pieces(n, self.cols_shape[0] * self.cols_shape[1] * weight.shape[0] // groups, cols_bytes)
        self.cols = np.empty((n, *self.cols_shape), dtype) if keep and cols_kept(n, cols_bytes) else None
        self.cols_built = False

    def _by_group(self, array: np.ndarray) -> np.ndarray:
        """(images, C·kh·kw, OH·OW) as (images, G, C/G·kh·kw, OH·OW): group g's rows of each image."""
        return array.reshape(len(array), *self.grouped_weight.shape[::2], self.cols_shape[1])

    @contextmanager
    def _cols_of(self, workers: int) -> Iterator[Callable[[slice, int], np.ndarray]]:
        """For the block: cols_of(images, worker), the im2col matrix of those images: a slice of the
        kept cols (built in the forward pass), or built into the worker's scratch array."""
        if self.cols is not None:
            yield lambda images, worker: self._im2col(images, self.cols[images], not self.cols_built)
            self.cols_built = True
            return
        with self._scratch(workers, self.cols_shape) as scratch:
            yield lambda images, worker: self._im2col(images, scratch[worker][: images.stop - images.start], True)

    def _im2col(self, images: slice, cols: np.ndarray, build: bool) -> np.ndarray:
        if build:
            numba_module("im2col_numba").im2col(self.x[images], self.window, cols)
        return cols

    def _scratch(self, workers: int, per_image: tuple[int, ...], most: int | None = None):
        """One array per worker, for its largest piece's images (or `most` of them), from the workspace."""
        images = max(piece.stop - piece.start for piece in self.pieces)
        return workspace.borrowed([(min(images, most or images), *per_image)] * workers, self.x.dtype)

    def forward(self, bias: np.ndarray | None) -> np.ndarray:
        groups, group_filters, _ = self.grouped_weight.shape
        if bias is not None:
            bias = kernel_bias("conv2d", bias, self.out_shape[1], self.x.dtype).reshape(groups, group_filters, 1)
        out = np.empty((len(self.x), groups, group_filters, self.cols_shape[1]), self.x.dtype)
        workers = min(worker_count(), len(self.pieces))

        def forward_piece(piece: int, worker: int) -> None:
            images = self.pieces[piece]
            cols = self._by_group(cols_of(images, worker))
            np.matmul(self.grouped_weight, cols, out=out[images])  # out_g[n] = W_g @ cols_g[n]
            if bias is not None:
                out[images] += bias

        with self._cols_of(workers) as cols_of:
            run_pieces(forward_piece, len(self.pieces), workers)
        return out.reshape(self.out_shape)

    def backward(self, grad: np.ndarray, need_x: bool, need_w: bool) -> tuple[np.ndarray | None, ...]:
        groups, group_filters, group_taps = self.grouped_weight.shape
        grad = kernel_grad("conv2d", grad, self.out_shape, self.x.dtype)
        grad_out = grad.reshape(len(grad), groups, group_filters, self.cols_shape[1])  # dout_g[n]
        frame = self.window.frame(*self.x.shape[2:])
        grad_x_framed = np.zeros(framed_shape(self.x.shape, frame), self.x.dtype) if need_x else None
        transposed_weight = self.grouped_weight.transpose(0, 2, 1)  # W_gᵀ
        products_shape = (groups, group_taps, group_filters)  # one image's dW_gᵀ
        block = images_per_block(self.grouped_weight.nbytes)
        workers = min(worker_count(), len(self.pieces))

        # each piece's sums of dW_gᵀ and db, added up in piece order below
        weight_shares = np.zeros((len(self.pieces), *products_shape), self.x.dtype) if need_w else None
        bias_shares = np.empty((len(self.pieces), groups, group_filters), self.x.dtype)

        def backward_piece(piece: int, worker: int) -> None:
            images = self.pieces[piece]
            dout = grad_out[images]
            if need_x:
                grad_cols = grad_cols_of[worker][: images.stop - images.start]
                np.matmul(transposed_weight, dout, out=self._by_group(grad_cols))  # dcols_g[n] = W_gᵀ @ dout_g[n]
                numba_module("im2col_numba").col2im(grad_cols, self.x[images].shape, self.window, grad_x_framed[images])
            if need_w:  # Σ_n cols_g[n] @ dout_g[n]ᵀ, a block of images at a time
                cols = self._by_group(cols_of(images, worker))
                for start in range(0, len(cols), block):
                    part = slice(start, start + block)
                    products = products_of[worker][: len(cols[part])]
                    weight_shares[piece] += np.matmul(cols[part], dout[part].transpose(0, 1, 3, 2), out=products).sum(0)
            np.einsum("ngop->go", dout, out=bias_shares[piece])

        with (
            self._cols_of(workers) as cols_of,
            self._scratch(workers, self.cols_shape) if need_x else nullcontext() as grad_cols_of,
            self._scratch(workers, products_shape, block) if need_w else nullcontext() as products_of,
        ):
            run_pieces(backward_piece, len(self.pieces), workers)
        grad_x = crop_spatial(grad_x_framed, frame) if need_x else None
        grad_w = weight_shares.sum(axis=0).transpose(0, 2, 1).reshape(self.weight_shape) if need_w else None
        return grad_x, grad_w, bias_shares.sum(axis=0).ravel()


class Im2colConvolution2d(FastConvolution2d):
    algorithm = Im2colConvolution
