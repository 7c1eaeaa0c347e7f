"""The one seam between minidl's two paths: which implementation computes an op, and why.

minidl/ops/ holds the reading path: every Function's forward and backward in plain NumPy, the
algorithm as a student reads it beside the slide. minidl/kernels/ holds faster twins of a few of
them, which compute the same sums (numba's loops, the batch shared between cores, two other
convolution algorithms). Every call site asks here which one runs:

    conv2d_path(x_shape, weight_shape, ...) -> (name, reason)   "reference", "im2col", "winograd" or "direct"
    implementation(reference, path=None)    -> the Function to apply

With MINIDL_KERNELS=numpy (or inside `use_kernels("numpy")`) every op runs its reading path, and
numba is never imported. The thresholds below are the whole rule for conv2d; `python -m
minidl.kernels` prints the path of every convolution of the lessons' models.
"""

from __future__ import annotations

import functools

import numpy as np

from minidl.autograd import Function
from minidl.kernels.arrays import KERNEL_DTYPES
from minidl.kernels.backend import kernel_backend
from minidl.ops.window import conv_output_size
from minidl.shapes import int_pair, positive_int

# The table: where each of the kernels' own convolution algorithms measured faster than im2col's
# (forward and backward, interleaved, on the benchmarks' 2-core machine; benchmarks/README.md).
# Winograd's F(2×2, 3×3), for 3×3 windows: input channels ≥ c at an output width ≥ w, for (w, c)
# here. With few channels its products are thin and save less than its transforms cost; the
# narrower the image, the more its spare tile per row of tiles costs.
WINOGRAD_MIN_CHANNELS_BY_WIDTH = ((64, 4), (32, 16), (16, 32))
# The direct convolution: at most this many input channels (each adds a run over the image per
# filter and row of taps, where im2col's product only gets wider) ...
DIRECT_MAX_CHANNELS = 3
# ... under a window at least this wide (a row of fewer taps does not pay for its run).
DIRECT_MIN_WINDOW_WIDTH = 5

PATHS = ("reference", "im2col", "winograd", "direct")
UNIT_STRIDE = "stride 1, no dilation and one group"


def _shape(name: str, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) != 4 or any(not isinstance(size, (int, np.integer)) or size < 0 for size in shape):
        raise ValueError(f"conv2d_path: {name} must be a shape of 4 non-negative sizes, got {shape!r}")
    return tuple(int(size) for size in shape)


def conv2d_path(
    x_shape: tuple[int, int, int, int],
    weight_shape: tuple[int, int, int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    dtype: str | np.dtype = "float32",
) -> tuple[str, str]:
    """(name, reason): which algorithm computes conv2d of an input of x_shape (N, C, H, W) with a
    weight of weight_shape (O, C/groups, kh, kw) in `dtype` (NumPy's promotion of the input's, the
    weight's and the bias's), and why, in one line."""
    (_, channels, _, width), (_, _, kh, kw) = _shape("x_shape", x_shape), _shape("weight_shape", weight_shape)
    stride, padding = int_pair("conv2d_path", "stride", stride, 1), int_pair("conv2d_path", "padding", padding, 0)
    dilation, groups = int_pair("conv2d_path", "dilation", dilation, 1), positive_int("conv2d_path", "groups", groups)
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"conv2d_path: dtype must name a NumPy dtype, got {dtype!r}") from error
    if kernel_backend() == "numpy":
        return "reference", "MINIDL_KERNELS=numpy: the reading path, minidl/ops/convolution.py"
    if dtype not in KERNEL_DTYPES:
        return "reference", f"{dtype}: numba's kernels compute in float32 or float64"
    if stride != (1, 1) or dilation != (1, 1) or groups != 1:
        return (
            "im2col",
            f"stride {stride}, dilation {dilation}, {groups} group(s): the other algorithms need {UNIT_STRIDE}",
        )
    out_w = conv_output_size(width, kw, 1, padding[1], 1)
    if (kh, kw) == (3, 3):
        for least_width, least_channels in WINOGRAD_MIN_CHANNELS_BY_WIDTH:
            if out_w >= least_width and channels >= least_channels:
                return "winograd", (
                    f"3×3 window, {channels} input channel(s) over {out_w} output columns: Winograd's F(2×2, 3×3) "
                    f"from {least_channels} channels at {least_width} columns"
                )
    if channels <= DIRECT_MAX_CHANNELS and kw >= DIRECT_MIN_WINDOW_WIDTH:
        return "direct", (
            f"{channels} input channel(s) under a {kh}×{kw} window: the direct convolution, for at most "
            f"{DIRECT_MAX_CHANNELS} channels and windows at least {DIRECT_MIN_WINDOW_WIDTH} wide"
        )
    if (kh, kw) != (3, 3):
        not_winograd = "Winograd takes 3×3 windows"
    else:
        table = ", ".join(f"{c} at {w}" for w, c in WINOGRAD_MIN_CHANNELS_BY_WIDTH)
        not_winograd = f"too few channels for Winograd (channels at output columns: {table})"
    if channels > DIRECT_MAX_CHANNELS:
        not_direct = f"more than {DIRECT_MAX_CHANNELS} channels for the direct convolution"
    else:
        not_direct = f"a window narrower than {DIRECT_MIN_WINDOW_WIDTH} for the direct convolution"
    return "im2col", f"{kh}×{kw} window, {channels} channel(s) over {out_w} columns: {not_winograd}; {not_direct}"


@functools.cache
def _twins() -> dict[tuple[type[Function], str | None], type[Function]]:
    """The fast path's Functions, by (the reading path's Function, conv2d's path or None); imported on
    first use, so that MINIDL_KERNELS=numpy never imports them (nor numba)."""
    from minidl.kernels.convolution import Im2colConvolution2d
    from minidl.kernels.direct import DirectConvolution2d
    from minidl.kernels.held import HELD
    from minidl.kernels.pooling import MaxPooling2d
    from minidl.kernels.relu import ReLU
    from minidl.kernels.winograd import WinogradConvolution2d
    from minidl.ops import activations, convolution, pooling

    return {
        (convolution.Convolution2d, "im2col"): Im2colConvolution2d,
        (convolution.Convolution2d, "winograd"): WinogradConvolution2d,
        (convolution.Convolution2d, "direct"): DirectConvolution2d,
        (activations.ReLUFunction, None): ReLU,
        (pooling.MaxPooling2d, None): MaxPooling2d,
        **{(reference, None): held for reference, held in HELD.items()},
    }


def implementation(reference: type[Function], path: str | None = None) -> type[Function]:
    """The Function that computes `reference`'s maths now: `reference` itself on the reading path
    (MINIDL_KERNELS=numpy, or conv2d's path "reference"), else its twin on the fast path (for conv2d,
    the one of `path`, conv2d_path's name); an op without a twin always runs `reference`. The twins of
    the ops whose products BLAS would split (Linear, MatMul, the transposed convolution) run the
    reading path's own code on one BLAS thread (held.py)."""
    if kernel_backend() == "numpy" or path == "reference":
        return reference
    return _twins().get((reference, path), reference)
