# %% [markdown]
# # Workshop 2: CNN on MNIST
#
# Slide section "Workshop 2: CNN on MNIST". LeNet-5 (LeCun et al. 1998) stacks two blocks of
# convolution → ReLU → max-pooling and three dense layers. Trained with Adam on the 4,000 training
# digits that ship with minidl (random shifts of ±1 pixel as data augmentation, a cosine learning
# rate), it is scored on the 1,000 held-out digits it never saw. Then we open it up: the confusion
# matrix says which digits it mixes up, the first layer's 5×5 filters are edge and stroke
# detectors, and the feature maps of one digit show the hierarchy — simple strokes in the first
# layer, combinations of them in the second.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons mnist_cnn`
# (`--quick` for a short run).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import mnist_splits, saved_model_path, trained_mnist_lenet
from lessons.training import predict
from lessons.verdicts import QUICK_RUN_NOTE, classifier_verdict, silent_channel_verdict
from minidl import nn
from minidl.metrics import accuracy, confusion_matrix
from minidl.models import LeNet5
from minidl.viz import annotated_matrix, image_grid

settings = lesson_settings("mnist_cnn")


def feature_maps(model: LeNet5, images: np.ndarray) -> dict[str, np.ndarray]:
    """The outputs of both ReLU layers for images (N, 1, 28, 28), captured with forward hooks:
    (N, 6, 28, 28) for conv1 and (N, 16, 10, 10) for conv2."""
    captured: dict[str, list[np.ndarray]] = {"conv1 + ReLU": [], "conv2 + ReLU": []}
    handles = [
        model.features[index].register_forward_hook(
            lambda module, inputs, output, name=name: captured[name].append(output.data)
        )
        for index, name in ((1, "conv1 + ReLU"), (4, "conv2 + ReLU"))
    ]
    try:
        predict(model, images)
    finally:
        for handle in handles:
            handle.remove()
    return {name: np.concatenate(batches) for name, batches in captured.items()}


def map_titles(maps: np.ndarray) -> list[str]:
    """Each panel scaled to its own maximum, which its title states; an all-zero map says so."""
    return [f"map {k}: max {m.max():.2g}" if m.max() > 0 else f"map {k}: all 0" for k, m in enumerate(maps)]


# %% [markdown]
# ## 1. The data: 28×28 grey digits, 4,000 to learn from and 1,000 to test on
# %%
(train_x, train_y), (test_x, test_y) = mnist_splits(settings.quick)
print(f"training digits {train_x.shape}, test digits {test_x.shape}, pixel values in [0, 1]")
save_figure(
    image_grid(
        train_x[:20, 0], columns=10, titles=[str(d) for d in train_y[:20]], suptitle="Training digits and their labels"
    ),
    settings.out_dir / "digits.png",
)


# %% [markdown]
# ## 2. The model: LeNet-5
# %%
nn.summary(LeNet5(), (1, 1, 28, 28))


# %% [markdown]
# ## 3. Training: mini-batches of 64, Adam, shifted digits, a cosine learning rate
# The loop is lessons.training.train_classifier: for each batch, forward, loss, backward, step.
# %%
start = time.perf_counter()
model, history = trained_mnist_lenet(settings.quick, settings.seed)
epochs = len(history.loss)
seconds = time.perf_counter() - start
logits = predict(model, test_x)
predicted = logits.argmax(axis=1)
test_accuracy = accuracy(predicted, test_y)
print(
    f"\nTest accuracy on the {len(test_y)} held-out digits: {test_accuracy:.1%} "
    f"({epochs} epoch(s), {seconds:.0f} s of training)"
)
weights = saved_model_path(settings, "mnist_cnn", "lenet5_mnist")  # where the explanation lessons look for it
minidl.save(model.state_dict(), weights)
print(f"weights saved to {weights}")

epochs_axis = np.arange(1, epochs + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
left.plot(epochs_axis, history.loss, "o-")
left.set(title="Training loss (cross-entropy)", xlabel="epoch", ylabel="mean loss per batch")
right.plot(epochs_axis, history.train_accuracy, "o-", label="training batches")
right.plot(epochs_axis, history.test_accuracy, "s-", label="held-out test digits")
right.set(title="Accuracy", xlabel="epoch", ylabel="fraction correct")
right.legend()
for ax in (left, right):
    ax.grid(alpha=0.3)
save_figure(fig, settings.out_dir / "training_curves.png")


# %% [markdown]
# ## 4. Where does it go wrong? The confusion matrix and the digits it missed
# %%
counts = confusion_matrix(predicted, test_y, num_classes=10)
fig, ax = plt.subplots(figsize=(6.5, 6))
annotated_matrix(
    ax, counts, f"Confusion matrix, test accuracy {test_accuracy:.1%}", xlabel="predicted digit", ylabel="true digit"
)
save_figure(fig, settings.out_dir / "confusion_matrix.png")
off_diagonal = counts - np.diag(np.diag(counts))
worst = np.unravel_index(off_diagonal.argmax(), counts.shape)
print(f"most frequent confusion: true {worst[0]} read as {worst[1]} ({off_diagonal[worst]} times)")
missed = np.flatnonzero(predicted != test_y)[:16]
if missed.size:
    save_figure(
        image_grid(
            test_x[missed, 0],
            columns=8,
            titles=[f"{test_y[i]} read as {predicted[i]}" for i in missed],
            suptitle="Misclassified test digits (truth read as prediction)",
        ),
        settings.out_dir / "misclassified.png",
    )


# %% [markdown]
# ## 5. Inside the network: filters and the hierarchy of features
# The six 5×5 filters of the first layer, drawn red for positive and blue for negative weights;
# the feature maps show where in one digit each of them fires, and the second layer combining them.
# %%
filters = model.features[0].weight.data[:, 0]
save_figure(
    image_grid(
        filters,
        columns=6,
        titles=[f"filter {k}" for k in range(6)],
        symmetric=True,
        cell_inches=1.6,
        suptitle="Layer 1: the learned 5×5 filters, one scale for all "
        f"(red +, blue −, white 0; darkest ±{np.abs(filters).max():.2f})",
    ),
    settings.out_dir / "conv1_filters.png",
)
test_maps = feature_maps(model, test_x)
maps = {layer: layer_maps[0] for layer, layer_maps in test_maps.items()}  # of the first test digit
digit = test_x[0]
save_figure(
    image_grid(
        np.concatenate([digit, maps["conv1 + ReLU"]]),
        columns=7,
        titles=["input"] + map_titles(maps["conv1 + ReLU"]),
        cmap="magma",
        cell_inches=1.6,
        suptitle="Layer 1 feature maps: where each filter fires (each panel scaled to its own max)",
    ),
    settings.out_dir / "feature_maps_conv1.png",
)
save_figure(
    image_grid(
        maps["conv2 + ReLU"],
        columns=8,
        titles=map_titles(maps["conv2 + ReLU"]),
        cmap="magma",
        cell_inches=1.5,
        suptitle="Layer 2 feature maps (10×10): combinations of layer-1 strokes (each panel scaled to its own max)",
    ),
    settings.out_dir / "feature_maps_conv2.png",
)
silent_notes = []
for layer, layer_maps in test_maps.items():
    fires_on = (layer_maps > 0).any(axis=(2, 3)).mean(axis=0)  # per channel: fraction of test digits
    for channel in np.flatnonzero(maps[layer].max(axis=(1, 2)) <= 0):
        silent_notes.append(silent_channel_verdict(f"{layer} map {channel}", fires_on[channel], len(test_x)))
print("\n".join(silent_notes) or "every feature map fires somewhere on this digit")


# %% [markdown]
# ## What we saw
# %%
print(
    f"What we saw: after {epochs} epoch(s) on {len(train_y)} digits, LeNet-5 meets the {len(test_y)} digits it "
    f"never saw, and {classifier_verdict(test_accuracy, num_classes=10)}; its most frequent mistake reads a "
    f"{worst[0]} as a {worst[1]} ({off_diagonal[worst]} times). Compare the filters and feature maps above with "
    "the slide's: strokes in the first layer, combinations of them in the second."
    + (f" {len(silent_notes)} map(s) stay black on this digit: see the lines above." if silent_notes else "")
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
