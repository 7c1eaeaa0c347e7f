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
# Grad-CAM++ (Chattopadhyay et al. 2018) weighs each position's positive gradient instead of
# averaging, which helps when a class shows up in several places. Both run on the MNIST LeNet-5 of
# workshop 2 and on the shortcut model of the Husky-vs-Wolf lesson.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons gradcam`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import TwoClassLogOdds, trained_husky_wolf_lenet, trained_mnist_lenet
from minidl.datasets import HUSKY_WOLF_CLASSES, load_mnist, make_husky_wolf
from minidl.viz import explanation_grid, image_grid, overlay_heatmap
from minidl.xai import GradCAM, GradCAMPlusPlus

settings = lesson_settings("gradcam")

LAYER = "features.4"  # LeNet-5's last convolution, after its ReLU: 16 maps of 10×10


# %%
model, _ = trained_mnist_lenet(settings.quick)
test_x, test_y = load_mnist("test")
digit = test_x[[1]]


# %% [markdown]
# ## Steps 1–3: forward pass, choose the class, backward pass
# %%
result = GradCAM(model, LAYER).explain(digit)
c = int(result.targets[0])
logits = ", ".join(f"{v:.1f}" for v in result.scores[0])
print(f"step 1-2: the scores (logits) are [{logits}]; the predicted class is {c} "
      f"(the digit is a {test_y[1]})")
print(f"step 3: A and ∂y_{c}/∂A both have shape {result.activations.shape[1:]} (channels, height, width)")
save_figure(image_grid(result.activations[0], columns=8, titles=[f"A^{k}" for k in range(16)], cmap="magma",
                       suptitle="Step 1: the 16 feature maps A^k of the last convolution (after ReLU)"),
            settings.out_dir / "step1_feature_maps.png")
save_figure(image_grid(result.gradients[0], columns=8, titles=[f"∂y/∂A^{k}" for k in range(16)], symmetric=True,
                       suptitle=f"Step 3: gradients of the class-{c} score (red +, blue −)"),
            settings.out_dir / "step3_gradients.png")


# %% [markdown]
# ## Steps 4–5: channel weights, weighted sum, ReLU, scale, enlarge
# %%
weights = result.weights[0]
order = np.argsort(-weights)
print("step 4: α_k = mean of each gradient map; the largest: "
      + ", ".join(f"α_{k} = {weights[k]:+.3f}" for k in order[:3]))
weighted = np.einsum("k,khw->hw", weights, result.activations[0])
fig, axes = plt.subplots(1, 5, figsize=(17, 3.6), gridspec_kw={"width_ratios": [1.8, 1, 1, 1, 1]})
axes[0].bar(range(16), weights, color=np.where(weights > 0, "tab:red", "tab:blue"))
axes[0].set(title="Step 4: channel weights α_k", xlabel="channel k", ylabel="α_k")
axes[0].grid(alpha=0.3)
for ax, image, title in ((axes[1], weighted, "Σ α_k A^k (10×10)"), (axes[2], result.raw[0], "ReLU"),
                         (axes[3], result.cam[0], "scaled to [0, 1], 28×28")):
    ax.imshow(image, cmap="jet")
    ax.set(title=title, xticks=[], yticks=[])
overlay_heatmap(axes[4], digit[0], result.cam[0], f"over the input: class {c}")
fig.suptitle("Step 5: the Grad-CAM map")
fig.tight_layout()
save_figure(fig, settings.out_dir / "step4_5_weights_and_map.png")


# %% [markdown]
# ## Grad-CAM and Grad-CAM++ on several digits
# %%
chosen = np.array([np.flatnonzero(test_y == d)[0] for d in range(0, 10, 2 if settings.quick else 1)])
images = test_x[chosen]
maps = {"Grad-CAM": GradCAM(model, LAYER)(images), "Grad-CAM++": GradCAMPlusPlus(model, LAYER)(images)}
fig = explanation_grid(images, maps, image_titles=[f"a {test_y[i]}" for i in chosen],
                       suptitle="Grad-CAM and Grad-CAM++ on LeNet-5 (predicted class)")
save_figure(fig, settings.out_dir / "gradcam_digits.png")
agreement = np.mean([np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(*maps.values())])
print(f"Grad-CAM vs Grad-CAM++ on {len(chosen)} digits: mean correlation of the maps {agreement:.2f}")


# %% [markdown]
# ## On the shortcut model of the Husky-vs-Wolf lesson
# %%
shortcut = TwoClassLogOdds(trained_husky_wolf_lenet(settings.quick))
animals, labels, _ = make_husky_wolf(4, background="swapped", seed=2)
animal_maps = {name: method(shortcut, "model." + LAYER)(animals)
               for name, method in (("Grad-CAM", GradCAM), ("Grad-CAM++", GradCAMPlusPlus))}
fig = explanation_grid(animals, animal_maps, image_titles=[f"a {HUSKY_WOLF_CLASSES[k]}" for k in labels],
                       suptitle="The shortcut model (log-odds): the heat is on the background")
save_figure(fig, settings.out_dir / "gradcam_husky_wolf.png")

print(f"\nWhat we saw: five steps — forward, choose class {c}, backward, average the gradients into 16 weights, "
      "weigh and sum the maps — give a coarse 10×10 map of where the evidence lies, enlarged to 28×28; "
      f"Grad-CAM++ weighs positions differently (its maps correlate at {agreement:.2f} with Grad-CAM's on these "
      "digits); on the shortcut model both point at the background.")
