"""Class Activation Mapping, CAM (Zhou, Khosla, Lapedriza, Oliva & Torralba, "Learning deep features
for discriminative localization", CVPR 2016): the map Grad-CAM generalises.

For a network whose last convolutional feature maps A^k (K maps of h × w) go through global average
pooling and one linear layer, the score of class c is (eq. 1-2 of the paper)

    y_c = Σ_k w_k^c · (1 / hw) Σ_ij A^k_ij + b_c = (1 / hw) Σ_ij M_c(i, j) + b_c,
    M_c = Σ_k w_k^c A^k                                                      the class activation map,

so M_c(i, j) is exactly how much position (i, j) adds to the score (divided by hw): the map is part
of the network's own computation, not a story told after it. That makes CAM ante-hoc-ish: the model
must be built for it (GAP + linear at the end), and the explanation costs one forward pass and no
gradient. Explained against a contrast class c′, the weights are w^c − w^c′ and the map adds up to
y_c − y_c′ the same way.

Grad-CAM on the same layer of such a network finds ∂y_c/∂A^k_ij = w_k^c / hw at every position, so
its weights are α_k^c = w_k^c / hw and its map before the ReLU is M_c / hw (Selvaraju et al. 2017,
§3.1). For display, cam(x) does what GradCAM does: ReLU, each map scaled to [0, 1] by
(L − min) / (max − min + 10⁻⁷), then resized bilinearly to the input.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import minidl
from minidl.nn import Linear, Module
from minidl.tensor import Tensor
from minidl.xai.gradcam import scaled_to_input
from minidl.xai.gradients import find_layer
from minidl.xai.targets import (
    SCORE_AXES,
    Contrast,
    Target,
    check_finite,
    check_images,
    explaining,
    resolve_contrasts,
    resolve_targets,
)

# The linear layer's input must be the spatial mean of A up to float32 rounding: its difference from
# the mean computed here in float64, relative to the largest |A|.
POOLING_TOLERANCE = 1e-5


class CAMExplanation(NamedTuple):
    """Every step of CAM, for lessons that show them one by one."""

    scores: np.ndarray  # (N, classes) the model's outputs
    targets: np.ndarray  # (N,) the class each map explains
    activations: np.ndarray  # (N, K, h, w) the feature maps A that the pooling averages, float64
    weights: np.ndarray  # (N, K) w_k^c of the linear layer (w^c − w^c′ with a contrast)
    bias: np.ndarray  # (N,) b_c (b_c − b_c′ with a contrast); the score is class_map.mean() + bias
    class_map: np.ndarray  # (N, h, w) M_c = Σ_k w_k^c A^k, signed, before any ReLU
    raw: np.ndarray  # (N, h, w) ReLU(M_c), before scaling and resizing
    cam: np.ndarray  # (N, H, W) in [0, 1], the size of the input


class CAM:
    """cam = CAM(model, "features.7"); maps = cam(images, target=None)  → (N, H, W) in [0, 1].
    target_layer is the layer whose feature maps the global average pooling averages; the model
    must end there: global average pooling, then one Linear layer whose output is the model's output.
    cam(images, target=1, contrast=0) explains class 1 against class 0: y_1 − y_0 instead of y_1."""

    def __init__(self, model: Module, target_layer: Module | str):
        self.model = model
        self.layer_name, self.layer = find_layer("CAM", model, target_layer)

    def explain(self, x: np.ndarray, target: Target = None, contrast: Contrast = None) -> CAMExplanation:
        images = check_images("CAM", x)
        activations, linear, scores = self._forward(images)
        check_finite("CAM", "the model's scores", scores, SCORE_AXES)
        targets = resolve_targets("CAM", scores, target)
        contrasts = resolve_contrasts("CAM", scores, targets, contrast)
        head = linear.weight.data.astype(np.float64)
        offsets = np.zeros(len(head)) if linear.bias is None else linear.bias.data.astype(np.float64)
        weights, bias = head[targets], offsets[targets]
        if contrasts is not None:
            weights, bias = weights - head[contrasts], bias - offsets[contrasts]
        class_map = np.einsum("nk,nkhw->nhw", weights, activations)
        raw = np.maximum(class_map, 0.0)
        cam = scaled_to_input(raw, *images.shape[2:])
        return CAMExplanation(scores, targets, activations, weights, bias, class_map, raw, cam)

    def __call__(self, x: np.ndarray, target: Target = None, contrast: Contrast = None) -> np.ndarray:
        return self.explain(x, target, contrast).cam

    def _forward(self, images: np.ndarray) -> tuple[np.ndarray, Linear, np.ndarray]:
        """One forward pass that records every layer's call, then the check that the model ends in
        global average pooling of the target layer's maps and a Linear layer giving its output.
        Returns (A float64, the Linear layer, the scores)."""
        calls: list[tuple[str, Module, tuple, object]] = []
        handles = [
            module.register_forward_hook(lambda m, inputs, output, name=name: calls.append((name, m, inputs, output)))
            for name, module in self.model.named_modules()
            if name
        ]
        try:
            with explaining(self.model), minidl.no_grad():
                output = self.model(Tensor(images))
        finally:
            for handle in handles:
                handle.remove()
        scores = np.asarray(getattr(output, "data", output))
        layer_calls = [i for i, (name, *_) in enumerate(calls) if name == self.layer_name]
        if not layer_calls:
            raise ValueError(f"CAM: layer {self.layer_name!r} did not run in the model's forward pass")
        after = layer_calls[-1]
        feature_maps = calls[after][3]
        if not isinstance(feature_maps, Tensor) or feature_maps.ndim != 4:
            raise ValueError(
                f"CAM: layer {self.layer_name!r} ({type(self.layer).__name__}) must output feature maps "
                f"(N, K, h, w); it gave {getattr(feature_maps, 'shape', type(feature_maps).__name__)}"
            )
        ran_after = [(name, module) for name, module, _, _ in calls[after + 1 :] if not list(module.children())]
        found = ", ".join(f"{name!r} {type(module).__name__}" for name, module in ran_after) or "nothing"
        final = [i for i, (_, module, _, out) in enumerate(calls) if isinstance(module, Linear) and out is output]
        if not final or final[-1] <= after:
            raise ValueError(
                f"CAM needs a model that ends in global average pooling and one Linear layer, whose output is "
                f"the model's output; after layer {self.layer_name!r} ran: {found}"
            )
        linear_name, linear, inputs, _ = calls[final[-1]]
        activations = feature_maps.data.astype(np.float64)
        pooled = np.asarray(inputs[0].data, dtype=np.float64)
        mean = activations.mean(axis=(2, 3))
        scale = max(float(np.abs(activations).max()), np.finfo(np.float64).tiny)
        if pooled.shape != mean.shape or np.abs(pooled - mean).max() > POOLING_TOLERANCE * scale:
            between = [f"{name!r} {type(module).__name__}" for name, module in ran_after if name != linear_name]
            raise ValueError(
                f"CAM needs the input of the final Linear layer {linear_name!r} to be the global average of the "
                f"feature maps of layer {self.layer_name!r} {feature_maps.shape}: it is {inputs[0].shape}"
                + ("" if pooled.shape != mean.shape else ", other numbers than their spatial means")
                + f"; between them ran: {', '.join(between) or 'nothing'}"
            )
        return activations, linear, scores
