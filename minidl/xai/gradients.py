"""Gradients of the explained score — the class logit y_c, or y_c − y_c′ against a contrast class —
with respect to the input image or to the output of one layer, and that layer's activations.
Saliency, SmoothGrad and Integrated Gradients differentiate with respect to the input; Grad-CAM,
TCAV and regression concept vectors with respect to a layer."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import minidl
from minidl.nn import Module
from minidl.tensor import Tensor
from minidl.xai.targets import (
    SCORE_AXES,
    Contrast,
    Target,
    check_finite,
    explained_scores,
    explaining,
    resolve_contrasts,
    resolve_targets,
)


class LayerGradients(NamedTuple):
    scores: np.ndarray  # (N, classes) the model's outputs
    targets: np.ndarray  # (N,) the class explained
    contrasts: np.ndarray | None  # (N,) the class it is explained against, or None
    activations: np.ndarray  # the layer's output A, float64 (N, ...)
    gradients: np.ndarray  # ∂score/∂A, float64, the shape of A


def find_layer(op: str, model: Module, target_layer: Module | str) -> tuple[str, Module]:
    """(name, module) of a layer given as a module of the model or its name."""
    named = dict(model.named_modules())
    if isinstance(target_layer, str):
        if target_layer not in named:
            raise ValueError(
                f"{op}: the model has no layer named {target_layer!r}; its layers are "
                f"{', '.join(repr(n) for n in named if n)}"
            )
        return target_layer, named[target_layer]
    for name, module in named.items():
        if module is target_layer:
            return name, module
    raise ValueError(
        f"{op}: target_layer {type(target_layer).__name__} is not a layer of this model; pass one of "
        f"its modules or its name, e.g. {', '.join(repr(n) for n in list(named)[1:4])}"
    )


def explained_classes(
    op: str, model: Module, images: np.ndarray, target: Target, contrast: Contrast = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(targets (N,), contrasts (N,) or None) chosen on checked images (N, C, H, W) by one forward
    pass; methods that average gradients over other images (a path, noisy copies) keep them fixed."""
    with explaining(model), minidl.no_grad():
        scores = model(Tensor(images)).data
    check_finite(op, "the model's scores", scores, SCORE_AXES)
    targets = resolve_targets(op, scores, target)
    return targets, resolve_contrasts(op, scores, targets, contrast)


def input_gradients(
    op: str, model: Module, images: np.ndarray, target: Target, contrast: Contrast = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂score/∂x (N, C, H, W) float64, scores (N, classes), targets (N,)) for checked images.
    Samples do not interact in evaluation mode, so one backward pass of Σₙ scoreₙ gives every
    sample its own gradient."""
    with explaining(model):
        inputs = Tensor(images, requires_grad=True)
        scores = model(inputs)
        explained, targets, _ = explained_scores(op, scores, target, contrast)
        explained.sum().backward()
    return inputs.grad.astype(np.float64), scores.data, targets


def layer_gradients(
    op: str,
    model: Module,
    layer_name: str,
    layer: Module,
    images: np.ndarray,
    target: Target,
    contrast: Contrast = None,
) -> LayerGradients:
    """The layer's output A and ∂score/∂A for checked images (N, C, H, W)."""
    captured: list[Tensor] = []

    def keep_output(module: Module, inputs: tuple, output: Tensor) -> None:
        if isinstance(output, Tensor):
            captured.append(output.retain_grad())

    with explaining(model):
        handle = layer.register_forward_hook(keep_output)
        try:
            scores = model(Tensor(images, requires_grad=True))
        finally:
            handle.remove()
        if not captured:
            raise ValueError(
                f"{op}: layer {layer_name!r} ({type(layer).__name__}) did not output a Tensor in the "
                "model's forward pass"
            )
        explained, targets, contrasts = explained_scores(op, scores, target, contrast)
        explained.sum().backward()
    output = captured[-1]
    activations = output.data.astype(np.float64)
    gradients = (
        np.zeros_like(activations)
        if output.grad is None  # None: the score does not depend on it
        else output.grad.astype(np.float64)
    )
    return LayerGradients(scores.data, targets, contrasts, activations, gradients)


def layer_activations(
    op: str, model: Module, layer_name: str, layer: Module, images: np.ndarray, batch_size: int = 256
) -> np.ndarray:
    """The layer's outputs for checked images, flattened to (N, D) float64, without a graph."""
    captured: list[np.ndarray] = []
    with explaining(model), minidl.no_grad():
        handle = layer.register_forward_hook(lambda module, inputs, output: captured.append(output.data))
        try:
            for start in range(0, len(images), batch_size):
                model(Tensor(images[start : start + batch_size]))
        finally:
            handle.remove()
    if len(captured) != -(-len(images) // batch_size):
        raise ValueError(f"{op}: layer {layer_name!r} did not run exactly once per forward pass")
    activations = np.concatenate([a.reshape(len(a), -1) for a in captured]).astype(np.float64)
    check_finite(op, f"the activations of layer {layer_name!r}", activations, ("sample", "unit"))
    return activations
