"""Models that several lessons train once and explain: LeNet-5 on MNIST (workshop 2's recipe)
and the Husky-vs-Wolf shortcut model; plus the data choice for MNIST and a two-class log-odds view.

The lessons that train them (mnist_cnn, blackbox) save them; the lessons that explain them load
what was saved for the same kind of run (full or quick), seed and data, and train them (saying so)
only when nothing was saved yet: run alone, as a notebook, an explanation lesson takes seconds, not
the minute its models' training would take."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Callable

import numpy as np

import minidl
from lessons.settings import LessonSettings
from lessons.training import History, cosine_learning_rate, predict, random_shifts, train_classifier
from minidl.datasets import HUSKY_WOLF_CLASSES, DatasetError, load_mnist, make_husky_wolf
from minidl.datasets.download import cache_dir
from minidl.metrics import accuracy
from minidl.models import LeNet5
from minidl.nn import Module
from minidl.optim import Adam

MNIST_EPOCHS, MNIST_EPOCHS_FULL, MNIST_LEARNING_RATE = 25, 4, 2e-3
MNIST_ENVIRONMENT_VARIABLE = "MINIDL_MNIST"  # "subset" (default, ships with minidl) or "full"


def full_mnist_requested() -> bool:
    choice = os.environ.get(MNIST_ENVIRONMENT_VARIABLE, "subset").strip().lower()
    if choice not in ("subset", "full"):
        raise DatasetError(f"{MNIST_ENVIRONMENT_VARIABLE} must be 'subset' or 'full', got {choice!r}")
    return choice == "full"


def mnist_splits(quick: bool = False) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((train images, labels), (test images, labels)): the shipped 4,000/1,000 subset, or with
    MINIDL_MNIST=full the standard 60,000/10,000 (read from, or downloaded to, the cache folder).
    --quick keeps the first 600 training images."""
    full = full_mnist_requested()
    (train_x, train_y), test = load_mnist("train", full=full), load_mnist("test", full=full)
    return ((train_x[:600], train_y[:600]) if quick else (train_x, train_y)), test


def trained_mnist_lenet(quick: bool = False, seed: int = 0) -> tuple[LeNet5, History]:
    """LeNet-5 trained on MNIST (see mnist_splits) with workshop 2's recipe: Adam, a cosine
    learning rate, ±1-pixel shifts; 25 epochs on the subset, 4 on full MNIST, 1 with --quick; `seed`
    seeds its initial weights and batch order. Trained once per process, data choice and seed, and
    shared by the lessons that explain it, which must not change its weights."""
    return _trained_mnist_lenet(quick, seed, full_mnist_requested(), str(cache_dir()))


@functools.cache
def _trained_mnist_lenet(quick: bool, seed: int, full: bool, data_folder: str) -> tuple[LeNet5, History]:
    # full and data_folder are read again by mnist_splits; here they make the cache key, so that
    # another data choice in the same process trains another model.
    train, test = mnist_splits(quick)
    epochs = 1 if quick else MNIST_EPOCHS_FULL if full else MNIST_EPOCHS
    minidl.manual_seed(seed)
    model = LeNet5()
    history = train_classifier(
        model,
        Adam(model.parameters(), lr=MNIST_LEARNING_RATE),
        train,
        epochs,
        seed=seed,
        test=test,
        learning_rate=cosine_learning_rate(MNIST_LEARNING_RATE, epochs),
        augment=random_shifts,
    )
    return model, history


def saved_model_path(settings: LessonSettings, lesson: str, name: str) -> Path:
    """Where `lesson` saves model `name` for a run like this one: in its folder beside this lesson's,
    the seed (when not 0) and full MNIST (for the MNIST models) in the name."""
    full = "_full" if name.endswith("mnist") and full_mnist_requested() else ""
    seed = f"_seed{settings.seed}" if settings.seed else ""
    return settings.out_dir.parent / lesson / f"{name}{full}{seed}.npz"


def saved_or_trained(
    settings: LessonSettings, lesson: str, name: str, architecture: Callable[[], Module], train: Callable[[], Module]
) -> Module:
    """The model `lesson` saved for a run like this one, loaded; else train() (told, then saved where
    `lesson` saves it, for the next lesson that needs it). In evaluation mode, a fresh copy each time:
    what one lesson does to it reaches no other."""
    path = saved_model_path(settings, lesson, name)
    if path.exists():
        model = architecture()
        model.load_state_dict(minidl.load(path))
        print(f"loaded the model the {lesson} lesson saved: {path}")
        return model.eval()
    print(f"{path} does not exist yet: training the model as the {lesson} lesson does (run it first to skip this)")
    model = train()
    path.parent.mkdir(parents=True, exist_ok=True)
    minidl.save(model.state_dict(), path)
    return model.eval()


def mnist_lenet(settings: LessonSettings) -> LeNet5:
    """Workshop 2's LeNet-5 for a lesson that explains it (see saved_or_trained)."""
    return saved_or_trained(
        settings, "mnist_cnn", "lenet5_mnist", LeNet5, lambda: trained_mnist_lenet(settings.quick, settings.seed)[0]
    )


def husky_wolf_lenet(settings: LessonSettings) -> LeNet5:
    """The blackbox lesson's shortcut model for a lesson that explains it (see saved_or_trained)."""
    return saved_or_trained(
        settings,
        "blackbox",
        "lenet5_husky_wolf",
        lambda: LeNet5(num_classes=2),
        lambda: trained_husky_wolf_lenet(settings.quick, settings.seed),
    )


class TwoClassLogOdds(Module):
    """Wraps a two-class model so that it outputs the log-odds (y₀ − y₁, y₁ − y₀) instead of the
    two logits. A two-class network may decide "wolf" by lowering the husky score rather than
    raising the wolf score; the raw wolf logit then shows little evidence, while the log-odds,
    which is what the softmax decision depends on, shows all of it. For the black-box explainers
    (LIME), which call a predict function and take no contrast class; the gradient methods
    (Grad-CAM, saliency, ...) take contrast="runner_up" instead, which gives the same maps."""

    def __init__(self, model: Module):
        super().__init__()
        self.model = model

    def forward(self, x: minidl.Tensor) -> minidl.Tensor:
        logits = self.model(x)
        odds = logits[:, 1:2] - logits[:, 0:1]
        return minidl.concatenate([-odds, odds], axis=1)


# The Husky-vs-Wolf recipe. The animal is a grey shape whose contrast flips with the background
# (lighter than grass, darker than snow), and on random backgrounds a LeNet-5 first sits at chance
# for a few epochs: with 15 epochs at α = 2·10⁻³ it stayed at loss 0.693 for seed 0 and reached
# 70 % for seed 2; with 30 epochs at 10⁻³ it reached 98-100 % for seeds 0, 1 and 2 (and the model
# trained on the confounded images 100 % with their backgrounds, 0 % swapped, for each seed).
HUSKY_WOLF_EPOCHS, HUSKY_WOLF_LEARNING_RATE = 30, 1e-3


def train_lenet(images: np.ndarray, labels: np.ndarray, num_classes: int, epochs: int, seed: int = 0) -> LeNet5:
    """A LeNet-5 trained with the Husky-vs-Wolf recipe: Adam and a cosine learning rate from
    HUSKY_WOLF_LEARNING_RATE, no augmentation; `seed` seeds its weights and batch order."""
    minidl.manual_seed(seed)
    model = LeNet5(num_classes=num_classes)
    train_classifier(
        model,
        Adam(model.parameters(), lr=HUSKY_WOLF_LEARNING_RATE),
        (images, labels),
        epochs,
        seed=seed,
        learning_rate=cosine_learning_rate(HUSKY_WOLF_LEARNING_RATE, epochs),
    )
    return model


@functools.cache
def trained_husky_wolf_lenet(quick: bool = False, seed: int = 0) -> LeNet5:
    """The shortcut model of the black-box lesson: LeNet-5 trained on husky/wolf images whose
    background gives the class away (2,000 images; --quick: 200, 2 epochs)."""
    images, labels, _ = make_husky_wolf(200 if quick else 2000, background="confounded", seed=0)
    return train_lenet(images, labels, 2, 2 if quick else HUSKY_WOLF_EPOCHS, seed)


def swapped_caption(label: int, called: int) -> str:
    """ "wolf on grass, called husky": a swapped-background test image (wolves on grass, huskies on
    snow) and the class a model gave it."""
    return f"{HUSKY_WOLF_CLASSES[label]} on {'grass' if label == 1 else 'snow'}, called {HUSKY_WOLF_CLASSES[called]}"


def husky_wolf_accuracies(model: Module, n_test: int = 300) -> tuple[float, float]:
    """(accuracy with the training set's backgrounds, accuracy with them swapped) of a Husky-vs-Wolf
    model on the black-box lesson's test images (seeds 1 and 2): what shortcut_verdict and
    biased_model_name judge."""
    same_x, same_y, _ = make_husky_wolf(n_test, background="confounded", seed=1)
    swapped_x, swapped_y, _ = make_husky_wolf(n_test, background="swapped", seed=2)
    return accuracy(predict(model, same_x), same_y), accuracy(predict(model, swapped_x), swapped_y)
