"""The loops of Winograd's F(2×2, 3×3) (winograd.py has the algorithm): tiles of a group of
images into and out of the transformed domain, and their adjoints for the backward pass.

Layout. The framed input is x with `top` rows and `left` columns of zeros before it and zeros after,
2·TH + 2 rows of S = 2·TW + 2 columns. Each row of tiles holds TW tiles and one spare at its end, so
image n's tile t = ty·P + tx (P = TW + 1, tx ≤ TW) is column n·TH·P + t of the group, and the 4×4
input tile d of tile t starts at framed row 2·ty, column 2·tx. With ξ = 4·i + j the place in a
transformed tile:

    input_tiles            V[ξ, c, n·TH·P + t] = (Bᵀ d B)[i, j]               of x[n, c]
    output_tiles           out[n, o, 2·ty + a, 2·tx + b] = (Aᵀ m A)[a, b] + bias[o],  m[i, j] = M[ξ, o, …]
    output_tiles_adjoint   M̄[ξ, o, …] = (A g Aᵀ)[i, j],  g the 2×2 tile of grad[n, o] (zeros past its edge)
    input_tiles_adjoint    dx[n, c] = the adjoint of input_tiles: the 4×4 tiles B v Bᵀ, v[i, j] = V̄[ξ, c, …],
                           summed where they overlap (by two rows or columns), without the frame

    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]],   Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].

Why the spare tile: a tile's first column is 2·tx, so with P = S / 2 tiles to a row, tile t starts
at 2·t in a framed row-pair laid end to end. Every pass is then one run over all the image's tiles
(or all its framed values) at unit or double stride, which the compiler turns into vector code;
run along one row of tiles at a time (16 tiles at the CIFAR-sized layer) the same loops measured
several times slower, as the trip count stays below what the vector loop needs. The spare tile reads the
frame's last two columns and the next row's first two, and nothing reads its outputs: output_tiles
skips it, output_tiles_adjoint gives it a zero gradient (the grad it reads there is the zero past
the edge), and input_tiles_adjoint then gets zeros at it. The products compute it, 1/TW more work.

Each transform holds only 0 and ±1, so it is additions, in two passes: Bᵀ (or Aᵀ) between the rows
of a framed row-pair, then B (or A) along it. Indices are unsigned, as in im2col_numba.py: numba then
drops its wrap-around check for negative indices, which otherwise keeps these loops scalar; a
signed operand would make an index signed again and bring the check back, hence the np.uint64
constants. Each call runs without the GIL on its caller's thread; only winograd.py calls these, with
C-contiguous arrays of one dtype (arrays.py).
"""

from __future__ import annotations

import numba
import numpy as np

from minidl.kernels.framing_numba import copy_rows, run_sum

ONE, TWO, THREE, FOUR = (np.uint64(k) for k in range(1, 5))


@numba.njit(cache=True, nogil=True, inline="always")
def _rows_of_parity(a: int, height: int, top: int, left: int, plane: np.uint64, span: np.uint64) -> tuple:
    """The rows y of a plane that land on framed rows top + y of parity a, every other one, as
    (count, first y, where the first lands in pairs): framed row 2·y′ + a at pairs[a·plane + y′·span …],
    the plane's rows left columns in. Only the rows the frame holds (all, at the sizes winograd.py makes)."""
    first = (a - top) % 2
    rows = min(height, 2 * int(plane // span) - top)
    count = max(0, (rows - first + 1) // 2)
    return count, first, np.uint64(a) * plane + np.uint64((top + first) // 2) * span + np.uint64(left)


@numba.njit(cache=True, nogil=True)
def _into_frame(
    planes: np.ndarray, start: int, height: int, width: int, top: int, left: int, pairs: np.ndarray, span: np.uint64
) -> None:
    """The height × width plane at planes[start …] into its framed place in pairs (plane = pairs.size / 2
    values to a parity); the frame keeps what pairs held."""
    plane, columns = np.uint64(pairs.size) // TWO, min(width, int(span) - left)
    for a in range(2):
        count, first, at = _rows_of_parity(a, height, top, left, plane, span)
        copy_rows(planes, np.uint64(start) + np.uint64(first * width), 2 * width, pairs, at, span, count, columns)


@numba.njit(cache=True, nogil=True)
def _out_of_frame(
    pairs: np.ndarray, span: np.uint64, top: int, left: int, planes: np.ndarray, start: int, height: int, width: int
) -> None:
    """The adjoint of _into_frame: the height × width plane at planes[start …] = its framed place in pairs."""
    plane, columns = np.uint64(pairs.size) // TWO, min(width, int(span) - left)
    for a in range(2):
        count, first, at = _rows_of_parity(a, height, top, left, plane, span)
        copy_rows(pairs, at, span, planes, np.uint64(start) + np.uint64(first * width), 2 * width, count, columns)


@numba.njit(cache=True, nogil=True)
def input_tiles(x: np.ndarray, top: int, left: int, tiles_w: int, tiles: np.ndarray) -> None:
    """tiles (16, C, n·TH·P) = Bᵀ d B of every 4×4 tile d of the framed images x (n, C, H, W)."""
    images, channels, height, width = x.shape
    per_image = np.uint64(tiles.shape[2] // images)
    span = np.uint64(2 * tiles_w + 2)
    run = TWO * per_image  # the framed values of TH row-pairs: TH·S
    pairs = np.zeros(2 * (run + span), x.dtype)  # the framed plane, TH + 1 row-pairs (see _into_frame)
    plane = run + span
    columns = np.zeros(4 * (run + TWO), x.dtype)  # Bᵀ d: row i of a row-pair's 4 rows at columns[i·(run + 2) …]
    pitch = run + TWO  # (the spare tile of the last row reads the two zeros after each row i)
    source, target = x.ravel(), tiles.ravel()
    plane_v = np.uint64(tiles.shape[1] * tiles.shape[2])  # one ξ of V
    for n in range(images):
        for c in range(channels):
            plane_start = np.uint64((n * channels + c) * height * width)
            _into_frame(source, plane_start, height, width, top, left, pairs, span)
            for w in range(run):  # Bᵀ down the columns: rows 2·ty … 2·ty + 3 are pairs[w], pairs[plane + w], + span
                d0, d1, d2, d3 = pairs[w], pairs[plane + w], pairs[w + span], pairs[plane + w + span]
                columns[w] = d0 - d2
                columns[pitch + w] = d1 + d2
                columns[TWO * pitch + w] = d2 - d1
                columns[THREE * pitch + w] = d1 - d3
            first = np.uint64(c * tiles.shape[2] + n * per_image)
            for i in range(4):  # ... then B along each row: tile t's 4 columns start at 2·t
                row, out = np.uint64(i) * pitch, np.uint64(4 * i) * plane_v + first
                for t in range(per_image):
                    at = row + TWO * t
                    d0, d1, d2, d3 = columns[at], columns[at + ONE], columns[at + TWO], columns[at + THREE]
                    target[out + t] = d0 - d2
                    target[out + plane_v + t] = d1 + d2
                    target[out + TWO * plane_v + t] = d2 - d1
                    target[out + THREE * plane_v + t] = d1 - d3


@numba.njit(cache=True, nogil=True)
def output_tiles(products: np.ndarray, bias: np.ndarray, tiles_w: int, out: np.ndarray) -> None:
    """out (n, O, OH, OW) = Aᵀ m A + bias of every tile m of products (16, O, n·TH·P), but the spare
    tiles; the last row and column of tiles are cut where OH or OW is odd."""
    images, filters, out_h, out_w = out.shape
    per_image = np.uint64(products.shape[2] // images)
    span = np.uint64(2 * tiles_w + 2)
    plane_m = np.uint64(products.shape[1] * products.shape[2])  # one ξ of M
    rows = np.empty(8 * per_image, out.dtype)  # Aᵀ m: row a, column j of every tile at rows[(4·a + j)·per_image + t]
    pairs = np.empty(4 * per_image, out.dtype)  # Aᵀ m A: out's rows 2·ty + a at pairs[a·2·per_image + ty·S …]
    source, target = products.ravel(), out.ravel()
    for n in range(images):
        for o in range(filters):
            first = np.uint64(o * products.shape[2]) + np.uint64(n) * per_image
            for j in range(4):  # Aᵀ down the columns
                m = np.uint64(j) * plane_m + first
                upper, lower = np.uint64(j) * per_image, np.uint64(4 + j) * per_image
                for t in range(per_image):
                    m0, m1 = source[m + t], source[m + FOUR * plane_m + t]
                    m2, m3 = source[m + TWO * FOUR * plane_m + t], source[m + THREE * FOUR * plane_m + t]
                    rows[upper + t] = m0 + m1 + m2
                    rows[lower + t] = m1 - m2 - m3
            for a in range(2):  # ... then A along each row: tile t's 2 columns at 2·t
                r, p = np.uint64(4 * a) * per_image, np.uint64(a) * TWO * per_image
                for t in range(per_image):
                    r0, r1 = rows[r + t], rows[r + per_image + t]
                    r2, r3 = rows[r + TWO * per_image + t], rows[r + THREE * per_image + t]
                    pairs[p + TWO * t] = r0 + r1 + r2
                    pairs[p + TWO * t + ONE] = r1 - r2 - r3
            b = bias[o]
            for y in range(out_h):  # out's rows, without the spare tiles' columns
                p = np.uint64(y % 2) * TWO * per_image + np.uint64(y // 2) * span
                row = np.uint64(((n * filters + o) * out_h + y) * out_w)
                for k in range(np.uint64(out_w)):
                    target[row + k] = pairs[p + k] + b


@numba.njit(cache=True, nogil=True)
def output_tiles_adjoint(grad: np.ndarray, tiles_w: int, products: np.ndarray, grad_bias: np.ndarray) -> None:
    """products (16, O, n·TH·P) = A g Aᵀ of every 2×2 tile g of grad (n, O, OH, OW), zeros past its
    edge (so zeros at the spare tiles): the gradient that output_tiles sends back to its products;
    and Σ grad[:, o] added to grad_bias[o] (in float64), the bias's share, while grad passes by."""
    images, filters, out_h, out_w = grad.shape
    per_image = np.uint64(products.shape[2] // images)
    span = np.uint64(2 * tiles_w + 2)
    plane_m = np.uint64(products.shape[1] * products.shape[2])
    pairs = np.zeros(
        4 * per_image, grad.dtype
    )  # grad's rows 2·ty + a at pairs[a·2·per_image + ty·S …], zeros past its edge
    columns = np.empty(
        8 * per_image, grad.dtype
    )  # g Aᵀ: row a, column j of every tile at columns[(4·a + j)·per_image + t]
    source, target = grad.ravel(), products.ravel()
    for n in range(images):
        for o in range(filters):
            start = np.uint64((n * filters + o) * out_h * out_w)
            grad_bias[o] += run_sum(source, start, np.uint64(out_h * out_w))
            _into_frame(source, start, out_h, out_w, 0, 0, pairs, span)
            for a in range(2):  # g Aᵀ along each row: tile t's 2 columns at 2·t
                r, c = np.uint64(a) * TWO * per_image, np.uint64(4 * a) * per_image
                for t in range(per_image):
                    g0, g1 = pairs[r + TWO * t], pairs[r + TWO * t + ONE]
                    columns[c + t] = g0
                    columns[c + per_image + t] = g0 + g1
                    columns[c + TWO * per_image + t] = g0 - g1
                    columns[c + THREE * per_image + t] = -g1
            first = np.uint64(o * products.shape[2]) + np.uint64(n) * per_image
            for j in range(4):  # ... then A down each column
                upper, lower = np.uint64(j) * per_image, np.uint64(4 + j) * per_image
                m = np.uint64(j) * plane_m + first
                for t in range(per_image):
                    u, v = columns[upper + t], columns[lower + t]
                    target[m + t] = u
                    target[m + FOUR * plane_m + t] = u + v
                    target[m + TWO * FOUR * plane_m + t] = u - v
                    target[m + THREE * FOUR * plane_m + t] = -v


@numba.njit(cache=True, nogil=True)
def input_tiles_adjoint(tiles: np.ndarray, top: int, left: int, tiles_w: int, dx: np.ndarray) -> None:
    """dx (n, C, H, W) = the adjoint of input_tiles applied to tiles (16, C, n·TH·P): each tile's
    B v Bᵀ summed at its place in the framed input, the frame cut off. Each pass is written as the
    gather its adjoint makes, so that the runs have no overlapping writes."""
    images, channels, height, width = dx.shape
    per_image = np.uint64(tiles.shape[2] // images)
    span = np.uint64(2 * tiles_w + 2)
    run = TWO * per_image
    plane = run + span
    # The gradient of input_tiles' columns, with S zeros before and after each of its 4 rows (the
    # rows of a row-pair that the first and last row-pairs do not have).
    pitch = run + TWO * span
    columns = np.zeros(4 * pitch, dx.dtype)
    pairs = np.empty(2 * plane, dx.dtype)  # the gradient of the framed plane
    source, target = tiles.ravel(), dx.ravel()
    plane_v = np.uint64(tiles.shape[1] * tiles.shape[2])
    for n in range(images):
        for c in range(channels):
            first = np.uint64(c * tiles.shape[2] + n * per_image)
            for i in range(4):  # B's adjoint along each row: tile t's columns 2·t … 2·t + 3 get
                v = np.uint64(4 * i) * plane_v + first  # v0, v1 − v2 + v3, v1 + v2 − v0, −v3
                row = np.uint64(i) * pitch + span
                columns[row] = source[v]
                columns[row + ONE] = source[v + plane_v] - source[v + TWO * plane_v] + source[v + THREE * plane_v]
                for t in range(ONE, per_image):  # column 2·t from tiles t and t − 1, 2·t + 1 likewise
                    s = t - ONE
                    v0, v1 = source[v + t], source[v + plane_v + t]
                    v2, v3 = source[v + TWO * plane_v + t], source[v + THREE * plane_v + t]
                    s0, s1 = source[v + s], source[v + plane_v + s]
                    s2, s3 = source[v + TWO * plane_v + s], source[v + THREE * plane_v + s]
                    columns[row + TWO * t] = v0 + s1 + s2 - s0
                    columns[row + TWO * t + ONE] = v1 - v2 + v3 - s3
                # (the last spare tile's columns 2·t + 2, 2·t + 3 are input_tiles' zeros: no gradient)
            for w in range(plane):  # Bᵀ's adjoint: framed row 2·y′ + a from row-pairs y′ and y′ − 1
                c0, c1 = columns[span + w], columns[pitch + span + w]
                c2, c3 = columns[TWO * pitch + span + w], columns[THREE * pitch + span + w]
                p0, p1, p2, p3 = columns[w], columns[pitch + w], columns[TWO * pitch + w], columns[THREE * pitch + w]
                pairs[w] = c0 + p1 + p2 - p0
                pairs[plane + w] = c1 - c2 + c3 - p3
            plane_start = np.uint64((n * channels + c) * height * width)
            _out_of_frame(pairs, span, top, left, target, plane_start, height, width)
