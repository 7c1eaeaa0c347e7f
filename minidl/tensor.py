"""Tensor: a NumPy array that remembers how it was computed, so that gradients can flow back.

A tensor holds `data` (an ndarray), `grad` (an ndarray of the same shape, or None) and
`requires_grad`. Operators build new tensors through the primitives in `minidl.ops`; when an input
requires a gradient, the result records its `_node` (see `minidl.autograd`), and
`loss.backward()` walks those records from the loss back to the leaves.

dtypes: Python numbers and lists become float32 (int64 for integers); NumPy arrays keep their
dtype, so float64 survives for gradient checks. Mixed dtypes follow PyTorch's promotion, with
float32 as the default float (`DEFAULT_FLOAT`):
- a Python scalar takes the tensor's dtype, so `x * 2.0` stays float32; but a Python float meeting
  an integer or boolean tensor gives float32 (`ints * 1.5`);
- an integer or boolean operand meeting a floating one takes the floating dtype (int + float64
  array is float64, int + float32 tensor is float32); two integers stay integers (int64);
- what has fractional values even for integer input (true division, exp, log, sqrt, the
  activations, mean, var, softmax, ...) turns an integer tensor into float32 first.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minidl import autograd
from minidl.kernels import implementation
from minidl.ops.activations import ReLUFunction, SigmoidFunction, TanhFunction
from minidl.ops.arithmetic import Add, Div, Maximum, Minimum, Mul, Neg, Pow, Power, Sub
from minidl.ops.elementwise import Abs, Clip, Exp, Exp2, Log, Log2, Rounding, Sqrt
from minidl.ops.matmul import MatMul
from minidl.ops.reduction import CumSum, LogSumExp, Max, Mean, Min, Prod, Sum, Var
from minidl.ops.selection import GetItem, Where
from minidl.ops.shape import BroadcastTo, Concatenate, Flip, Reshape, Stack, Tile, Transpose
from minidl.shapes import broadcast_shape, normalize_axes, normalize_axis

DEFAULT_FLOAT = np.float32
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
        raise TypeError(
            f"tensor: unsupported dtype {array.dtype}; expected a floating, integer "
            "or boolean array (object and string arrays have no gradients)"
        )
    if array.dtype.kind == "f" and array.dtype.itemsize not in (4, 8):
        raise TypeError(f"tensor: unsupported floating dtype {array.dtype}; use float32 or float64")
    if dtype is None and not from_numpy and array.dtype == np.float64:
        array = array.astype(DEFAULT_FLOAT)
    return array


class Tensor:
    # Make NumPy hand `ndarray + Tensor` to Tensor.__radd__ instead of converting the tensor.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"tensor: requires_grad=True needs a floating dtype, got {self.data.dtype} "
                "(only real-valued tensors have gradients)"
            )
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
            raise ValueError(
                f"item: only a tensor with one element converts to a Python number, this one has shape {self.shape}"
            )
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
            raise RuntimeError(
                "backward: this tensor does not require grad; set requires_grad=True "
                "on an input (a leaf) before computing it"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.shape}, so backward() needs "
                    "grad= of that shape (dL/dtensor); or reduce it to a scalar "
                    "first, e.g. tensor.sum().backward()"
                )
            grad = np.ones_like(self.data)
        else:
            grad = _as_array(grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape}, expected the tensor's shape {self.shape}")
        autograd.backward(self, grad)

    # ----- arithmetic --------------------------------------------------------------------
    def _lift(self, other: Any) -> Tensor:
        """`other` as a tensor; a Python number takes this tensor's dtype (see the module docstring)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float)):
            if self.dtype.kind == "f":
                return Tensor._from_array(np.asarray(other, dtype=self.dtype))
            if isinstance(other, float):
                return Tensor._from_array(np.asarray(other, dtype=DEFAULT_FLOAT))
        return Tensor(other)

    def _floating(self) -> Tensor:
        """This tensor if it is floating, else its values as float32 (integers carry no gradient)."""
        return self if self.dtype.kind == "f" else Tensor._from_array(self.data.astype(DEFAULT_FLOAT))

    def _binary(self, function: type[autograd.Function], op: str, other: Any, reflected: bool = False) -> Tensor:
        other = self._lift(other)
        a, b = (other, self) if reflected else (self, other)
        if a.data.dtype is not b.data.dtype:
            a, b = _promote(a, b)
        try:
            return function.apply(a, b)
        except ValueError:
            broadcast_shape(op, a.shape, b.shape)  # raises the clear message when the shapes are the reason
            raise

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
        return self._floating()._binary(Div, "div", other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._floating()._binary(Div, "div", other, reflected=True)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pow__(self, exponent: Any) -> Tensor:
        """x ** p for a number p (Pow), or entry by entry for a tensor or array p (Power)."""
        if isinstance(exponent, (bool, int, float, np.number)):
            exponent = (
                exponent.item() if isinstance(exponent, np.number) else exponent
            )  # a Python number keeps the dtype
            base = self._floating() if isinstance(exponent, float) else self
            if base.dtype.kind != "f" and exponent < 0:
                raise ValueError(
                    f"pow: an integer tensor to the negative power {exponent} is not an integer; "
                    "use a float exponent or convert the tensor to float"
                )
            return Pow.apply(base, exponent=exponent)
        return self._binary(Power, "pow", exponent)

    def __rpow__(self, base: Any) -> Tensor:
        """base ** x, e.g. 2 ** x, entry by entry (Power)."""
        return self._binary(Power, "pow", base, reflected=True)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, self._lift(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(self._lift(other), self)

    # Comparisons give boolean tensors outside the graph (they have no useful derivative).
    def _compare(self, ufunc: np.ufunc, op: str, other: Any) -> Tensor:
        other = self._lift(other)
        try:
            return Tensor._from_array(ufunc(self.data, other.data))
        except ValueError:
            broadcast_shape(op, self.shape, other.shape)
            raise

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
        return Exp.apply(self._floating())

    def exp2(self) -> Tensor:
        return Exp2.apply(self._floating())

    def log(self) -> Tensor:
        return Log.apply(self._floating())

    def log2(self) -> Tensor:
        return Log2.apply(self._floating())

    def sqrt(self) -> Tensor:
        return Sqrt.apply(self._floating())

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def floor(self) -> Tensor:
        """Round down; the gradient is 0 (flat between the jumps)."""
        return Rounding.apply(self, how=np.floor)

    def ceil(self) -> Tensor:
        """Round up; the gradient is 0."""
        return Rounding.apply(self, how=np.ceil)

    def round(self) -> Tensor:
        """Round to the nearest integer, halves to even (as NumPy and PyTorch); the gradient is 0."""
        return Rounding.apply(self, how=np.round)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Entries limited to [min, max] (a bound may be None); the gradient passes where
        min ≤ x ≤ max, bounds included, as PyTorch's clamp."""
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, (int, float, np.number)):
                raise TypeError(f"clip: {name} must be a number or None, got {type(bound).__name__}")
        if min is not None and max is not None and min > max:
            raise ValueError(f"clip: min = {min} is larger than max = {max}")
        base = self._floating() if isinstance(min, float) or isinstance(max, float) else self
        return Clip.apply(base, low=min, high=max)

    clamp = clip  # PyTorch's name

    def relu(self) -> Tensor:
        return implementation(ReLUFunction).apply(self)

    def sigmoid(self) -> Tensor:
        return SigmoidFunction.apply(self._floating())

    def tanh(self) -> Tensor:
        return TanhFunction.apply(self._floating())

    # ----- reductions (NumPy's axis= and keepdims=; a 0-d tensor accepts axis 0 or -1) -----------
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return Sum.apply(self, axes=normalize_axes("sum", axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The average over `axis`; NaN over an empty axis, as in PyTorch."""
        return Mean.apply(self._floating(), axes=normalize_axes("mean", axis, self.ndim), keepdims=keepdims)

    def _extreme(
        self, function: type[autograd.Function], op: str, axis: int | Sequence[int] | None, keepdims: bool
    ) -> Tensor:
        axes = normalize_axes(op, axis, self.ndim)
        if any(self.shape[a] == 0 for a in axes):
            raise ValueError(
                f"{op}: cannot reduce over an empty axis of a tensor of shape {self.shape} "
                f"(axis {axis}); there is no entry to pick"
            )
        return function.apply(self, axes=axes, keepdims=keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The largest entry over `axis` (PyTorch's amax); its gradient goes to the first maximal entry."""
        return self._extreme(Max, "max", axis, keepdims)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The smallest entry over `axis` (PyTorch's amin); its gradient goes to the first minimal entry."""
        return self._extreme(Min, "min", axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index (int64) of the first largest entry along `axis`, of the flattened tensor when None; no gradient."""
        return self._arg_extreme(np.argmax, "argmax", axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index (int64) of the first smallest entry along `axis`, of the flattened tensor when None; no gradient."""
        return self._arg_extreme(np.argmin, "argmin", axis, keepdims)

    def _arg_extreme(self, pick: Any, op: str, axis: int | None, keepdims: bool) -> Tensor:
        if axis is not None:
            axis = normalize_axis(op, axis, max(self.ndim, 1))
        if self.ndim == 0:
            return Tensor._from_array(np.zeros((), dtype=np.int64))
        if self.size == 0 or (axis is not None and self.shape[axis] == 0):
            raise ValueError(f"{op}: a tensor of shape {self.shape} has no entry to pick along axis {axis}")
        return Tensor._from_array(pick(self.data, axis=axis, keepdims=keepdims).astype(np.int64))

    def prod(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The product over `axis`; its gradient is right with zeros among the entries (see Prod)."""
        return Prod.apply(self, axes=normalize_axes("prod", axis, self.ndim), keepdims=keepdims)

    def var(self, axis: int | Sequence[int] | None = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over `axis`, Σ (x − mean)² / (n − ddof): NumPy's ddof=0 by default (the biased,
        maximum-likelihood estimate); ddof=1 is the unbiased estimate, the default of PyTorch's
        x.var() (its `correction` is this ddof)."""
        if not isinstance(ddof, (int, np.integer)) or isinstance(ddof, bool) or ddof < 0:
            raise ValueError(f"var: ddof must be a non-negative int, got {ddof!r}")
        axes = normalize_axes("var", axis, self.ndim)
        return Var.apply(self._floating(), axes=axes, keepdims=keepdims, ddof=int(ddof))

    def std(self, axis: int | Sequence[int] | None = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Standard deviation, √var with the same ddof (NumPy's default 0; PyTorch's x.std() is ddof=1)."""
        return self.var(axis, keepdims, ddof).sqrt()

    def logsumexp(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) over `axis`, without overflow; −∞ over an empty axis."""
        axes = normalize_axes("logsumexp", axis, self.ndim)
        return LogSumExp.apply(self._floating(), axes=axes, keepdims=keepdims)

    def cumsum(self, axis: int | None = None) -> Tensor:
        """Running sum along `axis` (of the flattened tensor when None, as NumPy)."""
        if axis is None:
            return self.reshape(-1).cumsum(0)
        if self.ndim == 0:
            normalize_axis("cumsum", axis, 1)
            return self.reshape(1).cumsum(0).reshape(())
        return CumSum.apply(self, axis=normalize_axis("cumsum", axis, self.ndim))

    # ----- shape -------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        try:
            target = np.empty(self.shape, dtype=bool).reshape(shape).shape
        except (ValueError, TypeError):
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) into {tuple(shape)}"
            ) from None
        return Reshape.apply(self, shape=target)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (all reversed when none are given), like ndarray.transpose."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        normalized = tuple(normalize_axis("transpose", a, self.ndim) for a in axes)
        if sorted(normalized) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the "
                f"{self.ndim} axes of a tensor of shape {self.shape}"
            )
        return Transpose.apply(self, axes=normalized)

    def permute(self, *axes: int | Sequence[int]) -> Tensor:
        """PyTorch's name for transpose with every axis given: x.permute(0, 2, 3, 1) is NCHW → NHWC."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        if len(axes) != self.ndim:
            raise ValueError(f"permute: expected {self.ndim} axes for a tensor of shape {self.shape}, got {axes}")
        return self.transpose(axes)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def squeeze(self, axis: int | Sequence[int] | None = None) -> Tensor:
        """Drop axes of size 1: all of them, or those in `axis` (each must have size 1, as in NumPy;
        PyTorch skips an axis of another size silently)."""
        axes = (
            normalize_axes("squeeze", axis, self.ndim)
            if axis is not None
            else tuple(a for a, size in enumerate(self.shape) if size == 1)
        )
        if any(self.shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze: axis {axis} of a tensor of shape {self.shape} does not have size 1")
        return Reshape.apply(self, shape=tuple(size for a, size in enumerate(self.shape) if a not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert an axis of size 1 at position `axis` of the result (−1 appends), as PyTorch (np.expand_dims)."""
        axis = normalize_axis("unsqueeze", axis, self.ndim + 1)
        return Reshape.apply(self, shape=self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes start_dim..end_dim into one (all of them by default), as PyTorch's flatten."""
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_axis("flatten", start_dim, self.ndim)
        end = normalize_axis("flatten", end_dim, self.ndim)
        if start > end:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of shape {self.shape}"
            )
        merged = int(np.prod(self.shape[start : end + 1]))
        return Reshape.apply(self, shape=self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """The tensor repeated to `shape` by NumPy's broadcasting rules (np.broadcast_to); the gradient
        sums the copies."""
        shape = tuple(int(s) for s in shape)
        if broadcast_shape("broadcast_to", self.shape, shape) != shape:
            raise ValueError(f"broadcast_to: a tensor of shape {self.shape} cannot be broadcast to {shape}")
        return BroadcastTo.apply(self, shape=shape)

    def expand(self, *sizes: int | Sequence[int]) -> Tensor:
        """PyTorch's broadcast_to, where a size of −1 keeps the size of that axis."""
        if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
            sizes = tuple(sizes[0])
        offset = len(sizes) - self.ndim
        if offset < 0:
            raise ValueError(
                f"expand: {len(sizes)} sizes given for a tensor of shape {self.shape}; expected at least {self.ndim}"
            )
        shape = tuple(self.shape[i - offset] if size == -1 and i >= offset else size for i, size in enumerate(sizes))
        return self.broadcast_to(shape)

    def tile(self, reps: int | Sequence[int]) -> Tensor:
        """The tensor repeated reps[i] times along axis i, as np.tile and torch.tile (fewer reps than
        axes repeat the last axes)."""
        reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
        if not all(isinstance(r, (int, np.integer)) and r >= 0 for r in reps):
            raise ValueError(f"tile: repetitions must be non-negative ints, got {reps}")
        reps = (1,) * (self.ndim - len(reps)) + tuple(int(r) for r in reps)
        return Tile.apply(self, reps=reps)

    def repeat(self, *sizes: int | Sequence[int]) -> Tensor:
        """PyTorch's repeat: tile with one count per axis (NumPy's ndarray.repeat, which repeats each
        entry in place, is a different operation)."""
        if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
            sizes = tuple(sizes[0])
        if len(sizes) < self.ndim:
            raise ValueError(
                f"repeat: {len(sizes)} counts given for a tensor of shape {self.shape}; "
                f"expected at least {self.ndim} (one per axis)"
            )
        return self.tile(sizes)

    def flip(self, axis: int | Sequence[int] | None = None) -> Tensor:
        """The entries in reverse order along `axis` (all axes when None), as np.flip."""
        return Flip.apply(self, axes=normalize_axes("flip", axis, self.ndim))

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
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last axis of "
            f"the first ({inner_a}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} "
            f"axis of the second ({inner_b})"
        )
    try:
        return implementation(MatMul).apply(a, b)
    except ValueError:
        broadcast_shape("matmul (batch axes)", a.shape[:-2], b.shape[:-2])
        raise


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


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Operands of different dtypes made compatible as PyTorch does: an integer or boolean operand
    beside a floating one takes the floating dtype; two floats or two integers are left to NumPy,
    which widens them as PyTorch does (float32 with float64 gives float64)."""
    a_floating, b_floating = a.dtype.kind == "f", b.dtype.kind == "f"
    if a_floating and not b_floating:
        return a, Tensor._from_array(b.data.astype(a.dtype))
    if b_floating and not a_floating:
        return Tensor._from_array(a.data.astype(b.dtype)), b
    return a, b


def _first_operand(a: Any, b: Any) -> Tensor:
    """`a` as a tensor; a Python number takes the dtype of the tensor `b` (see Tensor._lift)."""
    return a if isinstance(a, Tensor) else b._lift(a) if isinstance(b, Tensor) else Tensor(a)


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of a and b entry by entry (broadcast); a tie sends half the gradient to each."""
    return _first_operand(a, b)._binary(Maximum, "maximum", b)


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of a and b entry by entry (broadcast); a tie sends half the gradient to each."""
    return _first_operand(a, b)._binary(Minimum, "minimum", b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Entries of `a` where `cond` is true, of `b` elsewhere (cond is not differentiated)."""
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: cond must be boolean, got dtype {cond.dtype}")
    a = _first_operand(a, b)
    a, b = _promote(a, a._lift(b))
    try:
        return Where.apply(a, b, cond=cond)
    except ValueError:
        broadcast_shape("where", cond.shape, a.shape, b.shape)
        raise
