# %% [markdown]
# # Workshop 5: Grad-CAM step by step
#
# Slide section "Workshop 5: Grad-CAM". Grad-CAM (Selvaraju et al. 2017) asks the last
# convolutional layer where the evidence for a class lies, in five steps:
#
#   1. forward pass: keep the layer's feature maps A^k (here LeNet-5's 16 maps of 10×10, after ReLU);
#   2. choose the class c (the predicted one) and take its score y_c (a logit);
#   3. backward pass: the gradients ∂y_c/∂A^k, one map per channel;
#   4. weights α_k = the spatial mean of each gradient map: how much channel k matters for c;
#   5. map = ReLU(Σ_k α_k A^k), scaled to [0, 1] and enlarged to the input size.
#
# Step 5's scaling divides each map by its own maximum, so a weak map looks as strong as a strong
# one; where maps are compared side by side below, each row shares one scale from 0 instead, with a
# colour bar, and each panel states how much of its heat falls on the object.
#
# Grad-CAM++ (Chattopadhyay et al. 2018) weighs each position's positive gradient instead of
# averaging, which helps when a class shows up in several places. Both run on the MNIST LeNet-5 of
# workshop 2 and on the model of the Husky-vs-Wolf lesson trained on its biased data.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons gradcam`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.heat import cam_heat, on_one_scale, one_scale_colorbar, share_inside
from lessons.settings import lesson_settings
from lessons.trained_models import (
    husky_wolf_accuracies,
    swapped_caption,
    husky_wolf_lenet,
    mnist_lenet,
)
from lessons.training import predict
from lessons.verdicts import (
    QUICK_RUN_NOTE,
    biased_model_name,
    classifier_verdict,
    heat_location_verdict,
    heat_place,
    map_agreement,
    shortcut_verdict,
)
from minidl.datasets import load_mnist, make_husky_wolf
from minidl.metrics import accuracy
from minidl.viz import image_grid, overlay_heatmap
from minidl.xai import GradCAM, GradCAMPlusPlus

settings = lesson_settings("gradcam")

LAYER = "features.4"  # LeNet-5's last convolution, after its ReLU: 16 maps of 10×10
STROKE = 0.2  # pixels brighter than this are the digit's strokes
METHODS = {"Grad-CAM": GradCAM, "Grad-CAM++": GradCAMPlusPlus}


def compared_maps(
    images: np.ndarray, masks: np.ndarray, raw: dict[str, np.ndarray], titles: list[str], thing: str, suptitle: str
):
    """One column per image (N, 1, H, W); one row per method, its unscaled maps raw[method] (N, h, w)
    enlarged and drawn on one scale from 0 (a colour bar per row), each panel titled with its share
    of heat on the masked object (masks (N, H, W)), or that it has none."""
    fig, axes = plt.subplots(
        1 + len(raw),
        len(images),
        figsize=(1.75 * len(images) + 1.4, 1.9 * (1 + len(raw)) + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for column, image in enumerate(images):
        axes[0, column].imshow(image[0], cmap="gray", vmin=0, vmax=1)
        axes[0, column].set(xticks=[], yticks=[])
        axes[0, column].set_title(titles[column], fontsize=9)
    axes[0, 0].set_ylabel("image", fontsize=9)
    for row, (name, maps) in enumerate(raw.items(), start=1):
        heat = cam_heat(maps, *images.shape[2:])
        shares, areas = share_inside(heat, masks)
        scaled, top = on_one_scale(heat)
        for column, image in enumerate(images):
            # share_inside gives an empty map share 0, which would read as "all on the background"
            title = f"heat {shares[column]:.0%}, area {areas[column]:.0%}" if heat[column].any() else "no heat anywhere"
            shown = overlay_heatmap(axes[row, column], image, scaled[column], title)
        axes[row, 0].set_ylabel(name, fontsize=9)
        one_scale_colorbar(shown, axes[row], top)
    fig.suptitle(
        f"{suptitle}\npanel titles: the share of the heat on {thing}, and the share of the image area on {thing}",
        fontsize=10,
    )
    return fig


# %%
model = mnist_lenet(settings)
test_x, test_y = load_mnist("test")
digit = test_x[[1]]
print(
    f"the LeNet-5 of workshop 2 on the {len(test_y)} test digits: "
    f"{classifier_verdict(accuracy(predict(model, test_x), test_y), num_classes=10)}"
)


# %% [markdown]
# ## Steps 1–3: forward pass, choose the class, backward pass
# A channel whose map is 0 everywhere (its ReLU cut every value) adds nothing to the map, whatever
# its weight α_k: look for such channels in step 1.
# %%
result = GradCAM(model, LAYER).explain(digit)
c = int(result.targets[0])
logits = ", ".join(f"{v:.1f}" for v in result.scores[0])
print(f"step 1-2: the scores (logits) are [{logits}]; the predicted class is {c} (the digit is a {test_y[1]})")
print(f"step 3: A and ∂y_{c}/∂A both have shape {result.activations.shape[1:]} (channels, height, width)")
peaks = result.activations[0].max(axis=(1, 2))
silent = np.flatnonzero(peaks == 0)
silent_elsewhere = (GradCAM(model, LAYER).explain(test_x[:200]).activations.max(axis=(2, 3)) == 0).mean(axis=0)
for k in silent:
    print(
        f"channel {k} is 0 everywhere on this digit and on {silent_elsewhere[k]:.0%} of the first 200 test digits"
        + (
            ": a dead channel, its ReLU lets nothing through, so it adds nothing to any map"
            if silent_elsewhere[k] == 1
            else ": it adds nothing to this digit's map"
        )
    )
save_figure(
    image_grid(
        result.activations[0],
        columns=8,
        cmap="magma",
        titles=[f"$A^{{{k}}}$: all 0" if peak == 0 else f"$A^{{{k}}}$, max {peak:.1f}" for k, peak in enumerate(peaks)],
        suptitle="Step 1: the 16 feature maps $A^k$ of the last convolution (after ReLU), "
        "each on its own scale (black = 0)",
    ),
    settings.out_dir / "step1_feature_maps.png",
)
save_figure(
    image_grid(
        result.gradients[0],
        columns=8,
        titles=[rf"$\partial y_{{{c}}} / \partial A^{{{k}}}$" for k in range(16)],
        symmetric=True,
        colorbar=True,
        suptitle=f"Step 3: gradients of the class-{c} score, one scale (red +, blue −)",
    ),
    settings.out_dir / "step3_gradients.png",
)


# %% [markdown]
# ## Steps 4–5: channel weights, weighted sum, ReLU, scale, enlarge
# %%
weights = result.weights[0]
order = np.argsort(-weights)
print(
    "step 4: α_k = mean of each gradient map; the largest: "
    + ", ".join(f"α_{k} = {weights[k]:+.3f}" for k in order[:3])
)
weighted = np.einsum("k,khw->hw", weights, result.activations[0])
print(
    f"step 5: Σ α_k A^k lies in [{weighted.min():+.3f}, {weighted.max():+.3f}]; the ReLU keeps "
    f"{np.mean(weighted > 0):.0%} of its 100 positions"
)
fig, axes = plt.subplots(1, 5, figsize=(18, 3.7), gridspec_kw={"width_ratios": [1.8, 1, 1, 1, 1]}, layout="constrained")
axes[0].bar(range(16), weights, color=np.where(weights > 0, "tab:red", "tab:blue"))
axes[0].set(title=r"Step 4: channel weights $\alpha_k$", xlabel="channel $k$", ylabel=r"$\alpha_k$")
axes[0].grid(alpha=0.3)
limit = np.abs(weighted).max()
for ax, image, title, scale in (
    (
        axes[1],
        weighted,
        r"$\Sigma_k \, \alpha_k A^k$ (10×10)" + "\nred +, blue −",
        {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit},
    ),
    (axes[2], result.raw[0], "ReLU: the negative part cut", {"cmap": "jet", "vmin": 0}),
    (axes[3], result.cam[0], "scaled to [0, 1], 28×28", {"cmap": "jet", "vmin": 0, "vmax": 1}),
):
    fig.colorbar(ax.imshow(image, **scale), ax=ax, fraction=0.046)
    ax.set(title=title, xticks=[], yticks=[])
overlay_heatmap(axes[4], digit[0], result.cam[0])
axes[4].set_title(f"over the input: class {c}")
fig.suptitle("Step 5: the Grad-CAM map")
save_figure(fig, settings.out_dir / "step4_5_weights_and_map.png")


# %% [markdown]
# ## Grad-CAM and Grad-CAM++ on several digits
# Each row on one scale; each panel says how much of its heat falls on the strokes. Does the heat
# sit on the strokes, or beside them, where a stroke of another digit would be?
# %%
chosen = np.array([np.flatnonzero(test_y == d)[0] for d in range(0, 10, 2 if settings.quick else 1)])
images = test_x[chosen]
strokes = images[:, 0] > STROKE
digit_results = {name: method(model, LAYER).explain(images) for name, method in METHODS.items()}
digit_shares = {name: share_inside(cam_heat(r.raw, 28, 28), strokes)[0] for name, r in digit_results.items()}
stroke_area = strokes.mean()
fig = compared_maps(
    images,
    strokes,
    {name: r.raw for name, r in digit_results.items()},
    [f"a {test_y[i]}, called {k}" for i, k in zip(chosen, digit_results["Grad-CAM"].targets)],
    "the strokes",
    "Grad-CAM and Grad-CAM++ of the predicted class on LeNet-5; "
    f"over these {len(chosen)} digits the strokes cover {stroke_area:.0%} of the image",
)
save_figure(fig, settings.out_dir / "gradcam_digits.png")
agreement = np.mean([np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(*(r.cam for r in digit_results.values()))])
print(f"Grad-CAM vs Grad-CAM++ on {len(chosen)} digits: mean correlation of the maps {agreement:.2f}")
for name, shares in digit_shares.items():
    print(f"{name}: the heat {heat_location_verdict(shares.mean(), stroke_area, 'the strokes')}")


# %% [markdown]
# ## On the Husky-vs-Wolf model trained on biased data
# The model of that lesson, trained on wolves on snow and huskies on grass, and its test images:
# first with the training set's backgrounds, to see whether it took the shortcut, then with the
# backgrounds swapped (wolves on grass, huskies on snow). Where does each method put the heat of
# the model's answer? Measured on 20 swapped images, four shown.
# %%
biased = husky_wolf_lenet(settings)
same_accuracy, swapped_accuracy = husky_wolf_accuracies(biased)
name_of_model = biased_model_name(same_accuracy, swapped_accuracy)  # "the shortcut model" only if it took it
print(f"{name_of_model} {shortcut_verdict(same_accuracy, swapped_accuracy)}")
animals, labels, animal_masks = (a[:20] for a in make_husky_wolf(300, background="swapped", seed=2))
# contrast "runner_up": with two classes, the log-odds y_c − y_other of the predicted class c
animal_results = {
    name: method(biased, LAYER).explain(animals, contrast="runner_up") for name, method in METHODS.items()
}
animal_shares = {name: share_inside(cam_heat(r.raw, 28, 28), animal_masks)[0] for name, r in animal_results.items()}
animal_area = animal_masks.mean()
called = animal_results["Grad-CAM"].targets
fig = compared_maps(
    animals[:4],
    animal_masks[:4],
    {name: r.raw[:4] for name, r in animal_results.items()},
    [swapped_caption(k, j).replace(", ", ",\n") for k, j in zip(labels, called)],
    "the animal",
    f"{name_of_model.capitalize()} (log-odds) on swapped backgrounds\nover {len(animals)} such images, "
    + "; ".join(f"{name}: heat {heat_place(shares.mean(), animal_area)}" for name, shares in animal_shares.items()),
)
save_figure(fig, settings.out_dir / "gradcam_husky_wolf.png")
for name, shares in animal_shares.items():
    print(f"{name} on {name_of_model}: the heat {heat_location_verdict(shares.mean(), animal_area)}")


# %%
print(
    f"\nWhat we saw: five steps — forward, choose class {c}, backward, average the gradients into 16 weights, "
    "weigh and sum the maps — give a coarse 10×10 map, enlarged to 28×28. On the digits Grad-CAM's heat "
    f"{heat_location_verdict(digit_shares['Grad-CAM'].mean(), stroke_area, 'the strokes')}; Grad-CAM++ "
    f"{map_agreement('Grad-CAM', agreement)}. {name_of_model.capitalize()} "
    f"{shortcut_verdict(same_accuracy, swapped_accuracy)}; on its swapped images "
    + " and ".join(
        f"{name}'s heat {heat_location_verdict(shares.mean(), animal_area)}" for name, shares in animal_shares.items()
    )
    + "."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
