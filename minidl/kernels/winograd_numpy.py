"""Winograd's F(2×2, 3×3) in plain NumPy, on one screen: the twin that teaches what winograd.py and
winograd_numba.py compute fast (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
CVPR 2016, section 4.1).

A 2×2 tile Y of a 3×3 convolution's output reads a 4×4 tile d of the framed input, neighbouring
tiles overlapping by two rows or columns. With g the 3×3 filter,

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A            16 multiplications, where the direct sum takes 36.

Over channels c and filters o the sum Σ_c moves inside, between the transforms: with U = G g Gᵀ
(per filter and channel), V = Bᵀ d B (per channel and tile) and ξ the 16 entries of a 4×4 tile,

    forward    M[ξ] = U[ξ] @ V[ξ]   (O, C) @ (C, tiles),    Y = Aᵀ M A
    backward   M̄ = A Ȳ Aᵀ,  dU[ξ] = M̄[ξ] @ V[ξ]ᵀ,  dg = Gᵀ dU G,
               dV[ξ] = U[ξ]ᵀ @ M̄[ξ],  dd = B dV Bᵀ added up where the tiles overlap

Every step is linear, so the backward pass is each step's adjoint in reverse order.
"""

from __future__ import annotations

import numpy as np

from minidl.ops.window import pad_spatial

B_T = np.array([[1.0, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
G = np.array([[1.0, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
A_T = np.array([[1.0, 1, 1, 0], [0, 1, -1, -1]])


def filter_tiles(weight: np.ndarray) -> np.ndarray:
    """U (16, O, C): G g Gᵀ of every 3×3 filter g of weight (O, C, 3, 3), entry ξ = 4·i + j first."""
    g = G.astype(weight.dtype)
    return np.ascontiguousarray((g @ weight @ g.T).reshape(*weight.shape[:2], 16).transpose(2, 0, 1))


def filter_tiles_adjoint(grad_tiles: np.ndarray) -> np.ndarray:
    """dW (O, C, 3, 3) = Gᵀ dU G of every filter's 4×4 gradient in grad_tiles (16, O, C)."""
    g = G.astype(grad_tiles.dtype)
    return g.T @ grad_tiles.transpose(1, 2, 0).reshape(*grad_tiles.shape[1:], 4, 4) @ g


def _framed(x: np.ndarray, padding: tuple[int, int], out_size: tuple[int, int]) -> np.ndarray:
    """x with `padding` zeros before and enough after for whole tiles: 2·TH + 2 rows, 2·TW + 2 columns."""
    tiles_h, tiles_w = (out_size[0] + 1) // 2, (out_size[1] + 1) // 2
    bottom, right = 2 * tiles_h + 2 - x.shape[2] - padding[0], 2 * tiles_w + 2 - x.shape[3] - padding[1]
    return pad_spatial(x, (padding[0], bottom, padding[1], right))


def _tiles(framed: np.ndarray) -> np.ndarray:
    """The 4×4 tiles d of framed (N, C, 2·TH + 2, 2·TW + 2), two apart: (N, C, TH, TW, 4, 4)."""
    return np.lib.stride_tricks.sliding_window_view(framed, (4, 4), axis=(2, 3))[:, :, ::2, ::2]


def winograd_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """The convolution (stride 1) of x (N, C, H, W) with weight (O, C, 3, 3), plus bias (O,): (N, O, OH, OW)."""
    n, out_size = len(x), (x.shape[2] + 2 * padding[0] - 2, x.shape[3] + 2 * padding[1] - 2)
    b_t = B_T.astype(x.dtype)
    tiles = b_t @ _tiles(_framed(x, padding, out_size)) @ b_t.T  # Bᵀ d B: (N, C, TH, TW, 4, 4)
    tiles_h, tiles_w = tiles.shape[2:4]
    v = tiles.transpose(4, 5, 1, 0, 2, 3).reshape(16, x.shape[1], -1)  # V[ξ]: (C, N·TH·TW)
    m = filter_tiles(weight) @ v  # M[ξ] = U[ξ] @ V[ξ]: (O, N·TH·TW)
    m = m.reshape(4, 4, len(weight), n, tiles_h, tiles_w).transpose(3, 2, 4, 5, 0, 1)  # (N, O, TH, TW, 4, 4)
    a_t = A_T.astype(x.dtype)
    y = (a_t @ m @ a_t.T).transpose(0, 1, 2, 4, 3, 5).reshape(n, len(weight), 2 * tiles_h, 2 * tiles_w)  # Aᵀ m A
    return y[:, :, : out_size[0], : out_size[1]] + bias[:, None, None]


def winograd_backward(
    x: np.ndarray, weight: np.ndarray, grad: np.ndarray, padding: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dW, db) of winograd_forward from grad (N, O, OH, OW)."""
    n, out_size = len(x), grad.shape[2:]
    framed = _framed(x, padding, out_size)
    b_t, a_t = B_T.astype(x.dtype), A_T.astype(x.dtype)
    tiles = b_t @ _tiles(framed) @ b_t.T
    tiles_h, tiles_w = tiles.shape[2:4]
    v = tiles.transpose(4, 5, 1, 0, 2, 3).reshape(16, x.shape[1], -1)
    grad_y = np.zeros((n, grad.shape[1], 2 * tiles_h, 2 * tiles_w), x.dtype)  # zeros past the edge
    grad_y[:, :, : out_size[0], : out_size[1]] = grad
    grad_y = grad_y.reshape(n, len(weight), tiles_h, 2, tiles_w, 2).transpose(0, 1, 2, 4, 3, 5)  # Ȳ, 2×2 tiles
    grad_m = (a_t.T @ grad_y @ a_t).transpose(4, 5, 1, 0, 2, 3).reshape(16, grad.shape[1], -1)  # M̄ = A Ȳ Aᵀ
    grad_w = filter_tiles_adjoint(grad_m @ v.transpose(0, 2, 1))  # dU[ξ] = M̄[ξ] @ V[ξ]ᵀ, dg = Gᵀ dU G
    grad_v = filter_tiles(weight).transpose(0, 2, 1) @ grad_m  # dV[ξ] = U[ξ]ᵀ @ M̄[ξ]
    grad_v = grad_v.reshape(4, 4, x.shape[1], n, tiles_h, tiles_w).transpose(3, 2, 4, 5, 0, 1)
    grad_d = b_t.T @ grad_v @ b_t  # dd = B dV Bᵀ: (N, C, TH, TW, 4, 4)
    grad_framed = np.zeros_like(framed)
    for i in range(4):  # each tile's 4×4 gradient added at its place, two apart
        for j in range(4):
            grad_framed[:, :, i : i + 2 * tiles_h : 2, j : j + 2 * tiles_w : 2] += grad_d[..., i, j]
    grad_x = grad_framed[:, :, padding[0] : padding[0] + x.shape[2], padding[1] : padding[1] + x.shape[3]]
    return grad_x, grad_w, grad.sum(axis=(0, 2, 3))
