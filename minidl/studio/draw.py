"""The Draw page's model: the shipped LeNet-5, its class probabilities for a 28×28 digit, and six
explanations of one class — four from its gradients: saliency, Grad-CAM, Grad-CAM++ (at the ReLU
after the last convolution) and Integrated Gradients (from black); two from its answers on
perturbed copies, over the same grid superpixels: LIME and Kernel SHAP.

One model serves every browser's gradient maps. They hook into the model and switch its
parameters' requires_grad while they run, so these calls are serialised by a lock (each takes a
few milliseconds). LIME and Kernel SHAP only run forward passes without a graph, hundreds of
images per explanation; they use their own copy of the weights, on which nothing is ever hooked,
so several of them run at once without holding up the gradient maps.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from minidl.inference import predict, probabilities
from minidl.studio.convnet import GRADCAM_LAYER
from minidl.studio.preprocess import SIZE
from minidl.studio.weights import load_trained_lenet
from minidl.xai import (
    GradCAM,
    GradCAMPlusPlus,
    KernelShapExplainer,
    LimeImageExplainer,
    integrated_gradients,
    saliency,
)

CELL_SIZES = (2, 4, 7, 14)  # divisors of 28, so that every superpixel is a whole square
DEFAULT_CELL_SIZE = 4
MIN_SAMPLES, MAX_SAMPLES = 10, 2000
# Kernel SHAP's regression (minidl.xai.kernel_shap) has one unknown per cell but one: with fewer
# independent samples lstsq returns a minimum-norm solution and the constraint Σφ = v(N) − v(∅) puts
# what is left on the last cell, a map made up. Each coalition is drawn with its complement, whose
# row in that regression is the same row negated, so a pair adds one direction: at least 2 × (cells
# − 1) samples. The kernel draws the sizes 1 and cells − 1 most often, so the same few coalitions
# recur: 2 samples per cell left the regression short of full rank in 32 % to 80 % of 50 seeds per
# cell size, 4 per cell in none of 200. The explainer itself asks only for 2 samples.
KERNEL_SHAP_SAMPLES_PER_CELL = 4
# Samples by default: LIME fits 49 cells (of 4×4) with a ridge penalty and reads well from 200;
# Kernel SHAP has no penalty and its weights come from the sampled coalitions' sizes alone, so it
# needs more for a steady estimate. Both predict in the explainers' batches of 100 images, which
# keeps a request's memory small however many samples it asks for.
DEFAULT_SAMPLES = {"lime": 200, "kernel_shap": 1000}
IG_STEPS = 50  # points on the path from black to the digit (midpoint rule)


def milliseconds_since(started: float) -> float:
    """The time since started (a time.perf_counter() reading), in ms."""
    return 1000 * (time.perf_counter() - started)


def fewest_samples(method: str, cell_size: int) -> int:
    """The fewest num_samples the Draw page takes for LIME or Kernel SHAP (method "lime",
    "kernel_shap") over cells of cell_size × cell_size pixels."""
    cells = (SIZE // cell_size) ** 2
    return max(MIN_SAMPLES, KERNEL_SHAP_SAMPLES_PER_CELL * cells) if method == "kernel_shap" else MIN_SAMPLES


class DigitExplainer:
    def __init__(self) -> None:
        self.model = load_trained_lenet()
        self.forward_only_model = load_trained_lenet()
        self.gradcam = GradCAM(self.model, GRADCAM_LAYER)
        self.gradcam_plus_plus = GradCAMPlusPlus(self.model, GRADCAM_LAYER)
        self.lime = LimeImageExplainer()
        self.kernel_shap = KernelShapExplainer()
        self.lock = threading.Lock()

    def warm_up(self) -> None:
        """Compile the convolution kernels (numba) before the first student waits for them."""
        image = np.zeros((28, 28), np.float32)
        image[4:24, 13:15] = 1.0
        self.explain(image, None)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) class probabilities for images (N, 1, 28, 28): LIME's and Kernel SHAP's predict_fn."""
        return probabilities(self.forward_only_model, images)

    def explain(self, image: np.ndarray, target: int | None) -> dict[str, Any]:
        """Probabilities and the four gradient maps (28, 28) for `target` (None: the top class), each
        with its time in ms. Saliency is divided by its maximum, into [0, 1]; the CAMs are scaled by
        minidl.xai; Integrated Gradients, signed, by its largest magnitude, into [−1, 1], with its
        sum beside the change of the logit from black that it adds up to (completeness)."""
        batch = image[None, None].astype(np.float32)
        milliseconds = {}
        with self.lock:
            probabilities = self.probabilities(batch)[0]
            chosen = int(probabilities.argmax()) if target is None else target
            started = time.perf_counter()
            gradient = saliency(self.model, batch, chosen)[0]
            maps = {"saliency": gradient / gradient.max() if gradient.max() > 0 else gradient}
            milliseconds["saliency"] = milliseconds_since(started)
            for name, cam in (("gradcam", self.gradcam), ("gradcam_plus_plus", self.gradcam_plus_plus)):
                started = time.perf_counter()
                maps[name] = cam(batch, chosen)[0]
                milliseconds[name] = milliseconds_since(started)
            started = time.perf_counter()
            attributions = integrated_gradients(self.model, batch, chosen, steps=IG_STEPS)[0, 0]
            largest = np.abs(attributions).max()
            maps["integrated_gradients"] = attributions / largest if largest > 0 else attributions
            milliseconds["integrated_gradients"] = milliseconds_since(started)
        logits = predict(self.forward_only_model, np.concatenate([batch, np.zeros_like(batch)]))[:, chosen]
        return {
            "probabilities": probabilities,
            "top": int(probabilities.argmax()),
            "target": chosen,
            "maps": maps,
            "milliseconds": milliseconds,
            "integrated_gradients": {
                "sum": float(attributions.sum()),
                "logit_change": float(logits[0] - logits[1]),
                "largest": float(largest),
                "steps": IG_STEPS,
            },
        }

    def explain_cells(
        self, method: str, image: np.ndarray, target: int | None, cell_size: int, num_samples: int, seed: int
    ) -> dict[str, Any]:
        """LIME's coefficient or Kernel SHAP's value (method "lime" or "kernel_shap") of each
        superpixel (hidden as black), painted on its pixels (28, 28), and the summary the page prints
        beside it: LIME's weighted R², Kernel SHAP's base and full values (Σφ = full − base)."""
        started = time.perf_counter()
        explainer = {"lime": self.lime, "kernel_shap": self.kernel_shap}[method]
        explanation = explainer.explain(
            image[None].astype(np.float32),
            self.probabilities,
            target=target,
            cell_size=cell_size,
            hide_color=0.0,
            num_samples=num_samples,
            seed=seed,
        )
        elapsed = milliseconds_since(started)
        if method == "lime":
            per_cell, summary = explanation.coef, {"score": explanation.score}
        else:
            per_cell = explanation.values
            summary = {"base_value": explanation.base_value, "full_value": explanation.full_value}
        weights = per_cell[explanation.segments]
        return {"weights": weights, "target": explanation.target, "milliseconds": elapsed, "summary": summary}
