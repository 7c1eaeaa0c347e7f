# %% [markdown]
# # Saliency maps
#
# Slide section "Post-hoc explanations: saliency maps". Simonyan, Vedaldi & Zisserman (2013) asked
# the trained network itself: if a pixel changed a little, how much would the class score y_c
# change? The answer is the gradient ∂y_c/∂x, one backward pass; its magnitude |∂y_c/∂x| is the
# saliency map. We measure how much of each map falls on the digit's strokes, and compare with
# the same measure on an untrained LeNet-5: a map that looks the same without training cannot show
# what the network learned. The map for a different class shows which pixels that class's logit
# is most sensitive to, one logit alone: it does not say where the digit would have to change to
# become that class, since that depends on the other logits too (the softmax compares them all).
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons saliency_maps`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.heat import share_inside
from lessons.settings import lesson_settings
from lessons.trained_models import mnist_lenet
from lessons.training import predict
from lessons.verdicts import QUICK_RUN_NOTE, classifier_verdict, heat_location_verdict, untrained_comparison
from minidl.datasets import load_mnist
from minidl.metrics import accuracy
from minidl.models import LeNet5
from minidl.viz import colorbar_beside
from minidl.xai import saliency

settings = lesson_settings("saliency_maps")

STROKE = 0.2  # pixels brighter than this are the digit's strokes
SALIENCY = r"$|\partial y_c / \partial x|$"  # mathtext, so that y_c shows as y with a subscript c

# %%
model = mnist_lenet(settings)
test_x, test_y = load_mnist("test")
print(
    f"the LeNet-5 of workshop 2 on the {len(test_y)} test digits: "
    f"{classifier_verdict(accuracy(predict(model, test_x), test_y), num_classes=10)}"
)
chosen = np.array([np.flatnonzero(test_y == digit)[0] for digit in range(10)])
images = test_x[chosen]


# %% [markdown]
# ## 1. One backward pass per image: |∂y_c/∂x| for the predicted class
# All ten maps share one colour scale. Does the heat sit on the strokes, around them, or anywhere?
# %%
predicted = predict(model, images).argmax(axis=1)
maps = saliency(model, images)
measured = test_x[:200]
strokes = measured[:, 0] > STROKE
shares, areas = share_inside(saliency(model, measured), strokes)
minidl.manual_seed(settings.seed)
untrained_shares, _ = share_inside(saliency(LeNet5(), measured), strokes)
share, stroke_area, untrained_share = shares.mean(), areas.mean(), untrained_shares.mean()
print(
    f"on the first {len(measured)} test digits the saliency {heat_location_verdict(share, stroke_area, 'the strokes')}"
)
print(
    f"an untrained LeNet-5 (random weights, seed 0) puts {untrained_share:.0%} of its saliency on the strokes; "
    f"the trained model's share is {untrained_comparison(share, untrained_share)}"
)

image_shares, _ = share_inside(maps, images[:, 0] > STROKE)
fig, axes = plt.subplots(2, 10, figsize=(17, 4.0), layout="constrained")
for column in range(10):
    axes[0, column].imshow(images[column, 0], cmap="gray", vmin=0, vmax=1)
    axes[0, column].set_title(f"{test_y[chosen[column]]} → {predicted[column]}", fontsize=9)
    shown = axes[1, column].imshow(maps[column], cmap="hot", vmin=0, vmax=maps.max())
    axes[1, column].set_title(f"{image_shares[column]:.0%} on strokes", fontsize=9)
    for ax in axes[:, column]:
        ax.set(xticks=[], yticks=[])
axes[0, 0].set_ylabel("digit (true → predicted)", fontsize=9)
axes[1, 0].set_ylabel(SALIENCY, fontsize=9)
colorbar_beside(shown, axes[1], f"{SALIENCY}, one scale")
fig.suptitle(
    "Saliency maps of LeNet-5 for its predicted class; panel titles: share of the map on the strokes "
    f"(they cover {(images[:, 0] > STROKE).mean():.0%} of these images)"
)
save_figure(fig, settings.out_dir / "saliency_maps.png")


# %% [markdown]
# ## 2. The same image, explained for every class
# One colour scale for all ten: which class scores would change most, and where?
# %%
image = images[[3]].repeat(10, axis=0)
per_class = saliency(model, image, target=list(range(10)))
fig, axes = plt.subplots(1, 11, figsize=(18, 2.3), layout="constrained")
axes[0].imshow(image[0, 0], cmap="gray", vmin=0, vmax=1)
axes[0].set_title(f"input (called {predicted[3]})", fontsize=9)
for digit in range(10):
    shown = axes[digit + 1].imshow(per_class[digit], cmap="hot", vmin=0, vmax=per_class.max())
    axes[digit + 1].set_title(f"class {digit}: max {per_class[digit].max():.2f}", fontsize=9)
for ax in axes:
    ax.set(xticks=[], yticks=[])
colorbar_beside(shown, axes[1:], SALIENCY)
fig.suptitle(
    f"Saliency of one '{test_y[chosen[3]]}' for each class score, one scale: "
    "which pixels move each logit most (one logit alone)?"
)
save_figure(fig, settings.out_dir / "saliency_per_class.png")
strongest = int(per_class.max(axis=(1, 2)).argmax())
print(
    f"for this '{test_y[chosen[3]]}' the class score most sensitive to a single pixel is class {strongest} "
    f"(max |∂y/∂x| {per_class[strongest].max():.2f})"
)

# %%
print(
    f"\nWhat we saw: one backward pass gives a pixel-level map per image; its heat "
    f"{heat_location_verdict(share, stroke_area, 'the strokes')}, "
    f"a share {untrained_comparison(share, untrained_share)}. "
    "Grad-CAM and LIME trade the pixel level for coarser, region-level answers."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
