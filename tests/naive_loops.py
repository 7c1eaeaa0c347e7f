"""The layers as their definitions read, one output pixel at a time: the references that the
vectorised convolution and pooling are compared with."""

from __future__ import annotations

import math

import numpy as np


def naive_conv2d(x, w, b, stride, padding, dilation, groups=1):
    """out[n,o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j] · x_pad[n, g·C/G + c, y·s + i·d, x·s + j·d], g = o // (O/G)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, channels, hp, wp = xp.shape
    o, _, kh, kw = w.shape
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    group_in, group_out = channels // groups, o // groups
    for f in range(o):
        g = f // group_out
        for y in range(oh):
            for x_ in range(ow):
                field = xp[
                    :,
                    g * group_in : (g + 1) * group_in,
                    y * sh : y * sh + dh * (kh - 1) + 1 : dh,
                    x_ * sw : x_ * sw + dw * (kw - 1) + 1 : dw,
                ]
                out[:, f, y, x_] = np.einsum("ncij,cij->n", field, w[f]) + (0 if b is None else b[f])
    return out


def pooled_size(size, kernel, stride, padding, ceil_mode):
    """PyTorch's pooling output size; with ceil_mode the last window must start inside the input or its left padding."""
    rounding = math.ceil if ceil_mode else math.floor
    out = rounding((size + 2 * padding - kernel) / stride) + 1
    return out - 1 if ceil_mode and (out - 1) * stride >= size + padding else out


def pooling_windows(shape, kernel, stride, padding, ceil_mode):
    """(y, x, top, left) for every output pixel of pooling an input of `shape`: the window's first row
    and column in input coordinates (negative inside the padding)."""
    h, w = shape[2:]
    oh, ow = (pooled_size(size, k, s, p, ceil_mode) for size, k, s, p in zip((h, w), kernel, stride, padding))
    return [(y, x, y * stride[0] - padding[0], x * stride[1] - padding[1]) for y in range(oh) for x in range(ow)]


def naive_max_pool2d(x, kernel, stride, padding, ceil_mode=False):
    """out[n,c,y,x] = max of the input pixels in rows y·s − p … y·s − p + k − 1 (likewise columns)."""
    windows = pooling_windows(x.shape, kernel, stride, padding, ceil_mode)
    out = np.empty(x.shape[:2] + (windows[-1][0] + 1, windows[-1][1] + 1))
    for y, x_, top, left in windows:
        out[:, :, y, x_] = x[:, :, max(top, 0) : top + kernel[0], max(left, 0) : left + kernel[1]].max(axis=(2, 3))
    return out


def naive_avg_pool2d(x, kernel, stride, padding, ceil_mode=False, count_include_pad=True):
    """Sum of the window's input pixels over its size clipped to the padded input (count_include_pad)
    or to the input itself, as PyTorch's avg_pool2d defines it."""
    (ph, pw), (h, w) = padding, x.shape[2:]
    windows = pooling_windows(x.shape, kernel, stride, padding, ceil_mode)
    out = np.empty(x.shape[:2] + (windows[-1][0] + 1, windows[-1][1] + 1))
    for y, x_, top, left in windows:
        bottom, right = min(top + kernel[0], h + ph), min(left + kernel[1], w + pw)
        count = (bottom - top) * (right - left)
        top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, h), min(right, w)
        if not count_include_pad:
            count = (bottom - top) * (right - left)
        out[:, :, y, x_] = x[:, :, top:bottom, left:right].sum(axis=(2, 3)) / count
    return out
