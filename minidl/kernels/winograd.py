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
rounding) for the same reason the forward pass is. A group of images at a time, a worker
(workers.py) transforms the tiles into its scratch arrays, runs the products and transforms back
(winograd_numba.py has the loops); nothing is kept between the passes but x, whose tiles the
backward pass transforms again.

Rounding: the transforms only add and halve, and in float32 the result stayed as close to the exact
convolution as the im2col path's did (test_winograd.py bounds it). Speed: see the README's section
on speed; the products need 2.25 times fewer multiply-adds than im2col's, and V holds 16 values
per 2×2 tile and channel, 4/9 of what im2col's columns hold.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import ModuleType

import numpy as np

from minidl.kernels.backend import kernel_backend
from minidl.kernels.chunked_im2col import image_pieces
from minidl.kernels.convolution_arguments import kernel_bias, kernel_grad
from minidl.kernels.dispatch import KERNEL_DTYPES, numba_module
from minidl.kernels.geometry import Window
from minidl.kernels.workers import map_pieces, worker_count
from minidl.kernels.workspace import workspace

GROUP_BYTES = 512 << 10  # a group's tiles and products, V and M: about what a core's cache holds
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


# The fewest input channels at which this path measured faster than im2col's, by the output's width
# (a forward and backward pass, interleaved, on the benchmarks' 2-core machine, README's section on
# speed): with few channels the products are thin, and their saving no longer pays for the
# transforms; the narrower the image, the more the spare tile of each row costs (1/TW).
MIN_CHANNELS_BY_WIDTH = ((64, 4), (32, 16), (16, 32))


def suits(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, window: Window, groups: int) -> bool:
    """Whether conv2d of these arrays takes this path: numba's kernels, one group, a 3×3 window of
    stride 1 without dilation, float32 or float64 throughout, and enough channels and columns
    (MIN_CHANNELS_BY_WIDTH)."""
    out_w = window.output_size(*x.shape[2:])[1] if x.ndim == 4 else 0
    return (
        kernel_backend() == "numba"
        and groups == 1
        and window.kernel == (3, 3)
        and window.stride == window.dilation == (1, 1)
        and not window.ceil_mode
        and x.dtype in KERNEL_DTYPES
        and weight.dtype == x.dtype
        and (bias is None or bias.dtype == x.dtype)
        and any(out_w >= width and x.shape[1] >= channels for width, channels in MIN_CHANNELS_BY_WIDTH)
    )


def filter_tiles(weight: np.ndarray) -> np.ndarray:
    """U (16, O, C): G g Gᵀ of every 3×3 filter g of weight (O, C, 3, 3), entry ξ = 4·i + j first."""
    g = G.astype(weight.dtype)
    transformed = g @ weight @ g.T  # (O, C, 4, 4)
    return np.ascontiguousarray(transformed.reshape(*weight.shape[:2], 16).transpose(2, 0, 1))


def filter_tiles_adjoint(grad_tiles: np.ndarray) -> np.ndarray:
    """dW (O, C, 3, 3) = Gᵀ dU G of every filter's 4×4 gradient in grad_tiles (16, O, C)."""
    g = G.astype(grad_tiles.dtype)
    return g.T @ grad_tiles.transpose(1, 2, 0).reshape(*grad_tiles.shape[1:], 4, 4) @ g


class WinogradConvolution:
    """x (N, C, H, W) convolved with weight (O, C, 3, 3), stride 1, `padding` zeros on each side;
    forward(bias) and backward(grad, ...) share the batch between the workers, a group of images
    at a time (as many as keep their tiles and products within GROUP_BYTES, at least one)."""

    def __init__(self, x: np.ndarray, weight: np.ndarray, padding: tuple[int, int]):
        if x.ndim != 4 or weight.shape != (weight.shape[0], x.shape[1], 3, 3) or weight.dtype != x.dtype:
            raise ValueError(
                f"WinogradConvolution: x {x.dtype} {x.shape} and weight {weight.dtype} {weight.shape} "
                f"must be (N, C, H, W) and (O, C, 3, 3) of one dtype"
            )
        self.x, self.padding = np.ascontiguousarray(x), padding
        n, channels, height, width = x.shape
        self.filters = weight.shape[0]
        self.out_size = (height + 2 * padding[0] - 2, width + 2 * padding[1] - 2)
        if min(self.out_size) < 1:
            raise ValueError(f"WinogradConvolution: a 3×3 window does not fit {x.shape} padded by {padding}")
        self.tiles_w = (self.out_size[1] + 1) // 2
        # TH rows of tiles, each with a spare tile after its TW (winograd_numba.py says why)
        self.tiles = (self.out_size[0] + 1) // 2 * (self.tiles_w + 1)
        self.weight_tiles = filter_tiles(weight)  # U
        self.workers = worker_count()
        # Each piece works a group at a time in its worker's scratch arrays, so pieces only share the work.
        multiply_adds_per_image = self.filters * channels * 9 * self.out_size[0] * self.out_size[1]
        self.pieces = image_pieces(n, 0, self.workers, multiply_adds_per_image)
        group_bytes = 16 * (channels + self.filters) * self.tiles * x.itemsize
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
        workers = min(self.workers, len(self.pieces))
        return workspace.borrowed([(16 * count * self.group * self.tiles,) for count in rows] * workers, self.x.dtype)

    def _group_array(self, flat: np.ndarray, rows: int, images: slice) -> np.ndarray:
        """(16, rows, images·TH·P) at the start of a flat scratch array, C-contiguous: the tiles of
        the group's images side by side, so that each of the 16 products covers all of them."""
        columns = (images.stop - images.start) * self.tiles
        return flat[: 16 * rows * columns].reshape(16, rows, columns)

    def forward(self, bias: np.ndarray | None) -> np.ndarray:
        """The convolution plus bias (O,), (N, O, OH, OW)."""
        channels = self.x.shape[1]
        bias = kernel_bias("WinogradConvolution", bias, self.filters, self.x.dtype)
        out = np.empty((len(self.x), self.filters, *self.out_size), self.x.dtype)  # made here, by the calling thread
        rows = [channels, self.filters]

        def forward_piece(piece: int, worker: int) -> None:
            for images in self._groups(piece):
                tiles, products = (self._group_array(*pair, images) for pair in zip(scratch[2 * worker :], rows))
                _kernels().input_tiles(self.x[images], *self.padding, self.tiles_w, tiles)
                np.matmul(self.weight_tiles, tiles, out=products)  # M[ξ] = U[ξ] @ V[ξ]
                _kernels().output_tiles(products, bias, self.tiles_w, out[images])

        with self._scratch(rows) as scratch:
            map_pieces(forward_piece, range(len(self.pieces)), self.workers)
        return out

    def backward(self, grad: np.ndarray, need_x: bool, need_w: bool) -> tuple[np.ndarray | None, ...]:
        """(dx, dW, db) from grad (N, O, OH, OW); dx and dW None where not needed."""
        channels = self.x.shape[1]
        grad = kernel_grad("WinogradConvolution", grad, (len(self.x), self.filters, *self.out_size), self.x.dtype)
        # Made here, by the calling thread: dx, and each piece's shares of dU and db (summed after).
        grad_x = np.empty_like(self.x) if need_x else None
        grad_tile_shares = np.zeros((len(self.pieces) if need_w else 0, 16, self.filters, channels), self.x.dtype)
        grad_bias_shares = np.zeros((len(self.pieces), self.filters))
        transposed_tiles = self.weight_tiles.transpose(0, 2, 1)  # U[ξ]ᵀ, (16, C, O)
        rows = [channels, self.filters]
        grad_tiles = np.empty((len(self.pieces), 16, self.filters, channels), self.x.dtype)

        def backward_piece(piece: int, worker: int) -> None:
            for images in self._groups(piece):
                tiles, grad_products = (self._group_array(*pair, images) for pair in zip(scratch[2 * worker :], rows))
                _kernels().output_tiles_adjoint(grad[images], self.tiles_w, grad_products, grad_bias_shares[piece])
                if need_w:  # V again (keeping it from the forward pass measured no faster)
                    _kernels().input_tiles(self.x[images], *self.padding, self.tiles_w, tiles)
                    np.matmul(grad_products, tiles.transpose(0, 2, 1), out=grad_tiles[piece])  # M̄[ξ] @ V[ξ]ᵀ
                    grad_tile_shares[piece] += grad_tiles[piece]
                if need_x:  # (V is used up: its scratch takes dV)
                    np.matmul(transposed_tiles, grad_products, out=tiles)  # dV[ξ] = U[ξ]ᵀ @ M̄[ξ]
                    _kernels().input_tiles_adjoint(tiles, *self.padding, self.tiles_w, grad_x[images])

        with self._scratch(rows) as scratch:
            map_pieces(backward_piece, range(len(self.pieces)), self.workers)
        grad_w = filter_tiles_adjoint(grad_tile_shares.sum(axis=0)) if need_w else None
        return grad_x, grad_w, grad_bias_shares.sum(axis=0).astype(self.x.dtype)


def _kernels() -> ModuleType:
    return numba_module("winograd_numba")
