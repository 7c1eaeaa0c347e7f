"""The loops of the direct convolution (direct.py has when and why): stride 1, no dilation, one group.

Layout. Each input plane sits in a frame of zeros, `top` rows and `left` columns on each side, laid
out flat with F = W + 2·left values to a row and one spare row below. An output row has only
OW = F − kw + 1 of those columns, but computing all F of them makes every tap one run:

    out[o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · framed_c[(y + i)·F + x + j]
    ⇒ run[u] += Σ_j w[o, c, i, j] · framed_c[i·F + j + u]   for u = y·F + x < OH·F, a row of taps at a time,

and the columns x ≥ OW, which read into the next row (or the spare one), are dropped. The
gradients are the same runs read the other way, with grad framed alike and zeros in its spare
columns, so that those add nothing:

    weight_grad   dw[o, c, i, j] = Σ_u grad_o[u] · framed_c[i·F + j + u],   db[o] = Σ_u grad_o[u]
    input_grad    framed dx_c[v] = Σ_{o,i,j} w[o, c, i, j] · grad_o[v − i·F − j],  then the frame cut off

(input_grad is the adjoint of the forward runs, gathered at each v rather than scattered from each u,
so that no two values of a run write the same place).

Indices are unsigned (see im2col_numba.py and winograd_numba.py: numba then drops its wrap-around
check and turns each run into vector code). Each multiply-add is one fused instruction (fastmath
"contract"), and weight_grad's sums are reassociated ("reassoc") so that they too run in vector
lanes, in the input's precision as BLAS's sums do. Each call runs without the GIL on its caller's
thread; only direct.py calls these, with C-contiguous arrays of one dtype (arrays.py).
"""

from __future__ import annotations

import functools
from typing import Callable

import numba
import numpy as np

from minidl.kernels.framing_numba import copy_rows, run_sum


@numba.njit(cache=True, nogil=True, inline="always")
def _frame_geometry(height: int, width: int, top: int, left: int) -> tuple[np.uint64, np.uint64]:
    """(F, the values of one framed plane): F = W + 2·left to a row, H + 2·top rows and a spare."""
    span = width + 2 * left
    return np.uint64(span), np.uint64((height + 2 * top + 1) * span)


@numba.njit(cache=True, nogil=True)
def _frame_image(x: np.ndarray, n: int, top: int, left: int, framed: np.ndarray) -> None:
    """Image n of x (N, C, H, W) into its frame (C framed planes), whose zeros stay from before."""
    channels, height, width = x.shape[1], x.shape[2], x.shape[3]
    span, plane = _frame_geometry(height, width, top, left)
    for c in range(channels):
        start = np.uint64(((n * channels + c) * height) * width)
        corner = np.uint64(c) * plane + np.uint64(top) * span + np.uint64(left)
        copy_rows(x.ravel(), start, width, framed, corner, span, height, width)


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def _add_row(
    sums: np.ndarray, values: np.ndarray, at: np.uint64, row_taps: np.ndarray, count: np.uint64, kw: int
) -> None:
    """sums[v] += Σ_j row_taps[j] · values[at + j + v] for v < count, compiled for each width kw
    (numba.literally: kw a constant, its loop unrolled), so that the kw products of a value are
    summed in a register. A function of its own, called per run: inlined into input_grad, the same
    loop stayed scalar (an order of magnitude slower, measured)."""
    numba.literally(kw)
    for v in range(count):
        total = sums[v]
        for j in range(kw):
            total += row_taps[j] * values[at + np.uint64(j) + v]
        sums[v] = total


@functools.cache
def forward_kernel(kw: int) -> Callable[..., None]:
    """The forward pass for windows kw columns wide, with kw compiled in (one kernel per width, made
    on first use and cached on disk): a row of taps then adds into a run in one pass, its kw products
    summed in a register, which measured faster than a pass per tap. weight_grad keeps a pass per
    tap: its kw sums would live in an array, which numba does not keep in registers (slower)."""

    @numba.njit(cache=True, nogil=True, fastmath={"contract"})
    def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, top: int, left: int, out: np.ndarray) -> None:
        """out (n, O, OH, OW) = the convolution of x (n, C, H, W) with weight (O, C, kh, kw) + bias (O,)."""
        images, channels, height, width = x.shape
        filters, kh = weight.shape[0], weight.shape[2]
        out_h, out_w = out.shape[2], out.shape[3]
        span, plane = _frame_geometry(height, width, top, left)
        framed = np.zeros(channels * plane, x.dtype)
        run = np.uint64(out_h) * span
        sums = np.empty(run, x.dtype)
        row_taps = np.empty(kw, x.dtype)
        taps, target = weight.ravel(), out.ravel()
        for n in range(images):
            _frame_image(x, n, top, left, framed)
            for o in range(filters):
                b = bias[o]
                for u in range(run):
                    sums[u] = b
                for c in range(channels):
                    for i in range(kh):
                        for j in range(kw):
                            row_taps[j] = taps[((o * channels + c) * kh + i) * kw + j]
                        _add_row(sums, framed, np.uint64(c) * plane + np.uint64(i) * span, row_taps, run, kw)
                copy_rows(sums, 0, span, target, (n * filters + o) * out_h * out_w, out_w, out_h, out_w)

    return forward


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def weight_grad(
    x: np.ndarray, grad: np.ndarray, top: int, left: int, grad_w: np.ndarray, grad_b: np.ndarray, with_w: bool
) -> None:
    """grad_b (O,) += Σ grad[:, o] over the images of x (n, C, H, W) and grad (n, O, OH, OW), and if
    with_w, grad_w (O, C, kh, kw) += Σ_u grad_o[u] · framed_c[i·F + j + u]."""
    images, channels, height, width = x.shape
    filters, _, kh, kw = grad_w.shape
    out_h, out_w = grad.shape[2], grad.shape[3]
    span, plane = _frame_geometry(height, width, top, left)
    framed = np.zeros(channels * plane, x.dtype)
    run = np.uint64(out_h) * span
    framed_grad = np.zeros(run, x.dtype)  # grad_o framed alike: zeros in the spare columns
    sums, source = grad_w.ravel(), grad.ravel()
    for n in range(images):
        if with_w:
            _frame_image(x, n, top, left, framed)
        for o in range(filters):
            start = np.uint64((n * filters + o) * out_h * out_w)
            grad_b[o] += run_sum(source, start, np.uint64(out_h * out_w))
            if not with_w:
                continue
            copy_rows(source, start, out_w, framed_grad, 0, span, out_h, out_w)
            for c in range(channels):
                for i in range(kh):
                    for j in range(kw):
                        shift = np.uint64(c) * plane + np.uint64(i) * span + np.uint64(j)
                        tap = grad_w.dtype.type(0)
                        for u in range(run):
                            tap += framed_grad[u] * framed[shift + u]
                        sums[((o * channels + c) * kh + i) * kw + j] += tap


@functools.cache
def input_grad_kernel(kw: int) -> Callable[..., None]:
    """The input's gradient for windows kw columns wide, kw compiled in as in forward_kernel: each
    framed value gathers its kw products of a row of taps (reversed) in a register, from the framed
    gradient with (kh − 1)·F + kw − 1 zeros before it."""

    @numba.njit(cache=True, nogil=True, fastmath={"contract"})
    def input_grad(grad: np.ndarray, weight: np.ndarray, top: int, left: int, grad_x: np.ndarray) -> None:
        """grad_x (n, C, H, W) = the adjoint of forward applied to grad (n, O, OH, OW):
        framed dx_c[v] = Σ_{o,i,j} w[o, c, i, j] · grad_o[v − i·F − j], the frame then cut off."""
        images, channels, height, width = grad_x.shape
        filters, kh = weight.shape[0], weight.shape[2]
        out_h, out_w = grad.shape[2], grad.shape[3]
        span, plane = _frame_geometry(height, width, top, left)
        lead = np.uint64(kh - 1) * span + np.uint64(kw - 1)  # zeros before each grad_o: v − i·F − j ≥ −lead
        pitch = lead + plane
        framed_grads = np.zeros(filters * pitch, grad.dtype)  # grad_o framed alike, at o·pitch + lead …
        sums = np.empty(plane, grad.dtype)  # one framed plane of dx
        row_taps = np.empty(kw, grad.dtype)
        taps, source, target = weight.ravel(), grad.ravel(), grad_x.ravel()
        for n in range(images):
            for o in range(filters):
                start = np.uint64(o) * pitch + lead
                copy_rows(source, (n * filters + o) * out_h * out_w, out_w, framed_grads, start, span, out_h, out_w)
            for c in range(channels):
                for v in range(plane):
                    sums[v] = 0.0
                for o in range(filters):
                    for i in range(kh):
                        for j in range(kw):  # the row of taps backwards: grad_o is read forwards
                            row_taps[kw - 1 - j] = taps[((o * channels + c) * kh + i) * kw + j]
                        # framed_grads[back + j + v] is grad_o[v − i·F − (kw − 1 − j)]
                        back = np.uint64(o) * pitch + np.uint64(kh - 1 - i) * span  # = o·pitch + lead − i·F − (kw − 1)
                        _add_row(sums, framed_grads, back, row_taps, plane, kw)
                corner = np.uint64(top) * span + np.uint64(left)
                copy_rows(sums, corner, span, target, ((n * channels + c) * height) * width, width, height, width)

    return input_grad
