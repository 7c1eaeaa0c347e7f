"""Stateless neural-network functions (import as F): activations, layers' maths, losses.

Every function checks its input at the boundary and names the shapes it expected; the work is done
by the primitives in `minidl.ops` (or by composing tensor operations, when that is already exact).
Names and defaults follow torch.nn.functional.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import numpy as np

from minidl.autograd import Function
from minidl.kernels import conv2d_path, implementation
from minidl.ops.window import Window
from minidl.ops.interpolation import bilinear_matrix, nearest_indices, nearest_matrix
from minidl.ops.activations import (
    ELUFunction,
    GELUFunction,
    HardtanhFunction,
    LeakyReLUFunction,
    LogSigmoidFunction,
    LogSoftmaxFunction,
    PiecewiseLinearFunction,
    SignFunction,
    SiLUFunction,
    SoftmaxFunction,
    SoftplusFunction,
    SoftsignFunction,
    StepFunction,
)
from minidl.ops.linear import Linear
from minidl.ops.convolution import Convolution2d, TransposedConvolution2d
from minidl.ops.losses import BinaryCrossEntropy, BinaryCrossEntropyWithLogits
from minidl.ops.padding import ConstantPadding2d
from minidl.ops.pooling import AveragePooling2d, MaxPooling2d
from minidl.rng import default_generator
from minidl.shapes import broadcast_shape, int_pair, normalize_axis, positive_int
from minidl.tensor import Tensor

IntPair = int | tuple[int, int]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ----- activations: the slide's table ----------------------------------------------------------
# (f and f' of each are in the docstrings of minidl.ops.activations; integer input becomes float32)
def _as_floating(z: Any) -> Tensor:
    return _as_tensor(z)._floating()


def step(z: Tensor) -> Tensor:
    """Heaviside step, step(0) = 0.5; its derivative is 0 almost everywhere."""
    return StepFunction.apply(_as_floating(z))


def sign(z: Tensor) -> Tensor:
    """sign(z) ∈ {−1, 0, 1}; derivative 0 almost everywhere."""
    return SignFunction.apply(_as_tensor(z))


def identity(z: Tensor) -> Tensor:
    """The linear activation f(z) = z; f'(z) = 1."""
    return _as_tensor(z)


def piecewise_linear(z: Tensor) -> Tensor:
    """1 for z ≥ ½, z + ½ in between, 0 for z ≤ −½."""
    return PiecewiseLinearFunction.apply(_as_floating(z))


def sigmoid(z: Tensor) -> Tensor:
    """Logistic σ(z) = 1 / (1 + e⁻ᶻ), stable for any |z|."""
    return _as_tensor(z).sigmoid()


def tanh(z: Tensor) -> Tensor:
    return _as_tensor(z).tanh()


def relu(z: Tensor) -> Tensor:
    """max(0, z), with ReLU'(0) = 0 as in PyTorch."""
    return _as_tensor(z).relu()


def softplus(z: Tensor) -> Tensor:
    """ln(1 + eᶻ), a smooth ReLU whose derivative is σ(z)."""
    return SoftplusFunction.apply(_as_floating(z))


# ----- activations of later architectures (PyTorch's names and defaults) -----------------------
def leaky_relu(z: Tensor, negative_slope: float = 0.01) -> Tensor:
    """z for z > 0, negative_slope·z otherwise."""
    return LeakyReLUFunction.apply(_as_floating(z), slope=float(negative_slope))


def elu(z: Tensor, alpha: float = 1.0) -> Tensor:
    """z for z > 0, alpha·(eᶻ − 1) otherwise."""
    return ELUFunction.apply(_as_floating(z), alpha=float(alpha))


def gelu(z: Tensor, approximate: str = "none") -> Tensor:
    """z·Φ(z) with Φ the standard normal CDF (exact, through erf); approximate='tanh' is the tanh
    formula of Hendrycks & Gimpel, as PyTorch's option of the same name."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELUFunction.apply(_as_floating(z), approximate=approximate)


def silu(z: Tensor) -> Tensor:
    """z·σ(z) (swish)."""
    return SiLUFunction.apply(_as_floating(z))


def hardtanh(z: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """z clipped to [min_val, max_val]; derivative 1 strictly inside, 0 outside and at the bounds."""
    if not min_val < max_val:
        raise ValueError(f"hardtanh: min_val = {min_val} must be smaller than max_val = {max_val}")
    return HardtanhFunction.apply(_as_floating(z), low=float(min_val), high=float(max_val))


def logsigmoid(z: Tensor) -> Tensor:
    """log σ(z), stable for any |z| (−softplus(−z))."""
    return LogSigmoidFunction.apply(_as_floating(z))


def softsign(z: Tensor) -> Tensor:
    """z / (1 + |z|)."""
    return SoftsignFunction.apply(_as_floating(z))


# ----- normalized along an axis ------------------------------------------------------------------
def _along_axis(op: str, function: type[Function], z: Any, axis: int) -> Tensor:
    """Apply softmax or log_softmax along `axis`; a 0-d tensor is treated as one entry along axis 0 or −1."""
    z = _as_floating(z)
    if z.ndim == 0:
        normalize_axis(op, axis, 1)
        return function.apply(z.reshape(1), axis=0).reshape(())
    return function.apply(z, axis=normalize_axis(op, axis, z.ndim))


def softmax(z: Tensor, axis: int = -1) -> Tensor:
    """e^{zᵢ} / Σⱼ e^{zⱼ} along `axis`; an empty axis gives an empty result, as in PyTorch."""
    return _along_axis("softmax", SoftmaxFunction, z, axis)


def log_softmax(z: Tensor, axis: int = -1) -> Tensor:
    """zᵢ − log Σⱼ e^{zⱼ} along `axis`, stable for any |z|."""
    return _along_axis("log_softmax", LogSoftmaxFunction, z, axis)


def one_hot(indices: Any, num_classes: int = -1) -> Tensor:
    """Class indices of any shape (...) as int64 one-hot vectors (..., num_classes), as PyTorch's
    one_hot; num_classes = −1 takes the largest index + 1. Not differentiable (indices are integers)."""
    indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got dtype {indices.dtype}")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(indices.max()) + 1
    num_classes = positive_int("one_hot", "num_classes", num_classes)
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise ValueError(
            f"one_hot: indices must lie in [0, {num_classes - 1}], got values in [{indices.min()}, {indices.max()}]"
        )
    return Tensor((indices[..., np.newaxis] == np.arange(num_classes)).astype(np.int64))


# ----- layers' maths -----------------------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch."""
    x = _as_tensor(x)
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} needs its last axis equal to in_features = "
            f"{weight.shape[-1]} of the weight of shape {weight.shape} (out_features, in_features)"
        )
    function = implementation(Linear)
    if bias is None:
        return function.apply(x, weight)
    if bias.shape == (weight.shape[0],):
        return function.apply(x, weight, bias)
    return function.apply(x, weight) + bias  # any other bias broadcasts, as in x @ W.T + b


def _check_image_batch(op: str, x: Tensor) -> None:
    if x.ndim != 4:
        raise ValueError(
            f"{op}: expected a batch of images (N, C, H, W), got shape {x.shape}"
            + ("; add a batch axis with x.reshape(1, *x.shape)" if x.ndim == 3 else "")
        )
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{op}: expected floating-point images (float32 or float64), got {x.dtype}; "
            "convert the array with .astype(np.float32) before making the tensor"
        )


def _check_windows_fit(op: str, x: Tensor, window: Window) -> None:
    """Every sliding window (conv kernel or pooling window) must fit in the padded input at least once."""
    for axis, name, out_size in zip((0, 1), ("height", "width"), window.output_size(*x.shape[2:])):
        if out_size < 1:
            kernel, padding, dilation = window.kernel[axis], window.padding, window.dilation[axis]
            raise ValueError(
                f"{op}: the kernel (extent {dilation * (kernel - 1) + 1} with dilation {dilation}) "
                f"is larger than the padded input {name} {x.shape[2 + axis] + 2 * padding[axis]} "
                f"(input shape {x.shape}, padding {padding})"
            )


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of x (N, C, H, W) with weight (O, C/groups, kh, kw), plus bias (O,).

    Output (N, O, OH, OW) with OH = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1.
    groups splits the channels into that many independent convolutions: output channels
    g·O/groups … (g+1)·O/groups − 1 see only input channels g·C/groups … (g+1)·C/groups − 1;
    groups = C is a depthwise convolution (one filter per channel, as in MobileNet's depthwise
    separable convolutions, Howard et al. 2017).
    """
    x = _as_tensor(x)
    stride = int_pair("conv2d", "stride", stride, 1)
    padding = int_pair("conv2d", "padding", padding, 0)
    dilation = int_pair("conv2d", "dilation", dilation, 1)
    groups = positive_int("conv2d", "groups", groups)
    _check_image_batch("conv2d", x)
    if weight.ndim != 4 or weight.shape[0] % groups:
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} must be (out_channels, in_channels / groups, kh, kw) "
            f"with out_channels divisible by groups = {groups}"
        )
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(
            f"conv2d: input of shape {x.shape} has {x.shape[1]} channel(s), but the weight of shape "
            f"{weight.shape} with groups = {groups} expects {weight.shape[1] * groups} (N, C, H, W)"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias of shape {bias.shape} must be ({weight.shape[0]},)")
    window = Window(weight.shape[2:], stride, padding, dilation)
    _check_windows_fit("conv2d", x, window)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    dtype = np.result_type(*(t.data for t in inputs))
    path, _ = conv2d_path(x.shape, weight.shape, stride, padding, dilation, groups, dtype)
    function = implementation(Convolution2d, path)
    return function.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _pool_window(
    op: str, x: Tensor, kernel_size: IntPair, stride: IntPair | None, padding: IntPair, ceil_mode: bool
) -> Window:
    """The window of a pooling layer, checked: stride defaults to the kernel, padding may be at most
    half the kernel (as in PyTorch), and the window must fit."""
    kernel = int_pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else int_pair(op, "stride", stride, 1)
    padding = int_pair(op, "padding", padding, 0)
    _check_image_batch(op, x)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    window = Window(kernel, stride, padding, ceil_mode=bool(ceil_mode))
    _check_windows_fit(op, x, window)
    return window


def max_pool2d(
    x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0, ceil_mode: bool = False
) -> Tensor:
    """Maximum over kernel_size windows of x (N, C, H, W); stride defaults to kernel_size.

    Padding is −∞ (it never wins) and may be at most half the kernel, as in PyTorch. ceil_mode rounds
    the output size up, OH = ⌈(H + 2·padding − kh) / stride⌉ + 1, so that a last, partial window
    covers the bottom and right edges (unless it would start in the padding).
    """
    x = _as_tensor(x)
    window = _pool_window("max_pool2d", x, kernel_size, stride, padding, ceil_mode)
    return implementation(MaxPooling2d).apply(x, window=window)


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    dilation: IntPair = 1,
) -> Tensor:
    """Transposed convolution (the adjoint of conv2d) of x (N, C_in, H, W) with weight (C_in, C_out, kh, kw).

    Output (N, C_out, OH, OW) with OH = (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1;
    stride 2 with kernel 2 doubles the size, the usual up-convolution of a U-Net.
    """
    x = _as_tensor(x)
    stride = int_pair("conv_transpose2d", "stride", stride, 1)
    padding = int_pair("conv_transpose2d", "padding", padding, 0)
    output_padding = int_pair("conv_transpose2d", "output_padding", output_padding, 0)
    dilation = int_pair("conv_transpose2d", "dilation", dilation, 1)
    _check_image_batch("conv_transpose2d", x)
    if weight.ndim != 4 or weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"conv_transpose2d: weight of shape {weight.shape} must be "
            f"({x.shape[1]}, out_channels, kh, kw) for an input of shape {x.shape}"
        )
    if bias is not None and bias.shape != (weight.shape[1],):
        raise ValueError(f"conv_transpose2d: bias of shape {bias.shape} must be ({weight.shape[1]},)")
    for axis in (0, 1):
        if output_padding[axis] >= max(stride[axis], dilation[axis]):
            raise ValueError(
                f"conv_transpose2d: output_padding {output_padding} must be smaller than the stride "
                f"{stride} or the dilation {dilation}"
            )
        size = (
            (x.shape[2 + axis] - 1) * stride[axis]
            - 2 * padding[axis]
            + dilation[axis] * (weight.shape[2 + axis] - 1)
            + output_padding[axis]
            + 1
        )
        if size < 1:
            raise ValueError(
                f"conv_transpose2d: padding {padding} leaves no output for an input of shape {x.shape} "
                f"and a kernel of {weight.shape[2:]}"
            )
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return implementation(TransposedConvolution2d).apply(
        *inputs, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation
    )


def avg_pool2d(
    x: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over kernel_size windows of x (N, C, H, W); stride defaults to kernel_size.

    The zero padding counts in each window's divisor (count_include_pad=True, PyTorch's default) or
    not (False: the mean of the window's input pixels only). ceil_mode as in max_pool2d; the part of
    a last, partial window past the padding never counts.
    """
    x = _as_tensor(x)
    window = _pool_window("avg_pool2d", x, kernel_size, stride, padding, ceil_mode)
    return AveragePooling2d.apply(x, window=window, count_include_pad=bool(count_include_pad))


def adaptive_avg_pool2d(x: Tensor, output_size: IntPair = 1) -> Tensor:
    """Global average pooling: (N, C, H, W) → (N, C, 1, 1), the mean of each feature map
    (only output_size 1 is supported)."""
    x = _as_tensor(x)
    _check_image_batch("adaptive_avg_pool2d", x)
    if int_pair("adaptive_avg_pool2d", "output_size", output_size, 1) != (1, 1):
        raise ValueError(
            f"adaptive_avg_pool2d: only output_size 1 (global average pooling) is supported, got {output_size!r}"
        )
    return x.mean(axis=(2, 3), keepdims=True)


def _scale_pair(value: float | Sequence[float]) -> tuple[float, float]:
    pair = (value, value) if isinstance(value, (int, float, np.number)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, float, np.number)) and v > 0 for v in pair):
        raise ValueError(f"interpolate: scale_factor must be a positive number or a pair of them, got {value!r}")
    return float(pair[0]), float(pair[1])


def interpolate(
    x: Tensor,
    size: IntPair | None = None,
    scale_factor: float | tuple[float, float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Resize images (N, C, H, W) to `size` (OH, OW) or by `scale_factor` (OH = ⌊H·scale⌋), as PyTorch's
    interpolate: 'nearest' copies the pixel at ⌊d·r⌋, 'bilinear' interpolates with half-pixel
    centres (align_corners=False, the default) or with the corner pixels aligned (True). The
    matrices and r are explained in minidl.ops.interpolation. Output (N, C, OH, OW)."""
    x = _as_tensor(x)
    _check_image_batch("interpolate", x)
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"interpolate: mode must be 'nearest' or 'bilinear', got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners applies to mode='bilinear' only")
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"interpolate: give exactly one of size and scale_factor, got size={size!r}, scale_factor={scale_factor!r}"
        )
    n, c, h, w = x.shape
    if size is not None:
        out_h, out_w = int_pair("interpolate", "size", size, 1)
        scale_h = scale_w = None
    else:
        scale_h, scale_w = _scale_pair(scale_factor)
        out_h, out_w = math.floor(h * scale_h), math.floor(w * scale_w)
        if min(out_h, out_w) < 1:
            raise ValueError(
                f"interpolate: scale_factor {scale_factor!r} leaves no pixel of an input of shape {x.shape}"
            )
    if mode == "nearest":
        row_source, column_source = nearest_indices(h, out_h, scale_h), nearest_indices(w, out_w, scale_w)
        if (
            out_h % h == 0
            and out_w % w == 0
            and np.array_equal(row_source, np.arange(out_h) // (out_h // h))
            and np.array_equal(column_source, np.arange(out_w) // (out_w // w))
        ):
            # Each pixel repeated as a block: a broadcast, no matrix product.
            blocks = x.reshape(n, c, h, 1, w, 1).broadcast_to((n, c, h, out_h // h, w, out_w // w))
            return blocks.reshape(n, c, out_h, out_w)
        rows, columns = nearest_matrix(h, out_h, scale_h), nearest_matrix(w, out_w, scale_w)
    else:
        rows = bilinear_matrix(h, out_h, bool(align_corners), scale_h)
        columns = bilinear_matrix(w, out_w, bool(align_corners), scale_w)
    return Tensor(rows.astype(x.dtype)) @ x @ Tensor(columns.T.astype(x.dtype))


def _moments(x: Tensor, axes: tuple[int, ...]) -> tuple[Tensor, Tensor, Tensor]:
    """The mean μ over `axes`, x − μ and the biased variance mean((x − μ)²), the reduced axes kept."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    return mean, centred, (centred * centred).mean(axis=axes, keepdims=True)


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation per channel (Ioffe & Szegedy 2015) of x (N, C), (N, C, L) or (N, C, H, W),
    over every axis but the channels', as PyTorch: training uses the batch's mean and biased
    variance and updates the running estimates in place, r ← (1 − momentum)·r + momentum·batch
    (with the unbiased variance); evaluation uses them."""
    x = _as_tensor(x)._floating()
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, ...) with a channel axis, got shape {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // x.shape[1]
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel, got input of shape {x.shape}"
            )
        mean, centred, variance = _moments(x, axes)
        if running_mean is not None:
            running_mean.data = ((1 - momentum) * running_mean.data + momentum * mean.data.ravel()).astype(
                running_mean.dtype
            )
        if running_var is not None:
            unbiased = variance.data.ravel() * count / (count - 1)
            running_var.data = ((1 - momentum) * running_var.data + momentum * unbiased).astype(running_var.dtype)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        centred = x - running_mean.reshape(*shape)
        variance = running_var.reshape(*shape)
    out = centred / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(*shape)
    if bias is not None:
        out = out + bias.reshape(*shape)
    return out


def layer_norm(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation (Ba, Kiros & Hinton 2016) over the last axes, those of `normalized_shape`:
    y = (x − μ) / √(σ² + eps) · weight + bias, with μ and the biased σ² of each sample's entries
    there, in training and evaluation alike (no running statistics). weight and bias have the
    shape normalized_shape."""
    x = _as_tensor(x)._floating()
    normalized = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not normalized or x.shape[x.ndim - len(normalized) :] != normalized or len(normalized) > x.ndim:
        raise ValueError(
            f"layer_norm: the last axes of the input of shape {x.shape} must be normalized_shape = {normalized}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.shape != normalized:
            raise ValueError(f"layer_norm: {name} of shape {param.shape} must have the shape {normalized}")
    _, centred, variance = _moments(x, tuple(range(x.ndim - len(normalized), x.ndim)))
    out = centred / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def pad(x: Tensor, pad: tuple[int, ...], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding of the last axes, as torch.nn.functional.pad: pad = (left, right) frames the
    last axis, (left, right, top, bottom) the last two; the new cells hold `value`."""
    x = _as_tensor(x)
    sides = tuple(pad) if isinstance(pad, (tuple, list)) else (pad,)
    if len(sides) not in (2, 4) or not all(isinstance(p, (int, np.integer)) and p >= 0 for p in sides):
        raise ValueError(
            f"pad: pad must be (left, right) or (left, right, top, bottom) of non-negative ints, got {pad!r}"
        )
    if mode != "constant":
        raise ValueError(f"pad: only mode 'constant' is supported, got {mode!r}")
    if x.ndim < 2:
        raise ValueError(f"pad: needs an input of at least two axes, got shape {x.shape}")
    left, right, top, bottom = (int(p) for p in sides + (0, 0)[: 4 - len(sides)])
    return ConstantPadding2d.apply(x, frame=(top, bottom, left, right), value=value)


def pad2d(x: Tensor, padding: int | tuple[int, int, int, int]) -> Tensor:
    """Zero padding of the last two axes; padding = p or (left, right, top, bottom) as torch's ZeroPad2d."""
    return pad(x, (padding,) * 4 if isinstance(padding, (int, np.integer)) else padding)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: each entry is zeroed with probability p and the rest scaled by 1/(1 − p),
    so the expected value is unchanged and evaluation needs no rescaling. Identity when not training."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    x = _as_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = (rng or default_generator()).random(x.shape) >= p
    return x * (keep / (1 - p)).astype(x.dtype)


# ----- losses ------------------------------------------------------------------------------------
_REDUCTIONS = ("mean", "sum", "none")


def _reduce(op: str, loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input of shape {input.shape} and target of shape {target.shape} must have the same shape"
        )


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Regression: ℓ = (input − target)²."""
    input, target = _as_tensor(input), _as_tensor(target)
    _check_same_shape("mse_loss", input, target)
    return _reduce("mse_loss", (input - target) ** 2, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Regression: ℓ = |input − target|."""
    input, target = _as_tensor(input), _as_tensor(target)
    _check_same_shape("l1_loss", input, target)
    return _reduce("l1_loss", (input - target).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary classification on probabilities p ∈ [0, 1]: ℓ = −[y log p + (1 − y) log(1 − p)],
    each log clamped at −100 as in PyTorch."""
    input, target = _as_tensor(input), _as_tensor(target)
    _check_same_shape("binary_cross_entropy", input, target)
    if input.size and not (np.all(input.data >= 0) and np.all(input.data <= 1)):
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], got values in "
            f"[{np.min(input.data):g}, {np.max(input.data):g}]; pass logits to "
            "binary_cross_entropy_with_logits instead"
        )
    target = target if target.dtype == input.dtype else Tensor(target.data.astype(input.dtype))
    return _reduce("binary_cross_entropy", BinaryCrossEntropy.apply(input, target), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """Binary classification on logits z: BCE of σ(z), computed stably for any |z|. pos_weight
    (broadcast against the input, e.g. one weight per class (C,) for (N, C)) multiplies the loss of
    the positive targets, as PyTorch's: ℓ = −[pos_weight·y·log σ(z) + (1 − y)·log(1 − σ(z))]."""
    input, target = _as_tensor(input), _as_tensor(target)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    target = target if target.dtype == input.dtype else Tensor(target.data.astype(input.dtype))
    if pos_weight is not None:
        pos_weight = np.asarray(pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight, dtype=input.dtype)
        if (
            broadcast_shape("binary_cross_entropy_with_logits (pos_weight)", pos_weight.shape, input.shape)
            != input.shape
        ):
            raise ValueError(
                f"binary_cross_entropy_with_logits: pos_weight of shape {pos_weight.shape} must "
                f"broadcast to the input's shape {input.shape}"
            )
    loss = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight=pos_weight)
    return _reduce("binary_cross_entropy_with_logits", loss, reduction)


class _ClassTargets(NamedTuple):
    indices: np.ndarray  # (N, d1, ...) class indices, ignored ones replaced by 0
    counted: np.ndarray  # (N, d1, ...) False where the target is ignore_index
    weights: np.ndarray  # (N, d1, ...) weight[class] of each target, 0 where ignored
    class_weights: np.ndarray | None  # (C,) or None


def _class_targets(op: str, log_probs: Tensor, target: Any, weight: Any, ignore_index: int) -> _ClassTargets:
    """The checked class indices of scores (N, C, ...) and the weight each target counts with."""
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if log_probs.ndim < 2:
        raise ValueError(f"{op}: input must be (N, C) or (N, C, d1, ...), got shape {log_probs.shape}")
    expected = (log_probs.shape[0],) + log_probs.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"{op}: target of shape {target.shape} must be {expected} for input of shape "
            f"{log_probs.shape} (one class index per sample)"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {target.dtype}")
    classes = log_probs.shape[1]
    ignored = target == ignore_index
    any_ignored = bool(ignored.any())
    used = target[~ignored] if any_ignored else target
    if used.size and (used.min() < 0 or used.max() >= classes):
        raise ValueError(
            f"{op}: class indices must lie in [0, {classes - 1}] (or be ignore_index = {ignore_index}), "
            f"got values in [{used.min()}, {used.max()}]"
        )
    if weight is not None:
        if isinstance(weight, str):
            raise TypeError(
                f"{op}: the third argument is the class weights, as in PyTorch; pass reduction={weight!r} by keyword"
            )
        weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=log_probs.dtype)
        if weight.shape != (classes,):
            raise ValueError(f"{op}: weight of shape {weight.shape} must have one entry per class, ({classes},)")
    indices = np.where(ignored, 0, target) if any_ignored else target
    weights = (weight[indices] if weight is not None else np.ones(target.shape, dtype=log_probs.dtype)) * ~ignored
    return _ClassTargets(indices, ~ignored, weights.astype(log_probs.dtype), weight)


def _nll(op: str, log_probs: Tensor, targets: _ClassTargets, reduction: str) -> Tensor:
    """−weight[yₙ]·log_probs[n, yₙ] per target, reduced (see nll_loss)."""
    # Move the class axis last and flatten, so one integer-array index picks each sample's class.
    order = (0,) + tuple(range(2, log_probs.ndim)) + (1,)
    flat = log_probs.transpose(*order).reshape(targets.indices.size, log_probs.shape[1])
    picked = flat[np.arange(flat.shape[0]), targets.indices.reshape(-1)].reshape(targets.indices.shape)
    if targets.class_weights is None and targets.counted.all():  # every target counts once: the plain mean
        return _reduce(op, -picked, reduction)
    return _weighted_reduce(op, -picked * targets.weights, targets.weights.sum(), reduction)


def _weighted_reduce(op: str, loss: Tensor, total_weight: float, reduction: str) -> Tensor:
    """Like _reduce, but 'mean' divides by the summed weight of the targets (PyTorch's weighted mean);
    with no target counted it is NaN, with a zero gradient, as in PyTorch."""
    if reduction != "mean":
        return _reduce(op, loss, reduction)
    return loss.sum() / total_weight if total_weight else loss.sum() * 0.0 + float("nan")


def nll_loss(
    log_probs: Tensor, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood: ℓₙ = −weight[yₙ]·log_probs[n, yₙ] for log-probabilities (N, C) or
    (N, C, d₁, …) and class indices y (N,) or (N, d₁, …); targets equal to ignore_index count for
    nothing. 'mean' divides by Σₙ weight[yₙ] over the counted targets, as PyTorch."""
    log_probs = _as_tensor(log_probs)
    return _nll("nll_loss", log_probs, _class_targets("nll_loss", log_probs, target, weight, ignore_index), reduction)


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Multiclass classification on logits (N, C, …) with class indices: nll_loss(log_softmax(input, 1)),
    with PyTorch's weight, ignore_index and label_smoothing ε (Szegedy et al. 2016): the target
    becomes (1 − ε)·one_hot + ε/C, so ℓ = (1 − ε)·nll + (ε/C)·Σ_c −weight[c]·log p_c per counted
    target, whose 'mean' is divided by the same Σₙ weight[yₙ] as nll_loss's."""
    input = _as_tensor(input)._floating()
    if input.ndim < 2:
        raise ValueError(f"cross_entropy: input must be logits (N, C) or (N, C, d1, ...), got shape {input.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    targets = _class_targets("cross_entropy", input, target, weight, ignore_index)
    log_probs = log_softmax(input, axis=1)
    nll = _nll("cross_entropy", log_probs, targets, reduction)
    if label_smoothing == 0:
        return nll
    if targets.class_weights is not None:
        log_probs = log_probs * targets.class_weights.reshape((1, -1) + (1,) * (input.ndim - 2))
    smooth = -log_probs.sum(axis=1) * targets.counted.astype(input.dtype)
    smooth = _weighted_reduce("cross_entropy", smooth, targets.weights.sum(), reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / input.shape[1])


def dice_loss(input: Tensor, target: Any, eps: float = 1.0) -> Tensor:
    """Soft Dice loss for segmentation: 1 − (2 Σ p·y + eps) / (Σ p + Σ y + eps) with p = σ(logits),
    summed over each image's pixels and averaged over the batch (Milletari et al. 2016, V-Net).
    input: logits (N, 1, H, W) or (N, H, W); target: a binary mask of the same shape. eps keeps an
    empty mask and an empty prediction at loss 0."""
    input = _as_tensor(input)
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if target.shape != input.shape:
        raise ValueError(f"dice_loss: target of shape {target.shape} must match the logits' shape {input.shape}")
    if target.size and not np.all((target == 0) | (target == 1)):
        raise ValueError("dice_loss: the target must be a binary mask of 0s and 1s")
    if input.ndim < 2:
        raise ValueError(f"dice_loss: expected a batch of logit maps, got shape {input.shape}")
    p = input.sigmoid().reshape(input.shape[0], -1)
    y = Tensor(target.reshape(input.shape[0], -1).astype(input.dtype))
    overlap = (p * y).sum(axis=1)
    return (1.0 - (overlap * 2.0 + eps) / (p.sum(axis=1) + y.sum(axis=1) + eps)).mean()
