"""Grad-CAM (Selvaraju et al., "Grad-CAM: visual explanations from deep networks via gradient-based
localization", ICCV 2017) and Grad-CAM++ (Chattopadhyay et al., arXiv:1710.11063).

For the activations A (N, K, h, w) of a convolutional layer and g = ∂y_c/∂A:

    Grad-CAM     α_k = (1 / hw) Σ_ij g_kij                       (global average of the gradient)
    Grad-CAM++   α_k = Σ_ij a_kij · ReLU(g_kij),  a_kij = g² / (2g² + Σ_ab A_kab · g³ + 10⁻⁶)
                 where g ≠ 0 and 0 elsewhere (eq. 19 of the paper)
    map          L = ReLU(Σ_k α_k A_k)

then, as the widely used pytorch-grad-cam does, each map is scaled to [0, 1] by
(L − min) / (max − min + 10⁻⁷) and resized to the input with bilinear interpolation at half-pixel
centres (OpenCV's INTER_LINEAR).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from minidl.nn import Module
from minidl.tensor import Tensor
from minidl.xai.resize import resize_bilinear
from minidl.xai.targets import Target, check_images, explaining, resolve_targets

NORMALISATION_EPS = 1e-7
PLUS_PLUS_EPS = 1e-6


class CAMResult(NamedTuple):
    """Every step of the computation, for lessons that show them one by one."""
    scores: np.ndarray       # (N, classes) the model's outputs
    targets: np.ndarray      # (N,) the class each map explains
    activations: np.ndarray  # (N, K, h, w) the layer's output A
    gradients: np.ndarray    # (N, K, h, w) ∂y_c/∂A
    weights: np.ndarray      # (N, K) α_k
    raw: np.ndarray          # (N, h, w) ReLU(Σ_k α_k A_k), before scaling and resizing
    cam: np.ndarray          # (N, H, W) in [0, 1], the size of the input


def _find_layer(model: Module, target_layer: Module | str) -> tuple[str, Module]:
    named = dict(model.named_modules())
    if isinstance(target_layer, str):
        if target_layer not in named:
            raise ValueError(f"GradCAM: the model has no layer named {target_layer!r}; its layers are "
                             f"{', '.join(repr(n) for n in named if n)}")
        return target_layer, named[target_layer]
    for name, module in named.items():
        if module is target_layer:
            return name, module
    raise ValueError(f"GradCAM: target_layer {type(target_layer).__name__} is not a layer of this model; pass one of "
                     f"its modules or its name, e.g. {', '.join(repr(n) for n in list(named)[1:4])}")


class GradCAM:
    """cam = GradCAM(model, "features.3"); maps = cam(images, target=None)  → (N, H, W) in [0, 1]."""

    def __init__(self, model: Module, target_layer: Module | str):
        self.model = model
        self.layer_name, self.layer = _find_layer(model, target_layer)

    def channel_weights(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        """α_k: the spatial mean of the gradient of each channel."""
        return gradients.mean(axis=(2, 3))

    def explain(self, x: np.ndarray, target: Target = None) -> CAMResult:
        op = type(self).__name__
        images = check_images(op, x)
        captured: list[Tensor] = []

        def keep_output(module: Module, inputs: tuple, output: Tensor) -> None:
            if not isinstance(output, Tensor) or output.ndim != 4:
                raise ValueError(f"{op}: layer {self.layer_name!r} ({type(module).__name__}) must output feature maps "
                                 f"(N, K, h, w); it gave {getattr(output, 'shape', type(output).__name__)}")
            captured.append(output.retain_grad())

        with explaining(self.model):
            handle = self.layer.register_forward_hook(keep_output)
            try:
                scores = self.model(Tensor(images, requires_grad=True))
            finally:
                handle.remove()
            if not captured:
                raise ValueError(f"{op}: layer {self.layer_name!r} did not run in the model's forward pass")
            targets = resolve_targets(op, scores.data, target)
            scores[np.arange(len(targets)), targets].sum().backward()
        layer_output = captured[-1]
        activations = layer_output.data.astype(np.float64)
        gradients = (np.zeros_like(activations) if layer_output.grad is None
                     else layer_output.grad.astype(np.float64))  # None: the class score does not depend on it
        weights = self.channel_weights(activations, gradients)
        raw = np.maximum(np.einsum("nk,nkhw->nhw", weights, activations), 0.0)
        low = raw.min(axis=(1, 2), keepdims=True)
        high = raw.max(axis=(1, 2), keepdims=True)
        scaled = (raw - low) / (high - low + NORMALISATION_EPS)
        cam = resize_bilinear(scaled, *images.shape[2:])
        return CAMResult(scores.data, targets, activations, gradients, weights, raw, cam)

    def __call__(self, x: np.ndarray, target: Target = None) -> np.ndarray:
        return self.explain(x, target).cam


class GradCAMPlusPlus(GradCAM):
    """Grad-CAM++: pixel-wise weights a_kij let several instances of a class all count."""

    def channel_weights(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        g2 = gradients ** 2
        g3 = g2 * gradients
        activation_sums = activations.sum(axis=(2, 3), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = g2 / (2 * g2 + activation_sums * g3 + PLUS_PLUS_EPS)
        a = np.where(gradients != 0, a, 0.0)
        return (a * np.maximum(gradients, 0.0)).sum(axis=(2, 3))
