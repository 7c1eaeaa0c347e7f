"""Running a trained model on data: its outputs in evaluation mode, without a graph, in batches
(so that a large data set does not need one huge forward pass), and their softmax — what a
figure, an accuracy or LIME's predict_fn needs."""

from __future__ import annotations

import numpy as np

import minidl.functional as F
from minidl.autograd import no_grad
from minidl.nn import Module
from minidl.tensor import tensor


def predict(model: Module, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Model outputs for images (N, ...), e.g. logits (N, classes); the model's mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return np.concatenate(
                [model(tensor(images[i : i + batch_size])).data for i in range(0, len(images), batch_size)]
            )
    finally:
        model.train(was_training)


def probabilities(model: Module, images: np.ndarray) -> np.ndarray:
    """Softmax of the model's outputs (N, classes), in float64: the predict_fn LIME asks for."""
    return F.softmax(tensor(predict(model, images).astype(np.float64)), axis=1).data
