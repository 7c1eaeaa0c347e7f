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
from minidl.xai.gradients import find_layer, layer_gradients
from minidl.xai.resize import resize_bilinear
from minidl.xai.targets import Contrast, Target, check_images

NORMALISATION_EPS = 1e-7
PLUS_PLUS_EPS = 1e-6


def scaled_to_input(raw: np.ndarray, height: int, width: int) -> np.ndarray:
    """Maps (N, h, w) each scaled to [0, 1] by (L − min) / (max − min + 10⁻⁷), then resized to
    (N, height, width) bilinearly: how every class activation map here is shown."""
    low = raw.min(axis=(1, 2), keepdims=True)
    high = raw.max(axis=(1, 2), keepdims=True)
    return resize_bilinear((raw - low) / (high - low + NORMALISATION_EPS), height, width)


class CAMResult(NamedTuple):
    """Every step of the computation, for lessons that show them one by one."""

    scores: np.ndarray  # (N, classes) the model's outputs
    targets: np.ndarray  # (N,) the class each map explains
    activations: np.ndarray  # (N, K, h, w) the layer's output A
    gradients: np.ndarray  # (N, K, h, w) ∂y_c/∂A (∂(y_c − y_c′)/∂A with a contrast)
    weights: np.ndarray  # (N, K) α_k
    raw: np.ndarray  # (N, h, w) ReLU(Σ_k α_k A_k), before scaling and resizing
    cam: np.ndarray  # (N, H, W) in [0, 1], the size of the input


class GradCAM:
    """cam = GradCAM(model, "features.3"); maps = cam(images, target=None)  → (N, H, W) in [0, 1].
    cam(images, target=1, contrast=0) explains class 1 against class 0: y_1 − y_0 instead of y_1."""

    def __init__(self, model: Module, target_layer: Module | str):
        self.model = model
        self.layer_name, self.layer = find_layer(type(self).__name__, model, target_layer)

    def channel_weights(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        """α_k: the spatial mean of the gradient of each channel."""
        return gradients.mean(axis=(2, 3))

    def explain(self, x: np.ndarray, target: Target = None, contrast: Contrast = None) -> CAMResult:
        op = type(self).__name__
        images = check_images(op, x)
        found = layer_gradients(op, self.model, self.layer_name, self.layer, images, target, contrast)
        if found.activations.ndim != 4:
            raise ValueError(
                f"{op}: layer {self.layer_name!r} ({type(self.layer).__name__}) must output feature "
                f"maps (N, K, h, w); it gave {found.activations.shape}"
            )
        weights = self.channel_weights(found.activations, found.gradients)
        raw = np.maximum(np.einsum("nk,nkhw->nhw", weights, found.activations), 0.0)
        cam = scaled_to_input(raw, *images.shape[2:])
        return CAMResult(found.scores, found.targets, found.activations, found.gradients, weights, raw, cam)

    def __call__(self, x: np.ndarray, target: Target = None, contrast: Contrast = None) -> np.ndarray:
        return self.explain(x, target, contrast).cam


class GradCAMPlusPlus(GradCAM):
    """Grad-CAM++: pixel-wise weights a_kij let several instances of a class all count."""

    def channel_weights(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        g2 = gradients**2
        g3 = g2 * gradients
        activation_sums = activations.sum(axis=(2, 3), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = g2 / (2 * g2 + activation_sums * g3 + PLUS_PLUS_EPS)
        a = np.where(gradients != 0, a, 0.0)
        return (a * np.maximum(gradients, 0.0)).sum(axis=(2, 3))
