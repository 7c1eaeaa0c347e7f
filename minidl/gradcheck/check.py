"""Numerical gradient checking: does backward agree with finite differences of forward?

For a scalar function L(x), the central difference (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε approximates
∂L/∂xᵢ with an error of order ε² (truncation) plus order u/ε (round-off, u the unit round-off):
float64 and ε ≈ 1e-6 make both small. A tensor output y is turned into the scalar L = Σ r·y with a
fixed random r, which checks the whole vector-Jacobian product `backward(r)` at once.

Checking entry by entry costs two calls of fn per input entry. The directional check of HIPS
autograd costs two calls per direction whatever the size: for a random unit direction v,
⟨∇L, v⟩ must equal (L(x + εv) − L(x − εv)) / 2ε.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from minidl.autograd import no_grad
from minidl.tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message lists the worst entries."""


def _float64_copies(inputs: Sequence[Any]) -> list[Any]:
    """float64 copies of the floating tensors (keeping requires_grad); other arguments as they are."""
    copies = []
    for value in inputs:
        if isinstance(value, Tensor) and value.dtype.kind == "f":
            value = Tensor(value.data.astype(np.float64), requires_grad=value.requires_grad)
        copies.append(value)
    return copies


def _projected_output(fn: Callable[..., Tensor], args: list[Any], weights: np.ndarray | None) -> tuple[Tensor, float]:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if weights is not None and out.shape != weights.shape:
        raise ValueError(f"gradcheck: fn's output changed shape from {weights.shape} to {out.shape}")
    value = float(np.sum(out.data * weights)) if weights is not None else float(out.data.sum())
    return out, value


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    directional: bool = False,
    num_directions: int = 4,
    seed: int = 0,
) -> bool:
    """Compare the gradients of fn(*inputs) from backward with central differences, in float64.

    inputs: the arguments of fn; the tensors with requires_grad=True are checked (as float64
        copies, so fn must keep the dtype it is given). Other arguments pass through unchanged.
    An entry passes when |analytic − numeric| <= atol + rtol·|numeric|.
    directional: check `num_directions` random directions instead of every entry (for big inputs).
    Returns True when everything passes; otherwise raises GradcheckError with a report of the
    worst entries, or returns False when raise_exception=False.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    args = _float64_copies(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if not np.all(np.isfinite(args[i].data)):
            raise ValueError(
                f"gradcheck: input {i} (shape {args[i].shape}) holds NaN or infinite "
                "values; finite differences need finite inputs"
            )
    rng = np.random.default_rng(seed)

    out, _ = _projected_output(fn, args, None)
    if not out.requires_grad:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad")
    weights = np.ones_like(out.data) if out.size == 1 else rng.standard_normal(out.shape)
    out.backward(weights)
    analytic = {i: np.zeros_like(args[i].data) if args[i].grad is None else args[i].grad for i in checked}

    def loss() -> float:
        with no_grad():
            return _projected_output(fn, args, weights)[1]

    if directional:
        rows = _check_directions(loss, args, checked, analytic, eps, num_directions, rng)
    else:
        rows = _check_entries(loss, args, checked, analytic, eps)
    failures = [r for r in rows if abs(r["analytic"] - r["numeric"]) > atol + rtol * abs(r["numeric"])]
    if not failures:
        return True
    if not raise_exception:
        return False
    raise GradcheckError(_report(failures, len(rows), atol, rtol, eps))


def _check_entries(
    loss: Callable[[], float], args: list[Any], checked: list[int], analytic: dict[int, np.ndarray], eps: float
) -> list[dict[str, Any]]:
    rows = []
    for i in checked:
        flat = args[i].data.reshape(-1)  # a view: perturbing it perturbs the input
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            upper = loss()
            flat[k] = original - eps
            lower = loss()
            flat[k] = original
            where = tuple(int(j) for j in np.unravel_index(k, args[i].shape))
            rows.append(
                {
                    "where": f"input {i} (shape {args[i].shape}) at {where}",
                    "analytic": float(analytic[i].reshape(-1)[k]),
                    "numeric": (upper - lower) / (2 * eps),
                }
            )
    return rows


def _check_directions(
    loss: Callable[[], float],
    args: list[Any],
    checked: list[int],
    analytic: dict[int, np.ndarray],
    eps: float,
    num_directions: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    rows = []
    originals = {i: args[i].data.copy() for i in checked}
    for d in range(num_directions):
        direction = {i: rng.standard_normal(args[i].shape) for i in checked}
        norm = np.sqrt(sum(np.sum(v * v) for v in direction.values()))
        direction = {i: v / norm for i, v in direction.items()}
        values = []
        for sign in (1.0, -1.0):
            for i in checked:
                args[i].data[...] = originals[i] + sign * eps * direction[i]
            values.append(loss())
        for i in checked:
            args[i].data[...] = originals[i]
        rows.append(
            {
                "where": f"random direction {d}",
                "analytic": float(sum(np.sum(analytic[i] * direction[i]) for i in checked)),
                "numeric": (values[0] - values[1]) / (2 * eps),
            }
        )
    return rows


def _report(failures: list[dict[str, Any]], total: int, atol: float, rtol: float, eps: float) -> str:
    worst = sorted(failures, key=lambda r: abs(r["analytic"] - r["numeric"]) - rtol * abs(r["numeric"]), reverse=True)[
        :5
    ]
    lines = [
        f"gradcheck failed: {len(failures)} of {total} checks disagree "
        f"(allowed |analytic - numeric| <= {atol:g} + {rtol:g}·|numeric|, eps={eps:g}); worst:"
    ]
    for r in worst:
        lines.append(
            f"  {r['where']}: analytic {r['analytic']:.8g}, numeric {r['numeric']:.8g}, "
            f"|difference| {abs(r['analytic'] - r['numeric']):.3g}"
        )
    return "\n".join(lines)
