# %% [markdown]
# # Workshop 4: U-Net segmentation and the Dice coefficient
#
# Slide section "Workshop 4: U-Net tumour segmentation". Segmentation labels every pixel. A U-Net
# (Ronneberger et al. 2015) encodes the image into coarse, wide feature maps, decodes them back to
# full size with up-convolutions, and hands the decoder the encoder's fine maps through skip
# connections, so that the masks it draws can follow fine edges. Its logits give a tumour
# probability per pixel; the loss is binary cross-entropy plus the soft Dice loss, and the score is
# the Dice coefficient 2|X ∩ Y| / (|X| + |Y|) on held-out images. The Attention U-Net (Oktay et al.
# 2018) weighs each skip connection by a learned map α in [0, 1], which we can look at. Look for
# where α is high (on the tumour? on the skull?), and for a 2×2 checkerboard: the gate reads the
# output of a 2×2, stride-2 up-convolution, in which each pixel of a 2×2 block gets its own weight
# (Odena, Dumoulin & Olah, "Deconvolution and checkerboard artifacts", 2016). The lesson measures both.
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
from lessons.verdicts import QUICK_RUN_NOTE, attention_verdict, checkerboard_verdict, dice_verdict, paired_score_verdict
from minidl import nn
from minidl.datasets import make_phantoms
from minidl.metrics import dice, iou
from minidl.models import UNet

settings = lesson_settings("unet_segmentation")


def head_masks(images: np.ndarray) -> np.ndarray:
    """Where the head is: the 3×3 mean of the image above 0.2 (tissue is about 0.45 and the skull
    0.9, the background 0 plus noise). images (N, 1, H, W) -> bool (N, H, W)."""
    padded = np.pad(images[:, 0], ((0, 0), (1, 1), (1, 1)), mode="edge")
    height, width = images.shape[2:]
    window_mean = sum(padded[:, r : r + height, c : c + width] for r in range(3) for c in range(3)) / 9
    return window_mean > 0.2


def block_variation(maps: np.ndarray) -> tuple[float, float]:
    """For maps (N, H, W), H and W even: the mean spread (max − min) of the four pixels of each
    2×2 block, and the mean absolute step between the means of neighbouring blocks."""
    n, height, width = maps.shape
    blocks = maps.reshape(n, height // 2, 2, width // 2, 2)
    spread = float((blocks.max(axis=(2, 4)) - blocks.min(axis=(2, 4))).mean())
    means = blocks.mean(axis=(2, 4))
    steps = np.concatenate([np.abs(np.diff(means, axis=1)).ravel(), np.abs(np.diff(means, axis=2)).ravel()])
    return spread, float(steps.mean())


# %%
size, steps = (32, 40) if settings.quick else (64, 300)


# %% [markdown]
# ## 1. The data: 240 phantoms to learn from, 60 held out
# %%
train_x, train_y = make_phantoms(240, size, seed=0)
test_x, test_y = make_phantoms(60, size, seed=1)
print(
    f"{len(train_x)} training and {len(test_x)} held-out phantoms of {size}×{size}; "
    f"{np.mean(train_y.any(axis=(1, 2))):.0%} of them with a tumour, covering "
    f"{train_y[train_y.any(axis=(1, 2))].mean():.1%} of their pixels on average"
)


# %% [markdown]
# ## 2. The U-Net, trained with and without attention gates
# %%
models, losses, seconds = {}, {}, {}
for name, attention in (("U-Net", False), ("Attention U-Net", True)):
    minidl.manual_seed(settings.seed)
    models[name] = UNet(base_channels=8, depth=2, attention=attention)
    if not attention:
        nn.summary(models[name], (1, 1, size, size))
    start = time.perf_counter()
    losses[name] = train_segmenter(models[name], train_x, train_y, steps, name, settings.seed)
    seconds[name] = time.perf_counter() - start


# %% [markdown]
# ## 3. Dice on the held-out phantoms
# %%
predicted = {name: predict(model, test_x)[:, 0] > 0 for name, model in models.items()}
scores = {name: [dice(p, t) for p, t in zip(masks, test_y)] for name, masks in predicted.items()}
for name in models:
    print(
        f"{name:<16} Dice {np.mean(scores[name]):.3f} (mean over images; an empty prediction of an empty mask "
        f"counts 1), IoU {np.mean([iou(p, t) for p, t in zip(predicted[name], test_y)]):.3f}; "
        f"{steps} steps in {seconds[name]:.0f} s"
    )

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
finest_skip = []  # the features the finest gate weighs: the first encoder's output (N, C, H, W)
hook = gated.encoders[0].register_forward_hook(lambda module, inputs, output: finest_skip.append(output.data))
try:
    predict(gated, test_x)  # a forward pass over all held-out phantoms, so the gates hold their maps
finally:
    hook.remove()
attention = gated.attention_maps()[-1].data[:, 0]  # the finest level, at full resolution (N, H, W)
finest_skip = np.concatenate(finest_skip)
fig, axes = plt.subplots(4, 4, figsize=(11.5, 11))
for column, index in enumerate(shown):
    axes[0, column].imshow(test_x[index, 0], cmap="gray")
    axes[0, column].contour(test_y[index], levels=[0.5], colors="lime", linewidths=1.2)
    axes[0, column].set_title(f"phantom {index}: true tumour", fontsize=9)
    for row, name in ((1, "U-Net"), (2, "Attention U-Net")):
        axes[row, column].imshow(test_x[index, 0], cmap="gray")
        axes[row, column].contour(test_y[index], levels=[0.5], colors="lime", linewidths=1.0)
        axes[row, column].contour(predicted[name][index], levels=[0.5], colors="red", linewidths=1.2)
        axes[row, column].set_title(f"{name}: Dice {scores[name][index]:.2f}", fontsize=9)
    gate_image = axes[3, column].imshow(attention[index], cmap="viridis", vmin=0, vmax=1)
    axes[3, column].contour(test_y[index], levels=[0.5], colors="white", linewidths=0.8, linestyles=":")
    axes[3, column].set_title(f"gate α, finest skip (max {attention[index].max():.2f})", fontsize=9)
for ax in axes.flat:
    ax.set(xticks=[], yticks=[])
fig.suptitle(
    "Green: the true tumour; red: the predicted one. Bottom row: the attention gate's α "
    "(one scale, 0 to 1; dotted white: the true tumour)"
)
fig.tight_layout()
fig.colorbar(gate_image, ax=axes[3, :].tolist(), fraction=0.02, pad=0.01, label="α")
save_figure(fig, settings.out_dir / "predicted_masks.png")

tumour, head = test_y.astype(bool), head_masks(test_x)
spread, neighbour_step = block_variation(attention)
# How much the skip features vary over the pixels of each region: their std per channel, averaged.
features_by_pixel = finest_skip.transpose(0, 2, 3, 1)  # (N, H, W, C)
variation = {
    region: float(features_by_pixel[where].std(axis=0).mean()) for region, where in (("outside", ~head), ("head", head))
}
gate_reading = attention_verdict(
    float(attention[tumour].mean()),
    float(attention[head & ~tumour].mean()),
    float(attention[~head].mean()),
    variation["outside"],
    variation["head"],
)
print(f"{gate_reading};\n{checkerboard_verdict(spread, neighbour_step)}")

plain, gated_score = np.mean(scores["U-Net"]), np.mean(scores["Attention U-Net"])
print(
    f"\nWhat we saw: trained for {steps} steps on {len(train_x)} phantoms of {size}×{size} and scored on "
    f"{len(test_x)} held-out ones, the U-Net reaches {dice_verdict(plain)}; the Attention U-Net reaches "
    f"{dice_verdict(gated_score)}; "
    f"{paired_score_verdict(scores['U-Net'], scores['Attention U-Net'], 'the U-Net', 'the Attention U-Net')}. "
    f"In the bottom row, {gate_reading}." + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
