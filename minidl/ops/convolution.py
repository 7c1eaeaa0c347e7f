"""2-D convolution (cross-correlation, as in PyTorch) through im2col and matrix products, and its
adjoint, the transposed convolution, through col2im.

out[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_pad[n, g·C/G + c, y·s + i·d, x·s + j·d],  g = o // (O/G)

With G groups, each group g of O/G filters sees only its own C/G input channels (G = C: depthwise).
With cols = im2col(x) of shape (N, C·kh·kw, OH·OW), one column per output pixel whose rows hold the
G groups' channels one after the other, cols_g[n] its group-g rows and W_g = w[group g's
filters].reshape(O/G, C/G·kh·kw), image by image:
    forward   out_g[n] = W_g @ cols_g[n] + b_g                 (O/G, OH·OW): NCHW as it comes
    backward  dW_g = Σ_n dout_g[n] @ cols_g[n]ᵀ,  db = Σ dout,  dcols_g[n] = W_gᵀ @ dout_g[n],  dx = col2im(dcols)
where dout_g[n] is group g's output gradient of image n, (O/G, OH·OW), as it arrives in NCHW.

Two cases of stride 1 and one group have faster algorithms of their own when the numba kernels run
(where they measured faster): a 3×3 window computes the same sums with fewer products (Winograd's
F(2×2, 3×3), minidl/kernels/winograd.py: WinogradConvolution2d), and one to three input channels
under a window 5 or more wide are faster without im2col, each row of taps added straight into the
output (minidl/kernels/direct.py: DirectConvolution2d).
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels import ChunkedIm2col, Window, chunked_im2col, col2im, im2col, map_pieces, matmul
from minidl.kernels.padding import crop_spatial, framed_shape
from minidl.kernels.direct import DirectConvolution
from minidl.kernels.winograd import WinogradConvolution


class Convolution2d(Function):
    """conv2d's forward and backward, piece by piece of the batch: ChunkedIm2col cuts the batch and
    makes the arrays, map_pieces shares the pieces between the cores (minidl/kernels/workers.py)."""

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
        grouped_weight = weight.reshape(groups, out_channels // groups, -1)  # W_g: (G, O/G, C/G·kh·kw)
        fields = ChunkedIm2col(x, window, filters=out_channels // groups)
        dtype = np.result_type(x, weight, *(() if bias is None else (bias,)))
        # made here, by the calling thread (map_pieces says why); (N, G, O/G, OH·OW) is NCHW
        out = np.empty((n, groups, out_channels // groups, out_h * out_w), dtype=dtype)

        def forward_piece(piece: int, worker: int) -> None:
            by_group = fields.cols(piece, worker).reshape(-1, groups, grouped_weight.shape[2], out_h * out_w)
            target = out[fields.pieces[piece]]
            np.matmul(grouped_weight, by_group, out=target)  # out_g[n] = W_g @ cols_g[n]
            if bias is not None:
                target += bias.reshape(groups, -1, 1)

        with fields.in_use():
            map_pieces(forward_piece, range(len(fields.pieces)), fields.workers)
        ctx.save_for_backward(fields, grouped_weight, weight.shape)
        return out.reshape(n, out_channels, out_h, out_w)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        fields, grouped_weight, weight_shape = ctx.saved
        x, window = fields.x, fields.window
        groups, group_out, group_taps = grouped_weight.shape
        # dout_g[n] as it arrives in NCHW; contiguous, so that matmul reaches BLAS: a broadcast
        # gradient, e.g. of a sum, has zero strides.
        n, _, out_h, out_w = grad.shape
        grad_maps = np.ascontiguousarray(grad.reshape(n, groups, group_out, out_h * out_w))
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]
        dtype = np.result_type(grad, grouped_weight)
        # The arrays the pieces write into are made here, by the calling thread (map_pieces says why).
        frame = window.frame(*x.shape[2:])
        if need_x:
            grad_x_framed = np.zeros(framed_shape(x.shape, frame), dtype)
        # dW_gᵀ image by image (cols_g[n] @ dout_g[n]ᵀ: the faster orientation for BLAS), then summed, a block
        # of images at a time: a large layer's weights, once per image of the batch, would not fit in memory.
        grad_w_dtype = np.result_type(grad, x)
        block = max(1, chunked_im2col.PER_IMAGE_WEIGHT_GRADS_BYTES // (grouped_weight.size * grad_w_dtype.itemsize))

        def backward_piece(piece: int, worker: int) -> tuple[np.ndarray | None, np.ndarray | None]:
            """Writes the piece's dx; returns its shares of dWᵀ (G, C/G·kh·kw, O/G) and db (G, O/G)."""
            images = fields.pieces[piece]
            dout = grad_maps[images]  # (images, G, O/G, OH·OW)
            if need_x:
                grad_cols = grad_cols_of(piece, worker)  # (images, C·kh·kw, OH·OW)
                by_group = grad_cols.reshape(-1, groups, group_taps, out_h * out_w)
                np.matmul(grouped_weight.transpose(0, 2, 1), dout, out=by_group)  # dcols_g[n] = W_gᵀ @ dout_g[n]
                col2im(grad_cols, x[images].shape, window, out=grad_x_framed[images])
            grad_w = grad_b = None
            if need_w:
                cols = fields.cols(piece, worker).reshape(-1, groups, group_taps, out_h * out_w)
                per_image = per_image_of(piece, worker)  # (≤ block images, G, C/G·kh·kw, O/G)
                grad_w = np.zeros(per_image.shape[1:], grad_w_dtype)
                for start in range(0, len(cols), block):
                    part = slice(start, start + block)
                    products = per_image[: len(cols[part])]
                    grad_w += np.matmul(cols[part], dout[part].transpose(0, 1, 3, 2), out=products).sum(axis=0)
            if need_b:  # Σ over images and pixels (einsum: one loop, where sum over axes (0, 3) takes two passes)
                grad_b = np.einsum("ngop->go", dout)
            return grad_w, grad_b

        per_image_grad_w = (groups, group_taps, group_out)
        with (
            fields.in_use(),
            fields.scratch(dtype) if need_x else nullcontext() as grad_cols_of,
            fields.scratch(grad_w_dtype, per_image_grad_w, block) if need_w else nullcontext() as per_image_of,
        ):
            shares = map_pieces(backward_piece, range(len(fields.pieces)), fields.workers)
        grad_x = crop_spatial(grad_x_framed, frame) if need_x else None
        grad_w = sum(share[0] for share in shares).transpose(0, 2, 1).reshape(weight_shape) if need_w else None
        grad_b = sum(share[1] for share in shares).ravel() if need_b else None
        return grad_x, grad_w, grad_b


class _ConvolutionByKernels(Function):
    """conv2d of stride 1 and one group by one of the kernels' own algorithms (`algorithm`: a class
    made from (x, weight, padding) with forward(bias) and backward(grad, need_x, need_w)): the same
    result as Convolution2d."""

    algorithm: type

    @classmethod
    def forward(
        cls,
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None = None,
        *,
        padding: tuple[int, int],
    ) -> np.ndarray:
        convolution = cls.algorithm(x, weight, padding)
        ctx.save_for_backward(convolution)
        return convolution.forward(bias)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        (convolution,) = ctx.saved
        grad_x, grad_w, grad_b = convolution.backward(grad, ctx.needs_input_grad[0], ctx.needs_input_grad[1])
        return grad_x, grad_w, grad_b if len(ctx.needs_input_grad) > 2 else None


class WinogradConvolution2d(_ConvolutionByKernels):
    """A 3×3 window: Winograd's F(2×2, 3×3) (minidl/kernels/winograd.py)."""

    algorithm = WinogradConvolution


class DirectConvolution2d(_ConvolutionByKernels):
    """One to three input channels, a window 5 or more wide: each row of taps added straight into the
    output, without im2col (minidl/kernels/direct.py)."""

    algorithm = DirectConvolution


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
        scattered = col2im(matmul(flat_weight.T, images), (n, out_channels, *full), window)
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
            grad_x = matmul(flat_weight, grad_cols).reshape(x_shape)
        if ctx.needs_input_grad[1]:
            # Σ_n x[n] @ dcols[n]ᵀ added up image by image: a stack of per-image products would hold N weights' worth
            grad_w = np.zeros(flat_weight.shape, np.result_type(images, grad_cols))
            for x_n, dcols_n in zip(images, grad_cols):
                grad_w += matmul(x_n, dcols_n.T)
            grad_w = grad_w.reshape(weight_shape)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b
