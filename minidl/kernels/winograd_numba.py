"""The loops of Winograd's F(2×2, 3×3) (winograd.py has the algorithm): tiles of a group of
images into and out of the transformed domain, and their adjoints for the backward pass.

With the 4×4 input tile d at framed rows 2·ty … 2·ty + 3, columns 2·tx … 2·tx + 3 (the framed input
is x with `top` rows and `left` columns of zeros before it, and zeros after), image n's tile
t = ty·TW + tx at column n·TH·TW + t of the group, and ξ = 4·i + j the place in a transformed tile:

    input_tiles            V[ξ, c, n·TH·TW + t] = (Bᵀ d B)[i, j]              of x[n, c]
    output_tiles           out[n, o, 2·ty + a, 2·tx + b] = (Aᵀ m A)[a, b] + bias[o],  m[i, j] = M[ξ, o, …]
    output_tiles_adjoint   M̄[ξ, o, …] = (A g Aᵀ)[i, j],  g the 2×2 tile of grad[n, o] (zeros past its edge)
    input_tiles_adjoint    dx[n, c] = the 4×4 tiles B v Bᵀ, v[i, j] = V[ξ, c, …], summed where they
                           overlap (by two rows or columns), without the frame

    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]],   Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].

The matrices hold only 0 and ±1, so each transform is additions, done in two passes: one along the
rows of the image (a tile row at a time, reading or writing every other value) and one across the 16
planes ξ, a run over all the image's tiles at once. Measured on the benchmarks' machine, three ways
of writing the same loops were slower: slices (views) of the arrays instead of indexing them (about
3× at the CIFAR-sized layer), np.ndindex instead of nested range loops (2×: the indices then no
longer read as ≥ 0 to the compiler, which keeps its bounds arithmetic inside the inner loop), and
the second pass done a tile row at a time instead of as one run (about 1.5×). Each call runs
without the GIL on its caller's thread; only winograd.py calls these, with C-contiguous arrays of
one dtype whose shapes it checked.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def input_tiles(x: np.ndarray, top: int, left: int, tiles_w: int, tiles: np.ndarray) -> None:
    """tiles (16, C, n·TH·TW) = Bᵀ d B of every 4×4 tile d of the framed images x (n, C, H, W)."""
    images, channels, height, width = x.shape
    tiles_h = tiles.shape[2] // images // tiles_w
    per_image = tiles_h * tiles_w
    span = 2 * tiles_w + 2
    framed = np.zeros((2 * tiles_h + 2, span), x.dtype)  # one channel in its frame; the frame stays zero
    rows_in, columns_in = min(height, framed.shape[0] - top), min(width, span - left)
    columns = np.empty((4, span), x.dtype)  # Bᵀ applied down the columns of a tile row's 4 rows
    for n in range(images):
        for c in range(channels):
            for y in range(rows_in):
                for k in range(columns_in):
                    framed[top + y, left + k] = x[n, c, y, k]
            for ty in range(tiles_h):
                r = 2 * ty
                for k in range(span):
                    columns[0, k] = framed[r, k] - framed[r + 2, k]
                    columns[1, k] = framed[r + 1, k] + framed[r + 2, k]
                    columns[2, k] = framed[r + 2, k] - framed[r + 1, k]
                    columns[3, k] = framed[r + 1, k] - framed[r + 3, k]
                for i in range(4):  # ... and B along each of them, tile by tile
                    for tx in range(tiles_w):
                        t = ty * tiles_w + tx
                        d0, d1 = columns[i, 2 * tx], columns[i, 2 * tx + 1]
                        d2, d3 = columns[i, 2 * tx + 2], columns[i, 2 * tx + 3]
                        tiles[4 * i, c, n * per_image + t] = d0 - d2
                        tiles[4 * i + 1, c, n * per_image + t] = d1 + d2
                        tiles[4 * i + 2, c, n * per_image + t] = d2 - d1
                        tiles[4 * i + 3, c, n * per_image + t] = d1 - d3


@numba.njit(cache=True, nogil=True)
def output_tiles(products: np.ndarray, bias: np.ndarray, tiles_w: int, out: np.ndarray) -> None:
    """out (n, O, OH, OW) = Aᵀ m A + bias of every tile m of products (16, O, n·TH·TW); the last row
    and column of tiles are cut where OH or OW is odd."""
    images, filters, out_h, out_w = out.shape
    tiles = products.shape[2] // images
    whole_w = out_w // 2  # tiles that fit whole in a row of out
    rows = np.empty((8, tiles), out.dtype)  # Aᵀ m: row a of column j of every tile at rows[4·a + j]
    for n in range(images):
        for o in range(filters):
            first = n * tiles
            for j in range(4):  # Aᵀ down the columns, all tiles of the image in one run
                for t in range(tiles):
                    m0, m1 = products[j, o, first + t], products[4 + j, o, first + t]
                    m2, m3 = products[8 + j, o, first + t], products[12 + j, o, first + t]
                    rows[j, t] = m0 + m1 + m2
                    rows[4 + j, t] = m1 - m2 - m3
            for y in range(out_h):  # ... then A along each row of out, tile by tile
                ty, r = y // 2, 4 * (y % 2)
                for tx in range(whole_w):
                    t = ty * tiles_w + tx
                    out[n, o, y, 2 * tx] = rows[r, t] + rows[r + 1, t] + rows[r + 2, t] + bias[o]
                    out[n, o, y, 2 * tx + 1] = rows[r + 1, t] - rows[r + 2, t] - rows[r + 3, t] + bias[o]
                if out_w % 2:
                    t = ty * tiles_w + whole_w
                    out[n, o, y, out_w - 1] = rows[r, t] + rows[r + 1, t] + rows[r + 2, t] + bias[o]


@numba.njit(cache=True, nogil=True)
def output_tiles_adjoint(grad: np.ndarray, tiles_w: int, products: np.ndarray, grad_bias: np.ndarray) -> None:
    """products (16, O, n·TH·TW) = A g Aᵀ of every 2×2 tile g of grad (n, O, OH, OW), zeros past its
    edge: the gradient that output_tiles sends back to its products; and Σ grad[:, o] added to
    grad_bias[o] (summed in float64), the bias's share, while grad passes by."""
    images, filters, out_h, out_w = grad.shape
    tiles = products.shape[2] // images
    whole_w = out_w // 2
    columns = np.zeros((8, tiles), grad.dtype)  # g Aᵀ: row a of every tile, column j, at columns[4·a + j]
    for n in range(images):
        for o in range(filters):
            total = 0.0
            for y in range(out_h):  # g Aᵀ along each row of grad, tile by tile
                ty, r = y // 2, 4 * (y % 2)
                for tx in range(whole_w):
                    t = ty * tiles_w + tx
                    g0, g1 = grad[n, o, y, 2 * tx], grad[n, o, y, 2 * tx + 1]
                    total += g0 + g1
                    columns[r, t] = g0
                    columns[r + 1, t] = g0 + g1
                    columns[r + 2, t] = g0 - g1
                    columns[r + 3, t] = -g1
                if out_w % 2:  # the last tile's second column lies past the edge
                    g0, t = grad[n, o, y, out_w - 1], ty * tiles_w + whole_w
                    total += g0
                    columns[r, t] = columns[r + 1, t] = columns[r + 2, t] = g0
                    columns[r + 3, t] = 0.0
            grad_bias[o] += total
            first = n * tiles
            for j in range(4):  # ... then A down each column, all tiles in one run
                for t in range(tiles):
                    upper, lower = columns[j, t], columns[4 + j, t]
                    products[j, o, first + t] = upper
                    products[4 + j, o, first + t] = upper + lower
                    products[8 + j, o, first + t] = upper - lower
                    products[12 + j, o, first + t] = -lower


@numba.njit(cache=True, nogil=True)
def input_tiles_adjoint(tiles: np.ndarray, top: int, left: int, tiles_w: int, dx: np.ndarray) -> None:
    """dx (n, C, H, W) = the sum of B v Bᵀ over the tiles v of tiles (16, C, n·TH·TW), each at its
    place in the framed input, the frame cut off: the gradient that input_tiles sends back to x."""
    images, channels, height, width = dx.shape
    per_image = tiles.shape[2] // images
    tiles_h = per_image // tiles_w
    framed = np.empty((2 * tiles_h + 2, 2 * tiles_w + 2), dx.dtype)  # one channel's framed gradient
    rows = np.empty((16, per_image), dx.dtype)  # B down each tile: row i, column j of every tile at rows[4·i + j]
    for n in range(images):
        for c in range(channels):
            first = n * per_image
            for j in range(4):  # B down the columns, all tiles of the image in one run
                for t in range(per_image):
                    v0, v1 = tiles[j, c, first + t], tiles[4 + j, c, first + t]
                    v2, v3 = tiles[8 + j, c, first + t], tiles[12 + j, c, first + t]
                    rows[j, t] = v0
                    rows[4 + j, t] = v1 - v2 + v3
                    rows[8 + j, t] = v1 + v2 - v0
                    rows[12 + j, t] = -v3
            framed[:] = 0.0
            for ty in range(tiles_h):
                for i in range(4):  # ... then Bᵀ along each row; neighbouring tiles share two columns
                    y, r, start = 2 * ty + i, 4 * i, ty * tiles_w
                    for tx in range(tiles_w):
                        t = start + tx
                        framed[y, 2 * tx] += rows[r, t]
                        framed[y, 2 * tx + 1] += rows[r + 1, t] - rows[r + 2, t] + rows[r + 3, t]
                    for tx in range(tiles_w):
                        t = start + tx
                        framed[y, 2 * tx + 2] += rows[r + 1, t] + rows[r + 2, t] - rows[r, t]
                        framed[y, 2 * tx + 3] -= rows[r + 3, t]
            for y in range(height):
                for k in range(width):
                    dx[n, c, y, k] = framed[top + y, left + k]
