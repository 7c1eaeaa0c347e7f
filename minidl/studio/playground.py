"""The Playground page's model (after TensorFlow Playground): an MLP on a 2-D data set trained by
mini-batch SGD with an L2 penalty, and what a frame shows of it — the probability of class 1 over
a grid of the plane (the decision boundary), every hidden neuron's output over the same grid,
and the train and test loss.

With step or sign as activation every hidden layer's derivative is 0 (almost everywhere), so
backpropagation delivers no gradient to the weights below it: only the output layer learns, and
the loss stalls at whatever that layer can do with frozen random features. The frame reports the
gradient norm that reached the first layer, so the page shows that zero instead of asserting it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minidl
import minidl.functional as F
from minidl import nn
from minidl.datasets import make_blobs, make_circles, make_spirals, make_xor
from minidl.nn.init import default_layer_init_
from minidl.optim import SGD
from minidl.studio.checks import as_written, check_choice, check_integer, check_known, check_number
from minidl.studio.encoding import encode_signed, encode_unit

DATASETS = {"xor": make_xor, "circles": make_circles, "spirals": make_spirals, "blobs": make_blobs}
ACTIVATIONS = {
    "step": nn.Step,
    "sign": nn.Sign,
    "identity": nn.Identity,
    "piecewise_linear": nn.PiecewiseLinear,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "softplus": nn.Softplus,
}
GRID = 40  # the plane is sampled on GRID × GRID points for the boundary and the neurons
POINTS = 300  # samples of the data set before the train/test split
MAX_LAYERS, MAX_WIDTH = 6, 8
STEPS_PER_FRAME = 8  # gradient steps between two frames while playing


@dataclass
class PlaygroundSettings:
    dataset: str = "circles"
    noise: float = 0.1
    train_fraction: float = 0.5
    hidden: list[int] = field(default_factory=lambda: [4, 4])
    activation: str = "tanh"
    learning_rate: float = 0.1
    batch_size: int = 10
    l2: float = 0.0
    seed: int = 0

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> PlaygroundSettings:
        """Settings from a JSON object (minidl.studio.sessions.read_message checked that it is one);
        unknown keys and values out of range raise ValueError naming the key, the value and what is
        allowed."""
        check_known("setting", values, cls.__dataclass_fields__)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        check_choice("dataset", self.dataset, DATASETS)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_number("noise", self.noise, 0.0, 1.0)
        check_number("train_fraction", self.train_fraction, 0.1, 0.9)
        check_number("learning_rate", self.learning_rate, 1e-5, 10.0)
        check_number("l2", self.l2, 0.0, 1.0)
        check_integer("batch_size", self.batch_size, 1, POINTS)
        check_integer("seed", self.seed, 0, 2**31 - 1)
        if not isinstance(self.hidden, list) or len(self.hidden) > MAX_LAYERS:
            raise ValueError(
                f"hidden must be a list of at most {MAX_LAYERS} layer widths, got {as_written(self.hidden)}"
            )
        for width in self.hidden:
            check_integer("each hidden width", width, 1, MAX_WIDTH)


class Playground:
    """One browser's model and data. `advance()` trains a few steps and returns the next frame."""

    def __init__(self, settings: PlaygroundSettings):
        self.settings = settings
        rng = np.random.default_rng(settings.seed)
        points, labels = DATASETS[settings.dataset](POINTS, noise=settings.noise, seed=settings.seed)
        order = rng.permutation(POINTS)
        cut = round(settings.train_fraction * POINTS)
        self.train = points[order[:cut]], labels[order[:cut]].astype(np.float32)[:, None]
        self.test = points[order[cut:]], labels[order[cut:]].astype(np.float32)[:, None]
        self.extent = float(np.abs(points).max()) * 1.1  # the grid covers [−extent, extent]²
        axis = np.linspace(-self.extent, self.extent, GRID, dtype=np.float32)
        # Row 0 of the grid is the top of the picture: y decreases down the rows.
        self.grid = np.stack(np.meshgrid(axis, axis[::-1]), axis=-1).reshape(-1, 2)
        self.rng = rng
        self.model = self._build(settings)
        self.optimizer = SGD(self.model.parameters(), lr=settings.learning_rate, weight_decay=settings.l2)
        self.steps = 0
        self.first_layer_gradient = 0.0

    def _build(self, settings: PlaygroundSettings) -> nn.Sequential:
        widths = [2, *settings.hidden]
        layers: list[nn.Module] = []
        for fan_in, fan_out in itertools.pairwise(widths):
            layers += [nn.Linear(fan_in, fan_out), ACTIVATIONS[settings.activation]()]
        layers.append(nn.Linear(widths[-1], 1))  # one logit: log-odds of class 1
        for layer in layers:
            if isinstance(layer, nn.Linear):
                default_layer_init_(layer.weight, layer.bias, self.rng)
        return nn.Sequential(*layers)

    def data(self) -> dict[str, Any]:
        """The points, sent once per data set: [x, y, label] rounded for the page."""

        def rows(points: np.ndarray, labels: np.ndarray) -> list[list[float]]:
            return np.round(np.column_stack([points, labels[:, 0]]), 3).tolist()

        return {
            "type": "data",
            "extent": self.extent,
            "grid": GRID,
            "train": rows(*self.train),
            "test": rows(*self.test),
        }

    def step(self) -> None:
        """One SGD step on a random mini-batch of the training points."""
        points, labels = self.train
        chosen = self.rng.choice(len(labels), size=min(self.settings.batch_size, len(labels)), replace=False)
        loss = F.binary_cross_entropy_with_logits(
            self.model(minidl.tensor(points[chosen])), minidl.tensor(labels[chosen])
        )
        self.optimizer.zero_grad()
        loss.backward()
        first = self.model[0]
        self.first_layer_gradient = float(np.sqrt((first.weight.grad**2).sum() + (first.bias.grad**2).sum()))
        self.optimizer.step()
        self.steps += 1

    def loss(self, points: np.ndarray, labels: np.ndarray) -> float:
        with minidl.no_grad():
            return F.binary_cross_entropy_with_logits(self.model(minidl.tensor(points)), minidl.tensor(labels)).item()

    def frame(self) -> dict[str, Any]:
        """Probability of class 1 on the grid (GRID, GRID), each hidden neuron's output on it
        (one (width, GRID, GRID) array per layer), losses and step count."""
        outputs: list[np.ndarray] = []
        hooks = [
            layer.register_forward_hook(lambda module, inputs, output: outputs.append(output.data))
            for layer in self.model
            if not isinstance(layer, nn.Linear)
        ]
        try:
            with minidl.no_grad():
                logits = self.model(minidl.tensor(self.grid)).data[:, 0].astype(np.float64)
        finally:
            for hook in hooks:
                hook.remove()
        probability = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))
        neurons = [values.T.reshape(-1, GRID, GRID) for values in outputs]
        return {
            "type": "frame",
            "steps": self.steps,
            "epoch": self.steps * self.settings.batch_size / len(self.train[1]),
            "train_loss": self.loss(*self.train),
            "test_loss": self.loss(*self.test),
            "first_layer_gradient": self.first_layer_gradient,
            "boundary": encode_unit(probability.reshape(GRID, GRID)),
            "neurons": [[encode_signed(map_) for map_ in layer] for layer in neurons],
        }

    def advance(self, steps: int = STEPS_PER_FRAME) -> dict[str, Any]:
        # A learning rate too large overflows on every step; the frame tells the page (its NaN
        # losses make it "diverged"), so the server's log need not repeat it each frame.
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                self.step()
            return self.frame()
