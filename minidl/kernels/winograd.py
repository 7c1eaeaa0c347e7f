"""3×3 convolutions of stride 1 with Winograd's minimal filtering F(2×2, 3×3): 16 multiplications
for a 2×2 tile of output where the direct sum takes 36 (Lavin & Gray, "Fast Algorithms for
Convolutional Neural Networks", CVPR 2016, section 4).

The output is cut into 2×2 tiles; the tile of filter o reads a 4×4 tile d_c of each framed input
channel c (neighbouring tiles overlap by two rows or columns), and

    Y_o = Aᵀ [ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ] A

         ⎡1  0 −1  0⎤        ⎡ 1    0    0 ⎤
    Bᵀ = ⎢0  1  1  0⎥    G = ⎢ ½    ½    ½ ⎥    Aᵀ = ⎡1 1  1  0⎤
         ⎢0 −1  1  0⎥        ⎢ ½   −½    ½ ⎥         ⎣0 1 −1 −1⎦
         ⎣0  1  0 −1⎦        ⎣ 0    0    1 ⎦

with g_oc the 3×3 filter. Numbering the 16 entries of a transformed tile ξ and the tiles t, the
sum over channels is 16 matrix products, one per ξ, which BLAS runs:

    forward    U[ξ] = (G g Gᵀ)[ξ] (O, C),  V[ξ] = (Bᵀ d B)[ξ] (C, tiles),  M[ξ] = U[ξ] @ V[ξ],  Y = Aᵀ M A
    backward   M̄ = A Ȳ Aᵀ,  dU[ξ] = M̄[ξ] @ V[ξ]ᵀ summed over images,  dg = Gᵀ dU G,
               dV[ξ] = U[ξ]ᵀ @ M̄[ξ],  dx = the tiles B dV Bᵀ summed where they overlap

The backward pass is the adjoint of each linear step of the forward pass, so it is exact (up to
rounding) for the same reason the forward pass is. winograd_numpy.py writes the algorithm out on
one screen with the matrices above; here the batch is cut into pieces that the workers share
(pieces.py, workers.py), a group of images at a time, a worker transforms the tiles into its
scratch arrays, runs the products and transforms back (winograd_numba.py has the loops). Nothing
is kept between the passes but x, whose tiles the backward pass transforms again.

The products need 2.25 times fewer multiply-adds than im2col's, and V holds 16 values per 2×2 tile
and channel, 4/9 of what im2col's columns hold. The transforms only add and halve: in float32 the
result stays as close to the exact convolution as the im2col path's does (test_winograd.py bounds it).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import numpy as np

from minidl.kernels.arrays import kernel_array, kernel_bias, kernel_grad
from minidl.kernels.backend import numba_module
from minidl.kernels.convolution import FastConvolution2d
from minidl.kernels.pieces import batch_pieces
from minidl.kernels.winograd_numpy import filter_tiles, filter_tiles_adjoint
from minidl.kernels.workers import run_pieces, worker_count
from minidl.kernels.workspace import workspace
from minidl.ops.window import Window

GROUP_BYTES = 512 << 10  # a group's tiles and products, V and M: about what a core's cache holds


class WinogradConvolution:
    """x (N, C, H, W) convolved with weight (O, C, 3, 3), stride 1, window.padding zeros on each side
    (one group); forward(bias) and backward(grad, ...) share the batch's pieces between the workers,
    a group of images at a time (as many as keep their tiles and products within GROUP_BYTES)."""

    def __init__(self, x: np.ndarray, weight: np.ndarray, window: Window, groups: int, dtype: np.dtype, keep: bool):
        if groups != 1 or window.kernel != (3, 3) or window.stride != (1, 1) or window.dilation != (1, 1):
            raise ValueError(f"WinogradConvolution: a 3×3 window of stride 1 and one group only, got {window}")
        self.x, self.padding = kernel_array("conv2d", x, 4, dtype), window.padding
        n, channels = x.shape[:2]
        self.filters = weight.shape[0]
        self.out_size = window.output_size(*x.shape[2:])
        self.tiles_w = (self.out_size[1] + 1) // 2
        # TH rows of tiles, each with a spare tile after its TW (winograd_numba.py says why)
        self.tiles = (self.out_size[0] + 1) // 2 * (self.tiles_w + 1)
        self.weight_tiles = filter_tiles(kernel_array("conv2d", weight, 4, dtype))  # U
        multiply_adds_per_image = self.filters * channels * 9 * self.out_size[0] * self.out_size[1]
        self.pieces = batch_pieces(n, multiply_adds_per_image)
        self.workers = min(worker_count(), len(self.pieces))
        group_bytes = 16 * (channels + self.filters) * self.tiles * self.x.itemsize
        self.group = max(1, min(GROUP_BYTES // group_bytes, max(p.stop - p.start for p in self.pieces)))

    def _groups(self, piece: int) -> list[slice]:
        """The piece's images, a group at a time."""
        images = self.pieces[piece]
        return [
            slice(start, min(start + self.group, images.stop)) for start in range(images.start, images.stop, self.group)
        ]

    def _scratch(self, rows: list[int]) -> AbstractContextManager[list[np.ndarray]]:
        """For the block: per worker (worker k's at [k·len(rows) + …]), one flat array for each
        (16, rows, group·TH·P) that a group needs (P = TW + 1: a spare tile to a row), borrowed from
        the workspace; see _group_array."""
        return workspace.borrowed(
            [(16 * count * self.group * self.tiles,) for count in rows] * self.workers, self.x.dtype
        )

    def _group_array(self, flat: np.ndarray, rows: int, images: slice) -> np.ndarray:
        """(16, rows, images·TH·P) at the start of a flat scratch array, C-contiguous: the tiles of
        the group's images side by side, so that each of the 16 products covers all of them."""
        columns = (images.stop - images.start) * self.tiles
        return flat[: 16 * rows * columns].reshape(16, rows, columns)

    def forward(self, bias: np.ndarray | None) -> np.ndarray:
        """The convolution plus bias (O,), (N, O, OH, OW)."""
        channels = self.x.shape[1]
        bias = kernel_bias("conv2d", bias, self.filters, self.x.dtype)
        out = np.empty((len(self.x), self.filters, *self.out_size), self.x.dtype)  # made here, by the calling thread
        rows = [channels, self.filters]
        loops = numba_module("winograd_numba")

        def forward_piece(piece: int, worker: int) -> None:
            for images in self._groups(piece):
                tiles, products = (self._group_array(*pair, images) for pair in zip(scratch[2 * worker :], rows))
                loops.input_tiles(self.x[images], *self.padding, self.tiles_w, tiles)
                np.matmul(self.weight_tiles, tiles, out=products)  # M[ξ] = U[ξ] @ V[ξ]
                loops.output_tiles(products, bias, self.tiles_w, out[images])

        with self._scratch(rows) as scratch:
            run_pieces(forward_piece, len(self.pieces), self.workers)
        return out

    def backward(self, grad: np.ndarray, need_x: bool, need_w: bool) -> tuple[np.ndarray | None, ...]:
        """(dx, dW, db) from grad (N, O, OH, OW); dx and dW None where not needed."""
        channels = self.x.shape[1]
        grad = kernel_grad("conv2d", grad, (len(self.x), self.filters, *self.out_size), self.x.dtype)
        # Made here, by the calling thread: dx, and each piece's shares of dU and db (summed after).
        grad_x = np.empty_like(self.x) if need_x else None
        grad_tile_shares = np.zeros((len(self.pieces) if need_w else 0, 16, self.filters, channels), self.x.dtype)
        grad_bias_shares = np.zeros((len(self.pieces), self.filters))
        transposed_tiles = self.weight_tiles.transpose(0, 2, 1)  # U[ξ]ᵀ, (16, C, O)
        rows = [channels, self.filters]
        grad_tiles = np.empty_like(grad_tile_shares)  # each piece's product, before it joins its share
        loops = numba_module("winograd_numba")

        def backward_piece(piece: int, worker: int) -> None:
            for images in self._groups(piece):
                tiles, grad_products = (self._group_array(*pair, images) for pair in zip(scratch[2 * worker :], rows))
                loops.output_tiles_adjoint(grad[images], self.tiles_w, grad_products, grad_bias_shares[piece])
                if need_w:  # V again (keeping it from the forward pass measured no faster)
                    loops.input_tiles(self.x[images], *self.padding, self.tiles_w, tiles)
                    np.matmul(grad_products, tiles.transpose(0, 2, 1), out=grad_tiles[piece])  # M̄[ξ] @ V[ξ]ᵀ
                    grad_tile_shares[piece] += grad_tiles[piece]
                if need_x:  # (V is used up: its scratch takes dV)
                    np.matmul(transposed_tiles, grad_products, out=tiles)  # dV[ξ] = U[ξ]ᵀ @ M̄[ξ]
                    loops.input_tiles_adjoint(tiles, *self.padding, self.tiles_w, grad_x[images])

        with self._scratch(rows) as scratch:
            run_pieces(backward_piece, len(self.pieces), self.workers)
        grad_w = filter_tiles_adjoint(grad_tile_shares.sum(axis=0)) if need_w else None
        return grad_x, grad_w, grad_bias_shares.sum(axis=0).astype(self.x.dtype)


class WinogradConvolution2d(FastConvolution2d):
    algorithm = WinogradConvolution
