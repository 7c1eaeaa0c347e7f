"""The entry points of the hot loops: check the arrays, then run the chosen backend.

A numba kernel trusts its arguments (no bounds checks inside), so everything it relies on is
checked here first: ranks, shapes, float32/float64 dtypes, C-contiguity (made, by copying, when
missing), a window that fits, winners that point inside their plane. The NumPy twins get the same
arrays, so both backends see identical input and must give the same result.
"""
from __future__ import annotations

import functools
import importlib
from types import ModuleType

import numpy as np

from minidl.kernels import im2col_numpy, pooling_numpy
from minidl.kernels.backend import kernel_backend
from minidl.kernels.geometry import Window

KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
ImageShape = tuple[int, int, int, int]


@functools.cache
def _numba_module(name: str) -> ModuleType:
    """Imported on first use, so that `import minidl` does not pay for importing numba."""
    return importlib.import_module(f"minidl.kernels.{name}")


def _float_array(op: str, what: str, array: np.ndarray, ndim: int) -> np.ndarray:
    if not isinstance(array, np.ndarray) or array.ndim != ndim:
        shape = getattr(array, "shape", type(array).__name__)
        raise ValueError(f"{op}: {what} must be a {ndim}-D array, got {shape}")
    if array.dtype not in KERNEL_DTYPES:
        raise TypeError(f"{op}: {what} must be float32 or float64, got {array.dtype}")
    return np.ascontiguousarray(array)


def _image_shape(op: str, shape: tuple[int, ...]) -> ImageShape:
    if len(shape) != 4 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in shape):
        raise ValueError(f"{op}: expected an image shape (N, C, H, W) of positive sizes, got {shape}")
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


def _output_size(op: str, shape: ImageShape, window: Window) -> tuple[int, int]:
    scalars = window.scalars()
    if not all(isinstance(v, (int, np.integer)) for v in scalars) or min(
            *window.kernel, *window.stride, *window.dilation) < 1 or min(window.padding) < 0:
        raise ValueError(f"{op}: kernel, stride and dilation must be positive ints and padding non-negative, "
                         f"got {window}")
    out_h, out_w = window.output_size(*shape[2:])
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{op}: the window {window} does not fit an input of shape {shape}")
    return out_h, out_w


def _backend_module(kind: str) -> ModuleType:
    """The module of the active backend for `kind` ("im2col" or "pooling"): both expose the same functions."""
    if kernel_backend() == "numpy":
        return {"im2col": im2col_numpy, "pooling": pooling_numpy}[kind]
    return _numba_module(f"{kind}_numba")


def im2col(x: np.ndarray, window: Window) -> np.ndarray:
    """Receptive fields of x (N, C, H, W), zero-padded, as a matrix (N·OH·OW, C·kh·kw); see im2col_numpy.py."""
    x = _float_array("im2col", "the input", x, 4)
    _output_size("im2col", _image_shape("im2col", x.shape), window)
    return _backend_module("im2col").im2col(x, window)


def col2im(cols: np.ndarray, x_shape: ImageShape, window: Window) -> np.ndarray:
    """The adjoint of im2col: rows of cols summed back into an array of x_shape."""
    x_shape = _image_shape("col2im", x_shape)
    out_h, out_w = _output_size("col2im", x_shape, window)
    cols = _float_array("col2im", "cols", cols, 2)
    n, c = x_shape[:2]
    expected = (n * out_h * out_w, c * window.kernel[0] * window.kernel[1])
    if cols.shape != expected:
        raise ValueError(f"col2im: cols of shape {cols.shape} do not match an input of shape {x_shape} "
                         f"under {window}; expected {expected}")
    return _backend_module("im2col").col2im(cols, x_shape, window)


def max_pool_forward(x: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """(out, winner) of max-pooling x (N, C, H, W); see pooling_numpy.py for what winner holds."""
    x = _float_array("max_pool_forward", "the input", x, 4)
    if window.dilation != (1, 1):
        raise ValueError(f"max_pool_forward: pooling windows are not dilated, got {window}")
    if window.padding[0] > window.kernel[0] // 2 or window.padding[1] > window.kernel[1] // 2:
        raise ValueError(f"max_pool_forward: padding {window.padding} must be at most half the kernel {window.kernel}")
    _output_size("max_pool_forward", _image_shape("max_pool_forward", x.shape), window)
    return _backend_module("pooling").max_pool_forward(x, window)


def max_pool_backward(grad: np.ndarray, winner: np.ndarray, x_shape: ImageShape) -> np.ndarray:
    """∂L/∂x of max-pooling from ∂L/∂out; winner as max_pool_forward returned it."""
    x_shape = _image_shape("max_pool_backward", x_shape)
    grad = _float_array("max_pool_backward", "grad", grad, 4)
    if not isinstance(winner, np.ndarray) or winner.dtype != np.int64 or winner.shape != grad.shape:
        raise ValueError(f"max_pool_backward: winner must be an int64 array of the gradient's shape {grad.shape}, "
                         f"got {getattr(winner, 'dtype', type(winner).__name__)} {getattr(winner, 'shape', '')}")
    if grad.shape[:2] != x_shape[:2]:
        raise ValueError(f"max_pool_backward: grad of shape {grad.shape} does not belong to an input of shape {x_shape}")
    plane_size = x_shape[2] * x_shape[3]
    if winner.size and (winner.min() < -1 or winner.max() >= plane_size):
        raise ValueError(f"max_pool_backward: winners must lie in [-1, {plane_size}) for planes of {x_shape[2:]}, "
                         f"got [{winner.min()}, {winner.max()}]")
    return _backend_module("pooling").max_pool_backward(grad, winner, x_shape)
