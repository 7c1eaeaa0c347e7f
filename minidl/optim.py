"""Optimizers: SGD (with momentum, dampening, weight decay, Nesterov) and Adam, with PyTorch's
update formulas to the letter, so the same start and data give the same trajectory.

SGD, for gradient g of parameter p (PyTorch's torch.optim.SGD):
    g ← g + λp                                   (weight_decay λ)
    b ← g at the first step, then μb + (1 − τ)g  (momentum μ, dampening τ)
    g ← g + μb if nesterov else b
    p ← p − αg                                   (the slide's w(t+1) = w(t) − α∇l when μ = λ = 0)

Adam (Kingma & Ba 2015, as torch.optim.Adam):
    g ← g + λp;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
    p ← p − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

import numpy as np

from minidl.tensor import Tensor


class Optimizer:
    defaults: dict[str, Any]

    def __init__(self, params: Iterable[Tensor], **settings: Any):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{type(self).__name__}: parameter {i} is not a tensor that requires grad")
        if settings.get("lr", 0) < 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be >= 0, got {settings['lr']}")
        self.settings = settings
        self.state: dict[int, dict[str, Any]] = {}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for index, p in enumerate(self.params):
            if p.grad is not None:
                self._update(p, p.grad, self.state.setdefault(index, {}))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Settings and per-parameter state (by parameter index), for resuming training."""
        return {"settings": dict(self.settings), "state": {str(i): copy.deepcopy(s) for i, s in self.state.items()}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        name = f"{type(self).__name__}.load_state_dict"
        if "state" not in state_dict or "settings" not in state_dict:
            raise ValueError(f"{name}: expected a dict with 'settings' and 'state', got keys {sorted(state_dict)}")
        unknown = set(state_dict["settings"]) - set(self.settings)
        if unknown:
            raise ValueError(f"{name}: settings {sorted(unknown)} do not belong to {type(self).__name__}")
        for key in state_dict["state"]:
            if not 0 <= int(key) < len(self.params):
                raise ValueError(
                    f"{name}: state for parameter {key}, but the optimizer has {len(self.params)} parameters"
                )
        self.settings.update(state_dict["settings"])
        self.state = {
            int(k): {name: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for name, v in s.items()}
            for k, s in state_dict["state"].items()
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.settings.items())})"


class SGD(Optimizer):
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(
            params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        s = self.settings
        if s["weight_decay"]:
            grad = grad + s["weight_decay"] * p.data
        if s["momentum"]:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = grad.copy()
            else:
                buffer = s["momentum"] * buffer + (1 - s["dampening"]) * grad
            state["momentum_buffer"] = buffer
            grad = grad + s["momentum"] * buffer if s["nesterov"] else buffer
        p.data -= (s["lr"] * grad).astype(p.dtype, copy=False)


class Adam(Optimizer):
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        super().__init__(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        s = self.settings
        beta1, beta2 = s["betas"]
        if s["weight_decay"]:
            grad = grad + s["weight_decay"] * p.data
        step = state.get("step", 0) + 1
        exp_avg = beta1 * state.get("exp_avg", np.zeros_like(p.data)) + (1 - beta1) * grad
        exp_avg_sq = beta2 * state.get("exp_avg_sq", np.zeros_like(p.data)) + (1 - beta2) * grad * grad
        state.update(step=step, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
        step_size = s["lr"] / (1 - beta1**step)
        denominator = np.sqrt(exp_avg_sq) / np.sqrt(1 - beta2**step) + s["eps"]
        p.data -= (step_size * exp_avg / denominator).astype(p.dtype, copy=False)
