"""The entry points of the hot loops: hand the arrays to the chosen backend.

The public functions (minidl.functional, the layers) check the user's input once; the callers here
are minidl's own ops. A numba kernel has no bounds checks, so this module still makes sure that it
only ever sees the arrays it was compiled for: C-contiguous (copied when not), float32/float64 of
the right rank, and index arrays of the right shape and type. What the arrays hold (a window that
fits, winners inside their plane) is the callers' guarantee. The NumPy twins get the same arrays,
so both backends see identical input and must give the same result.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

import numpy as np

from minidl.kernels import im2col_numpy, pooling_numpy, relu_numpy
from minidl.kernels.backend import kernel_backend
from minidl.kernels.geometry import Window
from minidl.kernels.padding import framed_shape

KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
ImageShape = tuple[int, int, int, int]


@functools.cache
def numba_module(name: str) -> ModuleType:
    """Imported on first use, so that `import minidl` does not pay for importing numba."""
    return importlib.import_module(f"minidl.kernels.{name}")


def _backend_module(kind: str) -> ModuleType:
    """The module of the active backend for `kind` ("im2col", "pooling" or "relu"): both expose the same functions."""
    if kernel_backend() == "numpy":
        return {"im2col": im2col_numpy, "pooling": pooling_numpy, "relu": relu_numpy}[kind]
    return numba_module(f"{kind}_numba")


def _kernel_array(op: str, array: np.ndarray, ndim: int) -> np.ndarray:
    """array as the kernels take it: a C-contiguous float32/float64 array of `ndim` axes."""
    if not isinstance(array, np.ndarray) or array.ndim != ndim or array.dtype not in KERNEL_DTYPES:
        raise TypeError(
            f"{op}: the kernels take float32 or float64 arrays of {ndim} axes, got "
            f"{getattr(array, 'dtype', type(array).__name__)} of shape {getattr(array, 'shape', '?')}"
        )
    return np.ascontiguousarray(array)


def _require_shape(op: str, what: str, shape: tuple[int, ...], expected: tuple[int, ...]) -> None:
    if shape != expected:
        raise ValueError(f"{op}: {what} of shape {shape} do not fit; expected {expected}")


def _cols_shape(x_shape: ImageShape, window: Window) -> tuple[int, int, int]:
    n, c, h, w = x_shape
    out_h, out_w = window.output_size(h, w)
    return n, c * window.kernel[0] * window.kernel[1], out_h * out_w


def _output_array(op: str, out: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """`out` checked to be what a kernel may write into: C-contiguous, writeable, of this shape and dtype."""
    if not isinstance(out, np.ndarray) or out.dtype != dtype or not out.flags.c_contiguous or not out.flags.writeable:
        raise TypeError(
            f"{op}: out must be a writeable C-contiguous {dtype} array, got "
            f"{getattr(out, 'dtype', type(out).__name__)} (flags {getattr(out, 'flags', '?')})"
        )
    _require_shape(op, "out", out.shape, shape)
    return out


def im2col(x: np.ndarray, window: Window, out: np.ndarray | None = None) -> np.ndarray:
    """Receptive fields of x (N, C, H, W), zero-padded, as one matrix per image (N, C·kh·kw, OH·OW); see
    im2col_numpy.py. Written into `out` when given (an array of that shape and x's dtype), else into a new array."""
    x = _kernel_array("im2col", x, 4)
    shape = _cols_shape(x.shape, window)
    cols = np.empty(shape, dtype=x.dtype) if out is None else _output_array("im2col", out, shape, x.dtype)
    return _backend_module("im2col").im2col(x, window, cols)


def col2im(cols: np.ndarray, x_shape: ImageShape, window: Window, out: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of im2col: columns of cols (N, C·kh·kw, OH·OW) summed back into an array of x_shape.

    `out`, when given, is the input in its frame (N, C, top + H + bottom, left + W + right), see
    Window.frame, of cols' dtype: the sums are added to what it holds (zeros, for the plain adjoint)
    and the result is its x_shape part, a view of it. Else a new zeroed array is used."""
    cols = _kernel_array("col2im", cols, 3)
    _require_shape("col2im", "cols", cols.shape, _cols_shape(x_shape, window))
    framed = framed_shape(x_shape, window.frame(*x_shape[2:]))
    x_pad = np.zeros(framed, dtype=cols.dtype) if out is None else _output_array("col2im", out, framed, cols.dtype)
    return _backend_module("im2col").col2im(cols, x_shape, window, x_pad)


def max_pool_forward(x: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(out, winner) of max-pooling x (N, C, H, W); see pooling_numpy.py for what winner holds."""
    return _backend_module("pooling").max_pool_forward(_kernel_array("max_pool_forward", x, 4), window)


def max_pool_values(x: np.ndarray, window: Window) -> np.ndarray:
    """max_pool_forward's out alone, for a forward pass that no backward pass will follow."""
    return _backend_module("pooling").max_pool_values(_kernel_array("max_pool_values", x, 4), window)


def max_pool_backward(grad: np.ndarray, winner: np.ndarray, x_shape: ImageShape) -> np.ndarray:
    """∂L/∂x of max-pooling from ∂L/∂out; winner exactly as max_pool_forward returned it for x_shape."""
    grad = _kernel_array("max_pool_backward", grad, 4)
    if not isinstance(winner, np.ndarray) or winner.dtype != np.int64:
        raise TypeError(
            f"max_pool_backward: winner must be the int64 array of max_pool_forward, "
            f"got {getattr(winner, 'dtype', type(winner).__name__)}"
        )
    _require_shape("max_pool_backward", "winners", winner.shape, grad.shape)
    _require_shape("max_pool_backward", "gradients", grad.shape[:2], tuple(x_shape[:2]))
    return _backend_module("pooling").max_pool_backward(grad, np.ascontiguousarray(winner), x_shape)


def _numpy_array(op: str, what: str, array: object) -> np.ndarray:
    """array as an ndarray: NumPy arrays and the NumPy scalars that ufuncs return for 0-d input pass."""
    if not isinstance(array, (np.ndarray, np.generic)):
        raise TypeError(f"{op}: {what} must be a NumPy array, got {type(array).__name__}")
    return np.asarray(array)


def _c_order(array: np.ndarray) -> np.ndarray:
    """array itself when C-contiguous (a 0-d array always is: np.ascontiguousarray would make it 1-d), else a C copy."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


# ReLU's kernels take float32/float64 only; other dtypes (integers stay integers, float16) and a grad whose
# dtype differs from out's (the product then takes NumPy's promoted dtype) go to relu_numpy whatever the
# backend. A strided z or a broadcast grad (zero strides: the gradient of a sum) is copied into C order
# first rather than left to NumPy: the copy and the kernel each run at about the speed of memory, while
# np.maximum — or np.sign, its temporary and the product — on a strided array are slower than a copy, so
# copy + kernel costs about what NumPy would on a transposed array, less on slices and broadcast grads.
def relu_forward(z: np.ndarray) -> np.ndarray:
    """max(0, z) of an array of any shape and dtype, a NaN kept; see relu_numpy.py."""
    z = _numpy_array("relu_forward", "z", z)
    if z.dtype not in KERNEL_DTYPES:
        return relu_numpy.relu_forward(z)
    return _backend_module("relu").relu_forward(_c_order(z))


def relu_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """∂L/∂z = grad · sign(out) from ReLU's output `out` and the gradient `grad` of the same shape."""
    grad, out = _numpy_array("relu_backward", "grad", grad), _numpy_array("relu_backward", "out", out)
    _require_shape("relu_backward", "gradients", grad.shape, out.shape)
    if grad.dtype not in KERNEL_DTYPES or grad.dtype != out.dtype:
        return relu_numpy.relu_backward(grad, out)
    return _backend_module("relu").relu_backward(_c_order(grad), _c_order(out))
