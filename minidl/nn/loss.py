"""Loss modules for the slide's three tasks: regression (MSELoss, L1Loss), binary classification
(BCELoss on probabilities, BCEWithLogitsLoss on logits) and multiclass classification
(CrossEntropyLoss on logits, NLLLoss on log-probabilities). Called as loss(input, target).
Constructors take PyTorch's arguments (weight, ignore_index, label_smoothing, pos_weight)."""

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
    """pos_weight (e.g. one weight per class) multiplies the loss of the positive targets."""

    def __init__(self, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, self.pos_weight)


class NLLLoss(Loss):
    """weight: one weight per class; targets equal to ignore_index count for nothing."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(NLLLoss):
    """NLLLoss of log_softmax(input), with label_smoothing ε mixing ε/C into every target."""

    def __init__(
        self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)
