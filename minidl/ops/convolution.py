"""2-D convolution (cross-correlation, as in PyTorch) through im2col and matrix products, and its
adjoint, the transposed convolution, through col2im.

out[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_pad[n, g·C/G + c, y·s + i·d, x·s + j·d],  g = o // (O/G)

With G groups, each group g of O/G filters sees only its own C/G input channels (G = C: depthwise).
With cols = im2col(x) of shape (N, C·kh·kw, OH·OW), one column per output pixel whose rows hold the
G groups' channels one after the other, cols_g[n] its group-g rows and W_g = w[group g's
filters].reshape(O/G, C/G·kh·kw), image by image:

    forward   out_g[n] = W_g @ cols_g[n] + b_g                    (O/G, OH·OW): NCHW as it comes
    backward  dW_g = Σ_n dout_g[n] @ cols_g[n]ᵀ,   db = Σ dout,   dcols_g[n] = W_gᵀ @ dout_g[n],   dx = col2im(dcols)

This is the reading path. minidl.kernels computes the same sums faster where numba runs (its own
im2col, the batch shared between cores, and two other algorithms for some layers); conv2d asks
minidl.kernels.conv2d_path which one runs, and `python -m minidl.kernels` tells for a model.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.ops.im2col import col2im, im2col
from minidl.ops.window import Window


class Convolution2d(Function):
    @staticmethod
    def forward(
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
        n, out_channels = x.shape[0], weight.shape[0]
        window = Window(weight.shape[2:], stride, padding, dilation)
        out_h, out_w = window.output_size(*x.shape[2:])
        cols = im2col(x, window).reshape(n, groups, weight[0].size, out_h * out_w)  # cols_g[n]: (C/G·kh·kw, OH·OW)
        grouped_weight = weight.reshape(groups, out_channels // groups, -1)  # W_g: (O/G, C/G·kh·kw)
        out = grouped_weight @ cols  # out_g[n] = W_g @ cols_g[n], (N, G, O/G, OH·OW)
        if bias is not None:
            out = out + bias.reshape(groups, -1, 1)
        ctx.save_for_backward(x.shape, window, cols, grouped_weight, weight.shape)
        return out.reshape(n, out_channels, out_h, out_w)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x_shape, window, cols, grouped_weight, weight_shape = ctx.saved
        n, groups, taps, pixels = cols.shape
        grad_out = grad.reshape(n, groups, grouped_weight.shape[1], pixels)  # dout_g[n]: (O/G, OH·OW)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_cols = grouped_weight.transpose(0, 2, 1) @ grad_out  # dcols_g[n] = W_gᵀ @ dout_g[n]
            grad_x = col2im(grad_cols.reshape(n, groups * taps, pixels), x_shape, window)
        if ctx.needs_input_grad[1]:
            # dW_g = Σ_n dout_g[n] @ cols_g[n]ᵀ: a sum over the images n and the output pixels p
            grad_w = np.einsum("ngop,ngkp->gok", grad_out, cols, optimize=True).reshape(weight_shape)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b


class TransposedConvolution2d(Function):
    """The adjoint of Convolution2d (PyTorch's conv_transpose2d), weight (C_in, C_out, kh, kw).

    Every input pixel scatters weight[c_in] · x[n, c_in, y, x] onto a kh×kw patch at (y·s + i·d,
    x·s + j·d) of a full output of F = (H − 1)·s + d·(kh − 1) + 1 rows (and likewise columns); the
    result is that full output with `padding` rows cut from the top and padding − output_padding
    from the bottom (zeros added if negative), OH = F − 2p + output_padding. With x[n] as
    (C_in, H·W) and W = weight.reshape(C_in, C_out·kh·kw), image by image:
        forward   full[n] = col2im(Wᵀ @ x[n]),  out = crop(full) + b
        backward  dcols = im2col(uncrop(dout)),  dx[n] = W @ dcols[n],  dW = Σ_n x[n] @ dcols[n]ᵀ,  db = Σ dout
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None = None,
        *,
        stride: tuple[int, int],
        padding: tuple[int, int],
        output_padding: tuple[int, int],
        dilation: tuple[int, int],
    ) -> np.ndarray:
        n, in_channels, height, width = x.shape
        _, out_channels, kh, kw = weight.shape
        window = Window((kh, kw), stride, (0, 0), dilation)
        full = tuple(
            (size - 1) * s + d * (k - 1) + 1 for size, s, d, k in zip((height, width), stride, dilation, (kh, kw))
        )
        out_size = tuple(f - 2 * p + extra for f, p, extra in zip(full, padding, output_padding))
        images = x.reshape(n, in_channels, height * width)
        flat_weight = weight.reshape(in_channels, -1)
        scattered = col2im(flat_weight.T @ images, (n, out_channels, *full), window)
        beyond = [max(0, extra - p) for extra, p in zip(output_padding, padding)]  # rows past the full output
        scattered = np.pad(scattered, ((0, 0), (0, 0), (0, beyond[0]), (0, beyond[1])))
        out = scattered[:, :, padding[0] : padding[0] + out_size[0], padding[1] : padding[1] + out_size[1]]
        if bias is not None:
            out = out + bias[:, np.newaxis, np.newaxis]
        ctx.save_for_backward(images, flat_weight, x.shape, weight.shape, window, full, padding)
        return np.ascontiguousarray(out)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        images, flat_weight, x_shape, weight_shape, window, full, padding = ctx.saved
        # Put the gradient back where the output was cut from the full output; what lies past it came
        # from no input pixel.
        n, out_channels, out_h, out_w = grad.shape
        grad_full = np.zeros(
            (n, out_channels, max(full[0], padding[0] + out_h), max(full[1], padding[1] + out_w)), dtype=grad.dtype
        )
        grad_full[:, :, padding[0] : padding[0] + out_h, padding[1] : padding[1] + out_w] = grad
        grad_cols = im2col(grad_full[:, :, : full[0], : full[1]], window)  # each input pixel's output patch
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = (flat_weight @ grad_cols).reshape(x_shape)
        if ctx.needs_input_grad[1]:
            # Σ_n x[n] @ dcols[n]ᵀ added up image by image: a stack of per-image products would hold N weights' worth
            grad_w = np.zeros(flat_weight.shape, np.result_type(images, grad_cols))
            for x_n, dcols_n in zip(images, grad_cols):
                grad_w += x_n @ dcols_n.T
            grad_w = grad_w.reshape(weight_shape)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b
