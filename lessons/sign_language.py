# %% [markdown]
# # Workshop 3: CNN on Sign Language MNIST
#
# Slide section "Workshop 3: CNN on Sign Language MNIST". Sign Language MNIST holds 28×28 grey
# photographs of hands spelling the American Sign Language letters A–Y (J and Z move, so they are
# left out): 24 classes, 27,455 training and 7,172 test images, in the MNIST format. The LeNet-5
# of workshop 2, given 25 outputs, learns them the same way — the architecture does not know
# whether it reads digits or hands.
#
# The data cannot ship with minidl. Download sign_mnist_train.csv and sign_mnist_test.csv from
# https://www.kaggle.com/datasets/datamunge/sign-language-mnist and put them in a folder named by
# MINIDL_SIGN_MNIST, or in $MINIDL_DATA/sign-language-mnist (default ~/.cache/minidl/...). Without
# them the lesson says so and runs on the MNIST digits instead.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons sign_language`
# (`--quick` for a short run).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.training import cosine_learning_rate, predict, train_classifier
from lessons.verdicts import QUICK_RUN_NOTE, classifier_verdict
from minidl.datasets import LETTERS, DatasetNotFoundError, load_mnist, load_sign_mnist
from minidl.datasets.download import cache_dir
from minidl.metrics import accuracy, confusion_matrix
from minidl.models import LeNet5
from minidl.optim import Adam
from minidl.viz import image_grid

settings = lesson_settings("sign_language")

ENVIRONMENT_VARIABLE = "MINIDL_SIGN_MNIST"
FILES = ("sign_mnist_train.csv", "sign_mnist_test.csv")
EPOCHS = 6


def find_sign_mnist() -> Path | None:
    """The folder holding both CSV files: $MINIDL_SIGN_MNIST (which must then hold them), else the
    cache folder if they are there, else None."""
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    if named:
        folder = Path(named).expanduser()
        missing = [name for name in FILES if not (folder / name).is_file()]
        if missing:
            raise DatasetNotFoundError(
                f"{ENVIRONMENT_VARIABLE}={named}, but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not in {folder}. Download both "
                "files from https://www.kaggle.com/datasets/datamunge/sign-language-mnist"
            )
        return folder
    folder = cache_dir() / "sign-language-mnist"
    return folder if all((folder / name).is_file() for name in FILES) else None


def load_data(quick: bool):
    """((train_x, train_y), (test_x, test_y), class names, what the data is)."""
    folder = find_sign_mnist()
    if folder is None:
        print(
            f"Sign Language MNIST not found (set {ENVIRONMENT_VARIABLE} to the folder holding {FILES[0]} and "
            f"{FILES[1]}, from https://www.kaggle.com/datasets/datamunge/sign-language-mnist).\n"
            "Running the workshop on the MNIST digits instead: the same steps, digits for letters."
        )
        train, test = load_mnist("train"), load_mnist("test")
        names, what = [str(d) for d in range(10)], "MNIST digits (standing in for Sign Language MNIST, not found)"
    else:
        print(f"reading Sign Language MNIST from {folder}")
        train, test = (load_sign_mnist(folder / name) for name in FILES)
        names, what = list(LETTERS), "Sign Language MNIST letters"
    if quick:
        train, test = (train[0][:600], train[1][:600]), (test[0][:300], test[1][:300])
    return train, test, names, what


# %% [markdown]
# ## 1. The data
# %%
(train_x, train_y), (test_x, test_y), names, what = load_data(settings.quick)
present = np.unique(np.concatenate([train_y, test_y]))
print(f"{what}: {len(train_y)} training and {len(test_y)} test images, {len(present)} classes present")
save_figure(
    image_grid(
        train_x[:24, 0],
        columns=8,
        titles=[names[k] for k in train_y[:24]],
        suptitle=f"{what}: training images and their labels",
    ),
    settings.out_dir / "samples.png",
)


# %% [markdown]
# ## 2. LeNet-5 with one output per class, trained as in workshop 2
# %%
minidl.manual_seed(settings.seed)
model = LeNet5(num_classes=len(names))
epochs = 1 if settings.quick else EPOCHS
history = train_classifier(
    model,
    Adam(model.parameters(), lr=2e-3),
    (train_x, train_y),
    epochs,
    seed=settings.seed,
    test=(test_x, test_y),
    learning_rate=cosine_learning_rate(2e-3, epochs),
)
predicted = predict(model, test_x).argmax(axis=1)
test_accuracy = accuracy(predicted, test_y)
print(f"\nTest accuracy: {test_accuracy:.1%} on {len(test_y)} images")


# %% [markdown]
# ## 3. Which classes are hard?
# %%
counts = confusion_matrix(predicted, test_y, num_classes=len(names))[np.ix_(present, present)]
per_class = np.diag(counts) / np.maximum(counts.sum(axis=1), 1)
order = np.argsort(per_class)
print("hardest classes: " + ", ".join(f"{names[present[k]]} {per_class[k]:.0%}" for k in order[:3]))
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(17, 5), gridspec_kw={"width_ratios": [1, 1.3, 1.3]})
epoch_axis = np.arange(1, epochs + 1)
left.plot(epoch_axis, history.train_accuracy, "o-", label="training batches")
left.plot(epoch_axis, history.test_accuracy, "s-", label="test images")
left.set(title="Accuracy per epoch", xlabel="epoch", ylabel="fraction correct", ylim=(0, 1.05), xticks=epoch_axis)
left.legend()
left.grid(alpha=0.3)
shown = middle.imshow(counts / np.maximum(counts.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
labels = [names[k] for k in present]
middle.set_xticks(range(len(present)), labels, fontsize=8)
middle.set_yticks(range(len(present)), labels, fontsize=8)
middle.set(title="Confusion matrix (each row sums to 1)", xlabel="predicted", ylabel="true")
fig.colorbar(shown, ax=middle, fraction=0.046)
right.bar(labels, per_class, color="tab:blue")
right.axhline(test_accuracy, color="tab:red", linestyle="--", label=f"overall {test_accuracy:.1%}")
right.set(title="Accuracy per class", xlabel="class", ylabel="fraction correct", ylim=(0, 1.05))
right.tick_params(axis="x", labelsize=8)
right.legend(loc="lower right")
fig.suptitle(f"LeNet-5 on {what}: {epochs} epoch(s), {len(train_y)} training images")
fig.tight_layout()
save_figure(fig, settings.out_dir / "sign_language_results.png")

print(
    f"\nWhat we saw: the LeNet-5 of workshop 2, unchanged but for its output layer, trained on {what} for "
    f"{epochs} epoch(s), meets {len(test_y)} test images, and "
    f"{classifier_verdict(test_accuracy, num_classes=len(present))}; its hardest class is "
    f"{names[present[order[0]]]} ({per_class[order[0]]:.0%} correct)."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
