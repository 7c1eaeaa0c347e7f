"""Neuron Shapley (Ghorbani & Zou, "Neuron Shapley: discovering the responsible neurons", NeurIPS
2020): how much each filter of a convolution layer contributes to the model's performance on a data
set, as a Shapley value (a dense layer's outputs (N, K) work too: its K neurons are the players).

The players are the K filters (output channels) of one layer; a coalition S keeps the filters in S
and removes the others by zeroing their output; v(S) is the model's accuracy (or minus its mean
cross-entropy) on the data set. The Shapley value of filter i averages its marginal contribution
over all orders of the filters:  φᵢ = E_π [v(S_π,i ∪ {i}) − v(S_π,i)], S_π,i the filters before i in π.

Truncated Monte-Carlo estimate (the paper's TMC-Shapley): draw random permutations π; start from
the full model and remove the filters one by one in the order of π; the drop of performance when
filter π_j leaves is its marginal contribution in this permutation (reading π backwards, it is the
gain of adding π_j to the filters after it, so the average is still the Shapley value). Once the
performance is within `tolerance` of that of the model with every filter removed, the remaining
filters of the permutation are given 0: together they could change it by less than the tolerance,
and most permutations stop early. The paper's multi-armed-bandit refinement (sampling more where
the top-k ranking is uncertain) is not implemented: every filter gets the same permutations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minidl
import minidl.functional as F
from minidl.nn import Module
from minidl.progress import progress
from minidl.rng import generator_for
from minidl.shapes import positive_int
from minidl.tensor import Tensor
from minidl.xai.gradients import find_layer
from minidl.xai.targets import SCORE_AXES, check_finite, check_images, explaining

METRICS = ("accuracy", "negative_loss")


@dataclass
class NeuronShapleyValues:
    values: np.ndarray  # (K,) estimated Shapley value of each filter, in units of the metric
    standard_errors: np.ndarray  # (K,) standard error of each mean over the permutations (NaN for one)
    full_performance: float  # v(all filters)
    empty_performance: float  # v(no filter)
    permutations: int
    evaluations: int  # forward passes over the data set made by explain()

    def ranking(self) -> np.ndarray:
        """Filter indices, the most valuable first."""
        return np.argsort(-self.values, kind="stable")


class NeuronShapley:
    """ns = NeuronShapley(model, "features.3", images, labels); result = ns.explain(permutations=30, seed=0);
    ns.performance(kept) evaluates the model with only the filters where kept (K,) is True."""

    def __init__(
        self,
        model: Module,
        layer: Module | str,
        images: np.ndarray,
        labels: np.ndarray,
        metric: str = "accuracy",
        batch_size: int = 256,
    ):
        op = "NeuronShapley"
        self.model = model
        self.layer_name, self.layer = find_layer(op, model, layer)
        self.images = check_images(op, images)
        self.labels = np.asarray(labels)
        if self.labels.shape != (len(self.images),) or self.labels.dtype.kind not in "iu":
            raise ValueError(
                f"{op}: labels must be {len(self.images)} ints (one per image), got "
                f"{self.labels.dtype} {self.labels.shape}"
            )
        if metric not in METRICS:
            raise ValueError(f"{op}: metric must be one of {', '.join(METRICS)}, got {metric!r}")
        self.metric, self.batch_size = metric, positive_int(op, "batch_size", batch_size)
        self.num_filters = self._count_filters()
        self.full_performance = self.performance(np.ones(self.num_filters, bool))

    def _count_filters(self) -> int:
        shapes: list[tuple[int, ...]] = []
        handle = self.layer.register_forward_hook(lambda module, inputs, output: shapes.append(output.shape))
        try:
            with explaining(self.model), minidl.no_grad():
                scores = self.model(Tensor(self.images[:1])).data
        finally:
            handle.remove()
        if not shapes or len(shapes[0]) < 2:
            raise ValueError(
                f"NeuronShapley: layer {self.layer_name!r} must output (N, K, ...) with K filters; "
                f"it gave {shapes[0] if shapes else 'nothing'}"
            )
        if self.labels.size and (self.labels.min() < 0 or self.labels.max() >= scores.shape[1]):
            raise ValueError(
                f"NeuronShapley: labels must lie in [0, {scores.shape[1] - 1}], got "
                f"{self.labels.min()}..{self.labels.max()}"
            )
        return shapes[0][1]

    def performance(self, kept: np.ndarray) -> float:
        """v(S): the metric on the data set with the filters where kept (K,) is False zeroed."""
        kept = np.asarray(kept, dtype=bool)
        if kept.shape != (self.num_filters,):
            raise ValueError(f"NeuronShapley.performance: kept must be {self.num_filters} booleans, got {kept.shape}")

        def remove_filters(module: Module, inputs: tuple, output: Tensor) -> Tensor:
            mask = kept.astype(output.dtype).reshape(1, -1, *([1] * (output.ndim - 2)))
            return output * Tensor(mask)

        handle = self.layer.register_forward_hook(remove_filters)
        try:
            with explaining(self.model), minidl.no_grad():
                scores = np.concatenate(
                    [
                        self.model(Tensor(self.images[i : i + self.batch_size])).data
                        for i in range(0, len(self.images), self.batch_size)
                    ]
                )
        finally:
            handle.remove()
        check_finite("NeuronShapley", "the model's scores", scores, SCORE_AXES)
        if self.metric == "accuracy":
            return float(np.mean(scores.argmax(axis=1) == self.labels))
        return -float(F.cross_entropy(Tensor(scores.astype(np.float64)), self.labels).item())

    def explain(self, permutations: int = 30, tolerance: float = 0.01, seed: int | None = None) -> NeuronShapleyValues:
        """Truncated Monte-Carlo Shapley values of the layer's filters from `permutations` random
        orders; seed None draws from minidl's global generator (minidl.manual_seed)."""
        permutations = positive_int("NeuronShapley", "permutations", permutations)
        if not tolerance >= 0:
            raise ValueError(f"NeuronShapley: tolerance must be >= 0, got {tolerance}")
        rng = generator_for(seed)
        count = self.num_filters
        full = self.full_performance
        empty = self.performance(np.zeros(count, bool))
        contributions = np.zeros((permutations, count))
        evaluations = 1
        for p in progress(range(permutations), "Neuron Shapley", unit="permutation"):
            kept, previous = np.ones(count, bool), full
            for filter_index in rng.permutation(count):
                if abs(previous - empty) < tolerance:
                    break  # truncated: what is left of this permutation shares less than `tolerance`
                kept[filter_index] = False
                current = empty if not kept.any() else self.performance(kept)
                evaluations += int(kept.any())
                contributions[p, filter_index] = previous - current
                previous = current
        spread = contributions.std(axis=0, ddof=1) if permutations > 1 else np.full(count, np.nan)
        return NeuronShapleyValues(
            contributions.mean(axis=0), spread / np.sqrt(permutations), full, empty, permutations, evaluations
        )
