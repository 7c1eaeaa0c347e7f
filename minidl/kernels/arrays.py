"""What a numba kernel may be handed: the one place that turns the arrays of the fast path's
Functions into exactly what the loops were compiled for.

A numba kernel has no bounds checks and is compiled per dtype, rank and layout, so it must only
ever see C-contiguous float32/float64 arrays of the rank and shape it takes. The public functions
(minidl.functional, the layers) have checked the user's input; these checks catch minidl's own
mistakes with an error that names the operation, instead of a wrong number or a crash.
"""

from __future__ import annotations

import numpy as np

KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def kernel_array(op: str, array: np.ndarray, ndim: int, dtype: np.dtype | None = None) -> np.ndarray:
    """array as the kernels take it: C-contiguous, of `ndim` axes, float32 or float64 (converted to
    `dtype` when given)."""
    if not isinstance(array, np.ndarray) or array.ndim != ndim or (dtype is None and array.dtype not in KERNEL_DTYPES):
        raise TypeError(
            f"{op}: the kernels take float32 or float64 arrays of {ndim} axes, got "
            f"{getattr(array, 'dtype', type(array).__name__)} of shape {getattr(array, 'shape', '?')}"
        )
    if dtype is not None and np.dtype(dtype) not in KERNEL_DTYPES:
        raise TypeError(f"{op}: the kernels compute in float32 or float64, not {dtype}")
    return np.ascontiguousarray(array, dtype)


def require_shape(op: str, what: str, shape: tuple[int, ...], expected: tuple[int, ...]) -> None:
    if shape != expected:
        raise ValueError(f"{op}: {what} of shape {shape} do not fit; expected {expected}")


def kernel_bias(op: str, bias: np.ndarray | None, filters: int, dtype: np.dtype) -> np.ndarray:
    """bias (filters,) as a C-contiguous array of dtype, zeros where there is none."""
    if bias is None:
        return np.zeros(filters, dtype)
    require_shape(op, "bias", bias.shape, (filters,))
    return kernel_array(op, bias, 1, dtype)


def kernel_grad(op: str, grad: np.ndarray, expected: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """grad of shape `expected` as a C-contiguous array of dtype: the gradient of a sum arrives
    broadcast (zero strides), and may be float64 for float32 input."""
    require_shape(op, "gradients", grad.shape, expected)
    return kernel_array(op, grad, len(expected), dtype)


def require_layout(
    op: str,
    what: str,
    array: np.ndarray,
    shape: tuple[int | None, ...],
    dtype: np.dtype | None = None,
    writes: bool = False,
) -> None:
    """That `array` is exactly what a loop was compiled for and will index: an ndarray of this shape
    (None: any size on that axis) and dtype (None: float32 or float64), C-contiguous, and writeable
    where the loop writes into it."""
    if (
        isinstance(array, np.ndarray)
        and (array.dtype in KERNEL_DTYPES if dtype is None else array.dtype == dtype)
        and array.flags.c_contiguous
        and (array.flags.writeable or not writes)
        and array.ndim == len(shape)
        and all(want is None or size == want for size, want in zip(array.shape, shape))
    ):
        return
    wanted = "float32 or float64" if dtype is None else str(np.dtype(dtype))
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{op}: {what} must be a C-contiguous {wanted} array, got {type(array).__name__}")
    if (array.dtype not in KERNEL_DTYPES if dtype is None else array.dtype != dtype) or not array.flags.c_contiguous:
        layout = "C-contiguous" if array.flags.c_contiguous else "not C-contiguous"
        raise TypeError(f"{op}: {what} must be a C-contiguous {wanted} array, got {layout} {array.dtype}")
    if writes and not array.flags.writeable:
        raise TypeError(f"{op}: {what} must be writeable")
    raise ValueError(f"{op}: {what} of shape {array.shape} do not fit; expected {shape}")
