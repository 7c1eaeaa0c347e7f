# %% [markdown]
# # Workshop 4: U-Net segmentation and the Dice coefficient
#
# Slide section "Workshop 4: U-Net tumour segmentation". Segmentation labels every pixel. A U-Net
# (Ronneberger et al. 2015) encodes the image into coarse, wide feature maps, decodes them back to
# full size with up-convolutions, and hands the decoder the encoder's fine maps through skip
# connections, so that the masks it draws have sharp edges. Its logits give a tumour probability
# per pixel; the loss is binary cross-entropy plus the soft Dice loss, and the score is the Dice
# coefficient 2|X ∩ Y| / (|X| + |Y|) on held-out images. The Attention U-Net (Oktay et al. 2018)
# weighs each skip connection by a learned map α, which we can look at: it lights up the tumour,
# over a faint checkerboard that the 2×2, stride-2 up-convolutions leave (each pixel of a 2×2 block
# gets its own weight; Odena, Dumoulin & Olah, "Deconvolution and checkerboard artifacts", 2016).
#
# The images are phantoms (minidl.datasets.make_phantoms): elliptical heads with a skull rim,
# textured tissue, noise and, in four of five, a brighter irregular "tumour". They stand in for the
# BraTS MRI scans of the deck, which cannot ship. With real slices, pass your own arrays instead:
# images float32 (N, 1, H, W) scaled to [0, 1] and masks (N, H, W) of 0/1, H and W divisible by 4.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons unet_segmentation`
# (`--quick` for a short run).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.training import predict, train_segmenter
from minidl import nn
from minidl.datasets import make_phantoms
from minidl.metrics import dice, iou
from minidl.models import UNet

settings = lesson_settings("unet_segmentation")

# %%
size, steps = (32, 40) if settings.quick else (64, 300)


# %% [markdown]
# ## 1. The data: 240 phantoms to learn from, 60 held out
# %%
train_x, train_y = make_phantoms(240, size, seed=0)
test_x, test_y = make_phantoms(60, size, seed=1)
print(f"{len(train_x)} training and {len(test_x)} held-out phantoms of {size}×{size}; "
      f"{np.mean(train_y.any(axis=(1, 2))):.0%} of them with a tumour, covering "
      f"{train_y[train_y.any(axis=(1, 2))].mean():.1%} of their pixels on average")


# %% [markdown]
# ## 2. The U-Net, trained with and without attention gates
# %%
models, losses, seconds = {}, {}, {}
for name, attention in (("U-Net", False), ("Attention U-Net", True)):
    minidl.manual_seed(0)
    models[name] = UNet(base_channels=8, depth=2, attention=attention)
    if not attention:
        nn.summary(models[name], (1, 1, size, size))
    start = time.perf_counter()
    losses[name] = train_segmenter(models[name], train_x, train_y, steps, name)
    seconds[name] = time.perf_counter() - start


# %% [markdown]
# ## 3. Dice on the held-out phantoms
# %%
predicted = {name: predict(model, test_x)[:, 0] > 0 for name, model in models.items()}
scores = {name: [dice(p, t) for p, t in zip(masks, test_y)] for name, masks in predicted.items()}
for name in models:
    print(f"{name:<16} Dice {np.mean(scores[name]):.3f} (mean over images; an empty prediction of an empty mask "
          f"counts 1), IoU {np.mean([iou(p, t) for p, t in zip(predicted[name], test_y)]):.3f}; "
          f"{steps} steps in {seconds[name]:.0f} s")

fig, ax = plt.subplots(figsize=(7, 4))
window = max(1, steps // 20)
for name, values in losses.items():
    smooth = np.convolve(values, np.ones(window) / window, mode="valid")
    ax.plot(np.arange(len(smooth)) + window, smooth, label=f"{name}: Dice {np.mean(scores[name]):.3f}")
ax.set(title="Training loss (BCE + soft Dice), running mean", xlabel="Adam step (batch of 16)", ylabel="loss")
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
save_figure(fig, settings.out_dir / "training_curves.png")


# %% [markdown]
# ## 4. The masks over the images, and where the attention gate looks
# %%
shown = np.argsort([-int(t.sum()) for t in test_y])[[0, 5, 10, 20]]  # from the largest tumour down
gated = models["Attention U-Net"]
predict(gated, test_x[shown])  # a forward pass, so the gates hold the maps of these images
attention = gated.attention_maps()[-1].data[:, 0]  # the finest level, at full resolution
fig, axes = plt.subplots(4, 4, figsize=(11, 11))
for column, index in enumerate(shown):
    axes[0, column].imshow(test_x[index, 0], cmap="gray")
    axes[0, column].contour(test_y[index], levels=[0.5], colors="lime", linewidths=1.2)
    axes[0, column].set_title(f"phantom {index}: true tumour", fontsize=9)
    for row, name in ((1, "U-Net"), (2, "Attention U-Net")):
        axes[row, column].imshow(test_x[index, 0], cmap="gray")
        axes[row, column].contour(test_y[index], levels=[0.5], colors="lime", linewidths=1.0)
        axes[row, column].contour(predicted[name][index], levels=[0.5], colors="red", linewidths=1.2)
        axes[row, column].set_title(f"{name}: Dice {scores[name][index]:.2f}", fontsize=9)
    axes[3, column].imshow(attention[column], cmap="viridis", vmin=0, vmax=1)
    axes[3, column].set_title("attention gate α (finest skip)", fontsize=9)
for ax in axes.flat:
    ax.set(xticks=[], yticks=[])
fig.suptitle("Green: the true tumour; red: the predicted one")
fig.tight_layout()
save_figure(fig, settings.out_dir / "predicted_masks.png")

plain, gated_score = np.mean(scores["U-Net"]), np.mean(scores["Attention U-Net"])
print(f"\nWhat we saw: trained for {steps} steps on {len(train_x)} phantoms, the U-Net reaches Dice "
      f"{plain:.3f} on held-out ones and the Attention U-Net {gated_score:.3f}; "
      "the skip connections give the masks their sharp outlines, and the gate's map shows which parts of the "
      "encoder's features it lets through.")
