"""Tensor: a NumPy array that remembers how it was computed, so that gradients can flow back.

A tensor holds `data` (an ndarray), `grad` (an ndarray of the same shape, or None) and
`requires_grad`. Operators build new tensors through the primitives in `minidl.ops`; when an input
requires a gradient, the result records its `_node` (see `minidl.autograd`), and
`loss.backward()` walks those records from the loss back to the leaves.

dtypes: Python numbers and lists become float32 (int64 for integers); NumPy arrays keep their
dtype, so float64 survives for gradient checks. A Python scalar mixed into an operation takes
the tensor's dtype, as in PyTorch, so `x * 2.0` stays float32.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minidl import autograd
from minidl.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from minidl.ops.elementwise import Abs, Exp, Log, ReLU, Sigmoid, Sqrt, Tanh
from minidl.ops.matmul import MatMul
from minidl.ops.reduction import Max, Mean, Sum
from minidl.ops.selection import GetItem, Where
from minidl.ops.shape import Concatenate, Reshape, Stack, Transpose
from minidl.shapes import broadcast_shape, normalize_axes, normalize_axis

_SUPPORTED_KINDS = {"f": "floating", "i": "integer", "u": "unsigned integer", "b": "boolean"}


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """`data` as an ndarray of a dtype minidl computes with (see the module docstring)."""
    if isinstance(data, Tensor):
        data = data.data
    from_numpy = isinstance(data, (np.ndarray, np.generic))
    try:
        array = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"tensor: cannot make a numeric array from {type(data).__name__}: {error}") from None
    if array.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"tensor: unsupported dtype {array.dtype}; expected a floating, integer "
                        "or boolean array (object and string arrays have no gradients)")
    if array.dtype.kind == "f" and array.dtype.itemsize not in (4, 8):
        raise TypeError(f"tensor: unsupported floating dtype {array.dtype}; use float32 or float64")
    if dtype is None and not from_numpy and array.dtype == np.float64:
        array = array.astype(np.float32)
    return array


class Tensor:
    # Make NumPy hand `ndarray + Tensor` to Tensor.__radd__ instead of converting the tensor.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"tensor: requires_grad=True needs a floating dtype, got {self.data.dtype} "
                            "(only real-valued tensors have gradients)")
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self._node: autograd.Node | None = None
        self._retains_grad = False

    @classmethod
    def _from_array(cls, data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Wrap an array computed by a primitive, without the checks of the constructor."""
        out = cls.__new__(cls)
        out.data = np.asarray(data)
        out.requires_grad = requires_grad
        out.grad = None
        out._node = None
        out._retains_grad = False
        return out

    # ----- what it is --------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node.function.__name__}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied: changing it changes the tensor)."""
        return self.data

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item: only a tensor with one element converts to a Python number, "
                             f"this one has shape {self.shape}")
        return self.data.item()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad flows through the result)."""
        return Tensor._from_array(self.data)

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this intermediate tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        self._retains_grad = True
        return self

    # ----- gradients ---------------------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Accumulate d(self)/d(leaf) · grad into the `.grad` of every leaf that requires grad.

        A scalar (one-element) tensor needs no `grad`: dL/dL = 1. A tensor of any other shape is
        not a loss, so the caller passes grad = dL/dself of the same shape.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad; set requires_grad=True "
                               "on an input (a leaf) before computing it")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: the tensor has shape {self.shape}, so backward() needs "
                                   "grad= of that shape (dL/dtensor); or reduce it to a scalar "
                                   "first, e.g. tensor.sum().backward()")
            grad = np.ones_like(self.data)
        else:
            grad = _as_array(grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape}, expected the tensor's "
                                 f"shape {self.shape}")
        autograd.backward(self, grad)

    # ----- arithmetic --------------------------------------------------------------------
    def _lift(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float)) and self.dtype.kind == "f":
            return Tensor._from_array(np.asarray(other, dtype=self.dtype))
        return Tensor(other)

    def _binary(self, function: type[autograd.Function], op: str, other: Any, reflected: bool = False) -> Tensor:
        other = self._lift(other)
        a, b = (other, self) if reflected else (self, other)
        broadcast_shape(op, a.shape, b.shape)
        return function.apply(a, b)

    def __add__(self, other: Any) -> Tensor:
        return self._binary(Add, "add", other)

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(Add, "add", other, reflected=True)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(Sub, "sub", other)

    def __rsub__(self, other: Any) -> Tensor:
        return self._binary(Sub, "sub", other, reflected=True)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(Mul, "mul", other)

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(Mul, "mul", other, reflected=True)

    def __truediv__(self, other: Any) -> Tensor:
        return self._binary(Div, "div", other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._binary(Div, "div", other, reflected=True)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, Tensor) or not np.isscalar(exponent):
            raise TypeError(f"pow: the exponent must be a Python or NumPy number, got "
                            f"{type(exponent).__name__} (x ** y for a tensor y is exp(y * log(x)))")
        return Pow.apply(self, exponent=exponent)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, self._lift(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(self._lift(other), self)

    # Comparisons give boolean tensors outside the graph (they have no useful derivative).
    def _compare(self, ufunc: np.ufunc, op: str, other: Any) -> Tensor:
        other = self._lift(other)
        broadcast_shape(op, self.shape, other.shape)
        return Tensor._from_array(ufunc(self.data, other.data))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(np.less, "<", other)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(np.less_equal, "<=", other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(np.greater, ">", other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(np.greater_equal, ">=", other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, "==", other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, "!=", other)

    __hash__ = object.__hash__

    # ----- element-wise functions --------------------------------------------------------
    def exp(self) -> Tensor:
        return Exp.apply(self)

    def log(self) -> Tensor:
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        return Sqrt.apply(self)

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def relu(self) -> Tensor:
        return ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return Tanh.apply(self)

    # ----- reductions --------------------------------------------------------------------
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return Sum.apply(self, axes=normalize_axes("sum", axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        axes = normalize_axes("mean", axis, self.ndim)
        if any(self.shape[a] == 0 for a in axes):
            raise ValueError(f"mean: cannot average over an empty axis of a tensor of shape {self.shape}")
        return Mean.apply(self, axes=axes, keepdims=keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        axes = normalize_axes("max", axis, self.ndim)
        if any(self.shape[a] == 0 for a in axes):
            raise ValueError(f"max: cannot take the maximum over an empty axis of a tensor of shape {self.shape}")
        return Max.apply(self, axes=axes, keepdims=keepdims)

    # ----- shape -------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        try:
            target = np.empty(self.shape, dtype=bool).reshape(shape).shape
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({self.size} elements) into {tuple(shape)}") from None
        return Reshape.apply(self, shape=target)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (all reversed when none are given), like ndarray.transpose."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        normalized = tuple(normalize_axis("transpose", a, self.ndim) for a in axes)
        if sorted(normalized) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                             f"{self.ndim} axes of a tensor of shape {self.shape}")
        return Transpose.apply(self, axes=normalized)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        try:
            return GetItem.apply(self, index=_unwrap_index(index))
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {self.shape}: {error}") from None


def _unwrap_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, tuple):
        return tuple(_unwrap_index(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a Tensor from a number, a nested list, an ndarray or a tensor (whose data is copied)."""
    if isinstance(data, Tensor):
        data = data.data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b with NumPy's rules (1-D, 2-D, batched with broadcast batch axes)."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    inner_a, inner_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last axis of "
                         f"the first ({inner_a}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} "
                         f"axis of the second ({inner_b})")
    broadcast_shape("matmul (batch axes)", a.shape[:-2], b.shape[:-2])
    return MatMul.apply(a, b)


def _as_tensors(op: str, tensors: Sequence[Any]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or len(tensors) == 0:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; all other axes must agree."""
    tensors = _as_tensors("concatenate", tensors)
    first = tensors[0]
    axis = normalize_axis("concatenate", axis, max(first.ndim, 1))
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(s != f for i, (s, f) in enumerate(zip(t.shape, first.shape)) if i != axis):
            raise ValueError(f"concatenate: shapes {[x.shape for x in tensors]} differ outside axis {axis}")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = _as_tensors("stack", tensors)
    axis = normalize_axis("stack", axis, tensors[0].ndim + 1)
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack: all tensors need one shape, got {[t.shape for t in tensors]}")
    return Stack.apply(*tensors, axis=axis)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Entries of `a` where `cond` is true, of `b` elsewhere (cond is not differentiated)."""
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: cond must be boolean, got dtype {cond.dtype}")
    a = a if isinstance(a, Tensor) else b._lift(a) if isinstance(b, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else a._lift(b)
    broadcast_shape("where", cond.shape, a.shape, b.shape)
    return Where.apply(a, b, cond=cond)
