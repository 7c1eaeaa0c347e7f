"""The ConvNet page's model: LeNet-5 trained batch by batch on the shipped MNIST subset, so that a
frame can be drawn between any two steps — the loss and accuracy so far, the conv1 filters, the
feature maps of one test digit and its Grad-CAM (ConvNetJS's CIFAR-10 demo, plus the explanation).
The same trainer makes the weights the Draw page ships with (minidl.studio.weights)."""

from __future__ import annotations

from typing import Any

import numpy as np

import minidl
import minidl.functional as F
from minidl.datasets import load_mnist
from minidl.inference import predict
from minidl.metrics import accuracy
from minidl.models import LeNet5
from minidl.nn import Conv2d, Linear
from minidl.nn.init import default_layer_init_
from minidl.optim import Adam
from minidl.studio.checks import check_integer, check_known, check_number
from minidl.studio.encoding import encode_signed, encode_unit
from minidl.xai import GradCAM

GRADCAM_LAYER = "features.4"  # the ReLU after the last convolution: 16 maps of 10×10
EVALUATION_SIZE = 200  # test digits behind the live test accuracy (a quick estimate, not the final score)


class LeNetTrainer:
    """Adam on cross-entropy over shuffled mini-batches of the 4,000 training digits."""

    def __init__(self, learning_rate: float = 2e-3, batch_size: int = 32, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.model = LeNet5()
        for layer in self.model.modules():  # from this session's generator, not the shared global one
            if isinstance(layer, (Conv2d, Linear)):
                default_layer_init_(layer.weight, layer.bias, self.rng)
        self.optimizer = Adam(self.model.parameters(), lr=learning_rate)
        self.batch_size = batch_size
        self.train_images, self.train_labels = load_mnist("train")
        self.test_images, self.test_labels = load_mnist("test")
        self.order = self.rng.permutation(len(self.train_labels))
        self.position = 0
        self.steps = 0
        self.epochs_done = 0.0

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        if self.position + self.batch_size > len(self.order):
            self.order, self.position = self.rng.permutation(len(self.train_labels)), 0
        chosen = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return self.train_images[chosen], self.train_labels[chosen]

    def step(self) -> tuple[float, float]:
        """One gradient step; returns (loss, accuracy) on its batch."""
        images, labels = self.next_batch()
        self.model.train()
        logits = self.model(minidl.tensor(images))
        loss = F.cross_entropy(logits, minidl.tensor(labels))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.epochs_done = self.steps * self.batch_size / len(self.train_labels)
        return loss.item(), accuracy(logits.data, labels)

    def test_accuracy(self, count: int | None = EVALUATION_SIZE) -> float:
        images, labels = self.test_images[:count], self.test_labels[:count]
        return accuracy(predict(self.model, images), labels)

    def snapshot(self, example: int = 0) -> dict[str, np.ndarray]:
        """What the page draws of the model now, for test digit `example`:
        filters (6, 5, 5), conv1 maps (6, 28, 28), conv2 maps (16, 10, 10), Grad-CAM (28, 28)
        of the predicted class, and the probabilities (10,)."""
        image = self.test_images[example : example + 1]
        captured = {}
        hooks = [
            self.model.features[i].register_forward_hook(
                lambda module, inputs, output, i=i: captured.__setitem__(i, output.data[0].copy())
            )
            for i in (1, 4)
        ]
        try:
            cam = GradCAM(self.model, GRADCAM_LAYER).explain(image)
        finally:
            for hook in hooks:
                hook.remove()
        probabilities = F.softmax(minidl.tensor(cam.scores[0].astype(np.float64)), axis=0).data
        return {
            "filters": self.model.features[0].weight.data[:, 0].copy(),
            "conv1": captured[1],
            "conv2": captured[4],
            "gradcam": cam.cam[0],
            "probabilities": probabilities,
            "image": image[0, 0],
            "label": int(self.test_labels[example]),
        }


STEPS_PER_FRAME = 3
EVALUATE_EVERY = 30  # steps between two estimates of the test accuracy


class ConvNetLive:
    """One browser's LeNet-5 training: frames with the new points of the curves and the snapshot."""

    def __init__(self, settings: dict[str, Any]):
        check_known("setting", settings, ("learning_rate", "example"))
        learning_rate = check_number("learning_rate", settings.get("learning_rate", 2e-3), 1e-5, 0.1)
        example = check_integer("example", settings.get("example", 0), 0, EVALUATION_SIZE - 1)
        self.trainer = LeNetTrainer(learning_rate=learning_rate)
        self.example = example
        self.new_points: list[dict[str, float]] = []

    def data(self) -> dict[str, Any]:
        return {
            "type": "data",
            "example_label": int(self.trainer.test_labels[self.example]),
            "steps_per_epoch": len(self.trainer.train_labels) // self.trainer.batch_size,
        }

    def advance(self) -> dict[str, Any]:
        for _ in range(STEPS_PER_FRAME):
            loss, batch_accuracy = self.trainer.step()
            point = {"step": self.trainer.steps, "loss": loss, "train_accuracy": batch_accuracy}
            if self.trainer.steps % EVALUATE_EVERY == 0:
                point["test_accuracy"] = self.trainer.test_accuracy()
            self.new_points.append(point)
        return self.frame()

    def frame(self) -> dict[str, Any]:
        snapshot = self.trainer.snapshot(self.example)
        points, self.new_points = self.new_points, []
        return {
            "type": "frame",
            "steps": self.trainer.steps,
            "epochs": self.trainer.epochs_done,
            "points": points,
            "image": encode_unit(snapshot["image"]),
            "label": snapshot["label"],
            "probabilities": snapshot["probabilities"].round(4).tolist(),
            "filters": [encode_signed(f) for f in snapshot["filters"]],
            "conv1": [encode_unit(m / max(float(snapshot["conv1"].max()), 1e-12)) for m in snapshot["conv1"]],
            "conv2": [encode_unit(m / max(float(snapshot["conv2"].max()), 1e-12)) for m in snapshot["conv2"]],
            "gradcam": encode_unit(snapshot["gradcam"]),
        }
