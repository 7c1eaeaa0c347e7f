"""2-D convolution (cross-correlation, as in PyTorch) through im2col and one matrix product.

out[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_pad[n, c, y·s + i·d, x·s + j·d]

With cols = im2col(x_pad) of shape (N·OH·OW, C·kh·kw) and W = w.reshape(O, C·kh·kw):
    forward   out = cols @ Wᵀ + b
    backward  dW = doutᵀ @ cols,  db = Σ dout,  dcols = dout @ W,  dx = crop(col2im(dcols))
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels.im2col import col2im, conv_output_size, im2col
from minidl.kernels.padding import crop_spatial, pad_spatial, symmetric_frame


class Conv2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *,
                stride: tuple[int, int], padding: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
        x_pad = pad_spatial(x, symmetric_frame(padding))
        out_channels, _, kh, kw = weight.shape
        cols = im2col(x_pad, (kh, kw), stride, dilation)
        flat_weight = weight.reshape(out_channels, -1)
        out = cols @ flat_weight.T
        if bias is not None:
            out += bias
        n = x.shape[0]
        out_h = conv_output_size(x_pad.shape[2], kh, stride[0], 0, dilation[0])
        ctx.save_for_backward(cols, flat_weight, weight.shape, x_pad.shape, stride, padding, dilation)
        return out.reshape(n, out_h, -1, out_channels).transpose(0, 3, 1, 2)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        cols, flat_weight, weight_shape, padded_shape, stride, padding, dilation = ctx.saved
        out_channels = weight_shape[0]
        grad_rows = grad.transpose(0, 2, 3, 1).reshape(-1, out_channels)  # (N·OH·OW, O)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_cols = grad_rows @ flat_weight
            grad_x = crop_spatial(col2im(grad_cols, padded_shape, weight_shape[2:], stride, dilation),
                                  symmetric_frame(padding))
        if ctx.needs_input_grad[1]:
            grad_w = (grad_rows.T @ cols).reshape(weight_shape)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad_rows.sum(axis=0)
        return grad_x, grad_w, grad_b
