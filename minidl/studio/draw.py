"""The Draw page's model: the shipped LeNet-5, its class probabilities for a 28×28 digit, and four
explanations of one class — saliency, Grad-CAM, Grad-CAM++ (from minidl.xai, at the ReLU after
the last convolution) and LIME on grid superpixels.

One model serves every browser's gradient maps. They hook into the model and switch its
parameters' requires_grad while they run, so these calls are serialised by a lock (each takes a
few milliseconds). LIME only runs forward passes without a graph, hundreds of images per
explanation; it uses its own copy of the weights, on which nothing is ever hooked, so several
LIME requests run at once without holding up the gradient maps.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from minidl.inference import probabilities
from minidl.studio.convnet import GRADCAM_LAYER
from minidl.studio.weights import load_trained_lenet
from minidl.xai import GradCAM, GradCAMPlusPlus, LimeImageExplainer, saliency

LIME_CELL_SIZES = (2, 4, 7, 14)  # divisors of 28, so that every superpixel is a whole square
LIME_MAX_SAMPLES = 2000


class DigitExplainer:
    def __init__(self) -> None:
        self.model = load_trained_lenet()
        self.forward_only_model = load_trained_lenet()
        self.gradcam = GradCAM(self.model, GRADCAM_LAYER)
        self.gradcam_plus_plus = GradCAMPlusPlus(self.model, GRADCAM_LAYER)
        self.lime = LimeImageExplainer()
        self.lock = threading.Lock()

    def warm_up(self) -> None:
        """Compile the convolution kernels (numba) before the first student waits for them."""
        image = np.zeros((28, 28), np.float32)
        image[4:24, 13:15] = 1.0
        self.explain(image, None)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) class probabilities for images (N, 1, 28, 28): LIME's predict_fn."""
        return probabilities(self.forward_only_model, images)

    def explain(self, image: np.ndarray, target: int | None) -> dict[str, Any]:
        """Probabilities and the three gradient maps (28, 28) in [0, 1] for `target` (None: the
        top class). Saliency is divided by its maximum; the CAMs are scaled by minidl.xai."""
        batch = image[None, None].astype(np.float32)
        with self.lock:
            started = time.perf_counter()
            probabilities = self.probabilities(batch)[0]
            chosen = int(probabilities.argmax()) if target is None else target
            gradient = saliency(self.model, batch, chosen)[0]
            maps = {
                "saliency": gradient / gradient.max() if gradient.max() > 0 else gradient,
                "gradcam": self.gradcam(batch, chosen)[0],
                "gradcam_plus_plus": self.gradcam_plus_plus(batch, chosen)[0],
            }
            elapsed = time.perf_counter() - started
        return {
            "probabilities": probabilities,
            "top": int(probabilities.argmax()),
            "target": chosen,
            "maps": maps,
            "milliseconds": 1000 * elapsed,
        }

    def explain_lime(
        self, image: np.ndarray, target: int | None, cell_size: int, num_samples: int, seed: int
    ) -> dict[str, Any]:
        """LIME's coefficient of each superpixel, painted on its pixels (28, 28)."""
        started = time.perf_counter()
        explanation = self.lime.explain(
            image[None].astype(np.float32),
            self.probabilities,
            target=target,
            cell_size=cell_size,
            hide_color=0.0,
            num_samples=num_samples,
            batch_size=num_samples,
            seed=seed,
        )
        elapsed = time.perf_counter() - started
        return {
            "weights": explanation.coef[explanation.segments],
            "target": explanation.target,
            "score": explanation.score,
            "milliseconds": 1000 * elapsed,
        }
