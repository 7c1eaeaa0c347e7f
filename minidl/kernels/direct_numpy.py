"""The direct convolution in plain NumPy, tap by tap: the twin that teaches what direct.py and
direct_numba.py compute fast, for layers with one to three input channels.

Where im2col copies kh·kw shifted views of the input into one matrix and multiplies once, the
direct convolution adds each tap's shifted view of the framed input straight into the output:

    out[n, o] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_pad[n, c, i : i + OH, j : j + OW]

and the gradients read the same shifted views the other way:

    dW[o, c, i, j] = Σ_n Σ_{y,x} dout[n, o] · x_pad[n, c, i : i + OH, j : j + OW],    db[o] = Σ dout[:, o]
    dx_pad[n, c, i : i + OH, j : j + OW] += Σ_o w[o, c, i, j] · dout[n, o],       then the frame cut off

(stride 1, no dilation, one group). With few channels each tap is one thin product, so there is
little for BLAS to do; numba's loops add a row of taps per pass over the image instead.
"""

from __future__ import annotations

import numpy as np

from minidl.ops.window import pad_spatial


def _shifted(x_pad: np.ndarray, i: int, j: int, out_size: tuple[int, int]) -> np.ndarray:
    """What tap (i, j) sees of x_pad (N, C, H', W') at every output pixel: (N, C, OH, OW)."""
    return x_pad[:, :, i : i + out_size[0], j : j + out_size[1]]


def direct_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """The convolution (stride 1) of x (N, C, H, W) with weight (O, C, kh, kw), plus bias (O,)."""
    (ph, pw), (kh, kw) = padding, weight.shape[2:]
    x_pad = pad_spatial(x, (ph, ph, pw, pw))
    out_size = (x_pad.shape[2] - kh + 1, x_pad.shape[3] - kw + 1)
    out = np.broadcast_to(bias[:, None, None], (len(x), len(bias), *out_size)).astype(np.result_type(x, weight))
    for i in range(kh):
        for j in range(kw):  # out[n, o] += Σ_c w[o, c, i, j] · shifted view of channel c
            out += np.einsum("oc,ncyx->noyx", weight[:, :, i, j], _shifted(x_pad, i, j, out_size))
    return out


def direct_backward(
    x: np.ndarray, weight: np.ndarray, grad: np.ndarray, padding: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dW, db) of direct_forward from grad (N, O, OH, OW)."""
    (ph, pw), (kh, kw) = padding, weight.shape[2:]
    x_pad = pad_spatial(x, (ph, ph, pw, pw))
    out_size = grad.shape[2:]
    grad_x_pad = np.zeros(x_pad.shape, np.result_type(grad, weight))
    grad_w = np.empty(weight.shape, np.result_type(grad, x))
    for i in range(kh):
        for j in range(kw):
            grad_w[:, :, i, j] = np.einsum("noyx,ncyx->oc", grad, _shifted(x_pad, i, j, out_size))
            taps_back = np.einsum("oc,noyx->ncyx", weight[:, :, i, j], grad)  # Σ_o w[o, c, i, j] · dout[n, o]
            grad_x_pad[:, :, i : i + out_size[0], j : j + out_size[1]] += taps_back
    grad_x = grad_x_pad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return grad_x, grad_w, grad.sum(axis=(0, 2, 3))
