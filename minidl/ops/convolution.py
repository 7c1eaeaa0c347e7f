"""2-D convolution (cross-correlation, as in PyTorch) through im2col and one matrix product, and
its adjoint, the transposed convolution, through col2im.

out[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_pad[n, c, y·s + i·d, x·s + j·d]

With cols = im2col(x) of shape (N·OH·OW, C·kh·kw) and W = w.reshape(O, C·kh·kw):
    forward   out = cols @ Wᵀ + b
    backward  dW = doutᵀ @ cols,  db = Σ dout,  dcols = dout @ W,  dx = col2im(dcols)
where dout is the output gradient laid out as cols' rows, (N·OH·OW, O) (computed image by image).
"""
from __future__ import annotations

import numpy as np

from minidl.autograd import Context, Function
from minidl.kernels import Window, col2im, im2col

# cols is K = C·kh·kw times larger than the input. Up to WHOLE_BATCH_COLS_BYTES it is built for the
# whole batch and kept for the backward pass (LeNet-5 at batch 64: 5 MB and 3.8 MB). Beyond, it is
# built and used a few images at a time, CHUNK_COLS_BYTES at most, and rebuilt in backward instead of
# kept: each piece is still in cache when its GEMM reads it. Measured on a (32, 16, 32, 32) input,
# 3×3 → 32 channels (19 MB of cols), with no page faults: forward 8.4 → 4.8 ms, backward 21.3 →
# 9.2 ms in chunks of 4 images (4.7 and 9.2 ms in chunks of 8); at LeNet's sizes chunks were slower
# (conv2's forward 0.63 → 0.72 ms in chunks of 16 images).
WHOLE_BATCH_COLS_BYTES = 8 << 20
CHUNK_COLS_BYTES = 3 << 20


def image_chunks(n: int, cols_bytes_per_image: int) -> list[slice]:
    """The slices of a batch of n images that im2col handles at one time."""
    if n * cols_bytes_per_image <= WHOLE_BATCH_COLS_BYTES:
        return [slice(0, n)]
    size = max(1, CHUNK_COLS_BYTES // cols_bytes_per_image)
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


class Conv2d(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *,
                stride: tuple[int, int], padding: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
        out_channels, _, kh, kw = weight.shape
        window = Window((kh, kw), stride, padding, dilation)
        flat_weight = weight.reshape(out_channels, -1)
        n, taps = x.shape[0], flat_weight.shape[1]
        out_h, out_w = window.output_size(*x.shape[2:])
        chunks = image_chunks(n, out_h * out_w * taps * x.itemsize)
        out = np.empty((n, out_channels, out_h * out_w), dtype=np.result_type(x, weight, *(() if bias is None else (bias,))))
        for chunk in chunks:
            cols = im2col(x[chunk], window)
            rows = cols @ flat_weight.T  # (images·OH·OW, O)
            # One pass writes the NCHW result and adds the bias: rows (n, oh, ow, o) → out (n, o, oh, ow).
            by_channel = rows.reshape(-1, out_h * out_w, out_channels).transpose(0, 2, 1)
            if bias is None:
                out[chunk] = by_channel
            else:
                np.add(by_channel, bias[:, np.newaxis], out=out[chunk])
        # Kept: cols when it covers the whole batch, else x, from which backward rebuilds it piece by piece.
        ctx.save_for_backward(cols if len(chunks) == 1 else None, x, flat_weight, weight.shape, window, chunks)
        return out.reshape(n, out_channels, out_h, out_w)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        whole_batch_cols, x, flat_weight, weight_shape, window, chunks = ctx.saved
        n, out_channels, taps = x.shape[0], weight_shape[0], flat_weight.shape[1]
        # Per image, dout is (O, OH·OW) as it arrives in NCHW and its rows of cols are (OH·OW, K), so
        # both products are batches over images that hand dout to BLAS as it lies (transposed for
        # dcols) instead of copying it to (N·OH·OW, O) first: dW measured 1.3-2× faster at LeNet
        # and CIFAR sizes, dcols 2× faster at the CIFAR size and 0.06 ms slower at LeNet's conv2.
        # Contiguous, so that matmul reaches BLAS: a broadcast gradient, e.g. of a sum, has zero strides.
        grad_maps = np.ascontiguousarray(grad.reshape(n, out_channels, -1))
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_x_pieces, grad_w = [], np.zeros(flat_weight.shape, dtype=np.result_type(grad, x)) if need_w else None
        for chunk in chunks:
            dout = grad_maps[chunk]
            if need_x:
                grad_cols = np.matmul(dout.transpose(0, 2, 1), flat_weight)  # (images, OH·OW, K)
                grad_x_pieces.append(col2im(grad_cols.reshape(-1, taps), x[chunk].shape, window))
            if need_w:
                cols = whole_batch_cols if whole_batch_cols is not None else im2col(x[chunk], window)
                grad_w += np.matmul(dout, cols.reshape(len(dout), -1, taps)).sum(axis=0)
        grad_x = None if not need_x else grad_x_pieces[0] if len(chunks) == 1 else np.concatenate(grad_x_pieces)
        grad_b = grad_maps.sum(axis=(0, 2)) if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2] else None
        return grad_x, None if grad_w is None else grad_w.reshape(weight_shape), grad_b


class ConvTranspose2d(Function):
    """The adjoint of Conv2d (PyTorch's conv_transpose2d), weight (C_in, C_out, kh, kw).

    Every input pixel scatters weight[c_in] · x[n, c_in, y, x] onto a kh×kw patch at (y·s + i·d,
    x·s + j·d) of a full output of F = (H − 1)·s + d·(kh − 1) + 1 rows (and likewise columns); the
    result is that full output with `padding` rows cut from the top and padding − output_padding
    from the bottom (zeros added if negative), OH = F − 2p + output_padding. With rows = x as
    (N·H·W, C_in) and W = weight.reshape(C_in, C_out·kh·kw):
        forward   full = col2im(rows @ W),  out = crop(full) + b
        backward  dcols = im2col(uncrop(dout)),  dx = dcols @ Wᵀ,  dW = rowsᵀ @ dcols,  db = Σ dout
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *,
                stride: tuple[int, int], padding: tuple[int, int], output_padding: tuple[int, int],
                dilation: tuple[int, int]) -> np.ndarray:
        n, in_channels, height, width = x.shape
        _, out_channels, kh, kw = weight.shape
        window = Window((kh, kw), stride, (0, 0), dilation)
        full = tuple((size - 1) * s + d * (k - 1) + 1 for size, s, d, k in
                     zip((height, width), stride, dilation, (kh, kw)))
        out_size = tuple(f - 2 * p + extra for f, p, extra in zip(full, padding, output_padding))
        rows = x.transpose(0, 2, 3, 1).reshape(-1, in_channels)
        flat_weight = weight.reshape(in_channels, -1)
        scattered = col2im(rows @ flat_weight, (n, out_channels, *full), window)
        beyond = [max(0, extra - p) for extra, p in zip(output_padding, padding)]  # rows past the full output
        scattered = np.pad(scattered, ((0, 0), (0, 0), (0, beyond[0]), (0, beyond[1])))
        out = scattered[:, :, padding[0]:padding[0] + out_size[0], padding[1]:padding[1] + out_size[1]]
        if bias is not None:
            out = out + bias[:, np.newaxis, np.newaxis]
        ctx.save_for_backward(rows, flat_weight, x.shape, weight.shape, window, full, padding)
        return np.ascontiguousarray(out)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        rows, flat_weight, x_shape, weight_shape, window, full, padding = ctx.saved
        # Put the gradient back where the output was cut from the full output; what lies past it came
        # from no input pixel.
        n, out_channels, out_h, out_w = grad.shape
        grad_full = np.zeros((n, out_channels, max(full[0], padding[0] + out_h), max(full[1], padding[1] + out_w)),
                             dtype=grad.dtype)
        grad_full[:, :, padding[0]:padding[0] + out_h, padding[1]:padding[1] + out_w] = grad
        grad_cols = im2col(grad_full[:, :, :full[0], :full[1]], window)  # each input pixel's output patch
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            _, in_channels, height, width = x_shape
            grad_x = (grad_cols @ flat_weight.T).reshape(n, height, width, in_channels).transpose(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = (rows.T @ grad_cols).reshape(weight_shape)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b
