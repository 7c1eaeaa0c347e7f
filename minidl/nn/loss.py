"""Loss modules for the slide's three tasks: regression (MSELoss, L1Loss), binary classification
(BCELoss on probabilities, BCEWithLogitsLoss on logits) and multiclass classification
(CrossEntropyLoss on logits, NLLLoss on log-probabilities). Called as loss(input, target)."""
from __future__ import annotations

from typing import Any, Callable

from minidl import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Loss(Module):
    function: Callable[..., Tensor]

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return type(self).function(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(Loss):
    function = staticmethod(F.mse_loss)


class L1Loss(Loss):
    function = staticmethod(F.l1_loss)


class BCELoss(Loss):
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(Loss):
    function = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(Loss):
    function = staticmethod(F.cross_entropy)


class NLLLoss(Loss):
    function = staticmethod(F.nll_loss)
