"""The Black Box page's model and pictures: the classroom version of Table 2 of Ribeiro, Singh &
Guestrin 2016 ("Why should I trust you?", §6.4). There, 27 people saw a husky-vs-wolf classifier
trained on photos where every wolf stood in snow; its predictions on a hand-picked set were right
except for two (a husky in snow called a wolf, a wolf without snow called a husky). Asked before
and after seeing LIME's explanations, 10 of 27 trusted the model before and 3 after, and 12
named snow as a possible feature before, 25 after.

Here the model is the blackbox lesson's shortcut LeNet-5 (minidl.studio.weights: every training
wolf, a triangle, on snow; every husky, a circle, on grass) and the set is CASES images of that
lesson's test data: four huskies and four wolves with the training set's backgrounds, which it
gets right, and one husky on snow and one wolf on grass, which it gets wrong. Their explanations —
LIME and Grad-CAM of the answer the model gave, as in the lesson — are computed once per server,
at the first request for them, and kept.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from minidl.datasets import HUSKY_WOLF_CLASSES, make_husky_wolf
from minidl.datasets.synthetic import HUSKY_WOLF_SHAPES
from minidl.inference import predict, probabilities
from minidl.studio.convnet import GRADCAM_LAYER
from minidl.studio.draw import milliseconds_since
from minidl.studio.encoding import encode_signed, encode_unit
from minidl.studio.weights import load_shortcut_lenet
from minidl.xai import GradCAM, LimeImageExplainer

# The blackbox lesson's test images (lessons/trained_models.py husky_wolf_accuracies): seed 1 draws
# them with the training set's backgrounds, seed 2 with the backgrounds swapped.
SAME_BACKGROUNDS_SEED, SWAPPED_BACKGROUNDS_SEED = 1, 2
PER_CLASS_SAME, PER_CLASS_SWAPPED = 4, 1
# Where each picked image goes on the page, by its place in the picking order (4 huskies, 4 wolves
# with their usual backgrounds, then the swapped husky and wolf): mixed, the two swapped ones apart.
ORDER = (0, 4, 8, 1, 5, 2, 6, 9, 3, 7)
LIME_CELL, LIME_SAMPLES, LIME_HIDE_GREY = 4, 500, 0.5  # grey: hiding the snow removes the snow (the lesson's choice)


def pick_cases() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(images (10, 1, 28, 28), labels (10,), animal masks (10, 28, 28), swapped (10,) bool): the
    first PER_CLASS_SAME images of each class with the training set's backgrounds, the first
    PER_CLASS_SWAPPED of each with them swapped, placed in ORDER."""
    picked = []
    for background, seed, per_class in (
        ("confounded", SAME_BACKGROUNDS_SEED, PER_CLASS_SAME),
        ("swapped", SWAPPED_BACKGROUNDS_SEED, PER_CLASS_SWAPPED),
    ):
        images, labels, masks = make_husky_wolf(40, background=background, seed=seed)
        for label in range(len(HUSKY_WOLF_CLASSES)):
            chosen = np.flatnonzero(labels == label)[:per_class]
            picked += [(images[i], label, masks[i], background == "swapped") for i in chosen]
    images, labels, masks, swapped = zip(*(picked[i] for i in ORDER))
    return np.stack(images), np.array(labels), np.stack(masks), np.array(swapped)


class BlackBoxCases:
    """The shortcut model's answers on the page's images, and (computed once) their explanations."""

    def __init__(self) -> None:
        self.model = load_shortcut_lenet()
        self.images, self.labels, self.masks, self.swapped = pick_cases()
        self.probabilities = probabilities(self.model, self.images)
        self.predicted = self.probabilities.argmax(axis=1)
        self.lock = threading.Lock()
        self.explained: dict[str, Any] | None = None

    def cases(self) -> dict[str, Any]:
        """What the page shows before the explanations: each image (base64 bytes, 28×28 row by row),
        what it is, what the model says and its probability for that."""
        return {
            "classes": list(HUSKY_WOLF_CLASSES),
            "shapes": list(HUSKY_WOLF_SHAPES),
            "side": self.images.shape[-1],
            "cases": [
                {"image": encode_unit(image[0]), "label": int(label), "predicted": int(said), "probability": p}
                for image, label, said, p in zip(
                    self.images, self.labels, self.predicted, np.round(self.probabilities.max(axis=1), 4).tolist()
                )
            ],
        }

    def log_odds(self, images: np.ndarray) -> np.ndarray:
        """(n, 2) scores (y₀ − y₁, y₁ − y₀) of images (n, 1, 28, 28): LIME's predict_fn. The model is
        so sure of itself that hiding cells leaves its probability at 1 until it flips; the log-odds
        moves with every hidden cell (the blackbox lesson explains LIME's fit of each)."""
        logits = predict(self.model, images)
        odds = logits[:, 1] - logits[:, 0]
        return np.stack([-odds, odds], axis=1)

    def explanations(self) -> dict[str, Any]:
        """LIME's coefficients (signed, per image scaled by its largest |coefficient|) and Grad-CAM's
        maps (in [0, 1]) of the log-odds of the answer the model gave, each 28×28 as bytes; computed
        at the first call, under a lock, and kept."""
        with self.lock:
            if self.explained is None:
                self.explained = self.compute_explanations()
            return self.explained

    def compute_explanations(self) -> dict[str, Any]:
        started = time.perf_counter()
        lime = [
            LimeImageExplainer().explain(
                image,
                self.log_odds,
                target=int(said),
                cell_size=LIME_CELL,
                hide_color=LIME_HIDE_GREY,
                num_samples=LIME_SAMPLES,
                seed=0,
            )
            for image, said in zip(self.images, self.predicted)
        ]
        gradcam = GradCAM(self.model, GRADCAM_LAYER)(self.images, self.predicted, contrast="runner_up")
        return {
            "lime": [encode_signed(explanation.coef[explanation.segments]) for explanation in lime],
            "gradcam": [encode_unit(cam) for cam in gradcam],
            "lime_cell": LIME_CELL,
            "lime_samples": LIME_SAMPLES,
            "milliseconds": round(milliseconds_since(started), 1),
        }
