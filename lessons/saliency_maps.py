# %% [markdown]
# # Saliency maps
#
# Slide section "Post-hoc explanations: saliency maps". Simonyan, Vedaldi & Zisserman (2013) asked
# the trained network itself: if a pixel changed a little, how much would the class score y_c
# change? The answer is the gradient ∂y_c/∂x, one backward pass; its magnitude |∂y_c/∂x| is the
# saliency map. On the LeNet-5 of workshop 2 the maps concentrate on and around the strokes, and
# the map for a different class shows where the digit would have to change to become that class.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons saliency_maps`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import trained_mnist_lenet
from lessons.training import predict
from minidl.datasets import load_mnist
from minidl.xai import saliency

settings = lesson_settings("saliency_maps")

# %%
model, _ = trained_mnist_lenet(settings.quick)
test_x, test_y = load_mnist("test")
chosen = np.array([np.flatnonzero(test_y == digit)[0] for digit in range(10)])
images = test_x[chosen]


# %% [markdown]
# ## 1. One backward pass per image: |∂y_c/∂x| for the predicted class
# %%
predicted = predict(model, images).argmax(axis=1)
maps = saliency(model, images)
on_stroke = [(m * (img[0] > 0.2)).sum() / m.sum() for m, img in zip(maps, images)]
stroke_area = np.mean([np.mean(img[0] > 0.2) for img in images])
print(f"share of the saliency on the stroke pixels (the {stroke_area:.0%} of pixels brighter than 0.2): "
      f"{np.mean(on_stroke):.0%} on average")

fig, axes = plt.subplots(2, 10, figsize=(16, 3.8))
for column in range(10):
    axes[0, column].imshow(images[column, 0], cmap="gray")
    axes[0, column].set_title(f"{test_y[chosen[column]]} → {predicted[column]}", fontsize=9)
    axes[1, column].imshow(maps[column], cmap="hot")
    for ax in axes[:, column]:
        ax.set(xticks=[], yticks=[])
axes[0, 0].set_ylabel("digit (true → predicted)", fontsize=8)
axes[1, 0].set_ylabel("|∂y_c/∂x|", fontsize=8)
fig.suptitle("Saliency maps of LeNet-5 for its predicted class")
fig.tight_layout()
save_figure(fig, settings.out_dir / "saliency_maps.png")


# %% [markdown]
# ## 2. The same image, explained for every class
# %%
image = images[[3]].repeat(10, axis=0)
per_class = saliency(model, image, target=list(range(10)))
fig, axes = plt.subplots(1, 11, figsize=(17, 2.2))
axes[0].imshow(image[0, 0], cmap="gray")
axes[0].set_title("input", fontsize=9)
for digit in range(10):
    axes[digit + 1].imshow(per_class[digit], cmap="hot")
    axes[digit + 1].set_title(f"class {digit}", fontsize=9)
for ax in axes:
    ax.set(xticks=[], yticks=[])
fig.suptitle("Saliency of one '3' for each class score: where would the image have to change?", y=1.05)
save_figure(fig, settings.out_dir / "saliency_per_class.png")

print(f"\nWhat we saw: one backward pass gives a map per image; {np.mean(on_stroke):.0%} of its mass lies on "
      f"the stroke pixels, which cover {stroke_area:.0%} of the image; the maps are noisy and pixel-level, "
      "which Grad-CAM and LIME will trade for coarser, region-level answers.")
