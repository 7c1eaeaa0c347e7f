# %% [markdown]
# # XAI in images: the slide's table, side by side on the same digits
#
# Slide section "XAI in images". The slide sorts the explanations of image classifiers into three
# families, and this lesson runs one or two of each on the same digits and the same LeNet-5:
#
# | family | method here | question it answers |
# |---|---|---|
# | saliency maps (Simonyan et al. 2013) | saliency, SmoothGrad, Integrated Gradients | which pixels move the score? |
# | Shapley values (Lundberg & Lee 2017) | Kernel SHAP on 49 superpixels | what does each region add, fairly shared? |
# | concept attribution (Graziani et al. 2020) | a concept vector for "ink" | does the score rise with a concept? |
#
# The pixel methods are then measured the same way: deletion and insertion curves (Petsiuk et al.
# 2018), with a random ranking as the floor.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons xai_in_images`
# (`--quick` for a short run).

# %%
import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import mnist_lenet
from lessons.training import predict
from lessons.verdicts import QUICK_RUN_NOTE, ranking_verdict, relevance_verdict
from minidl.datasets import load_mnist
from minidl.progress import progress
from minidl.viz import deletion_insertion_scatter
from minidl.xai import (
    KernelShapExplainer,
    activations,
    bidirectional_relevance,
    concept_sensitivities,
    deletion_auc,
    insertion_auc,
    integrated_gradients,
    regression_concept_vector,
    saliency,
    smoothgrad,
)

settings = lesson_settings("xai_in_images")

CONCEPT_LAYER = "features.5"  # the last pooling layer: 16 maps of 5 × 5, what the classifier head reads

# %%
model = mnist_lenet(settings)
test_x, test_y = load_mnist("test")
count = 3 if settings.quick else 20
images = test_x[:count]
predicted = predict(model, images).argmax(axis=1)
logits = lambda batch: predict(model, batch)  # noqa: E731


# %% [markdown]
# ## 1. Four pixel maps of the same digits
#
# - saliency |∂y_c/∂x|: one backward pass;
# - SmoothGrad: the gradient averaged over 50 noisy copies (noise 15 % of the range), shown as |·|;
# - Integrated Gradients: (x − x′) times the gradient averaged along the path from a black image x′,
#   50 steps; signed, and it adds up to y_c(x) − y_c(black);
# - Kernel SHAP: Shapley values of 4 × 4-pixel superpixels (hidden = black) from 1,000 coalitions;
#   signed, and they add up to y_c(x) − y_c(all hidden).
# %%
maps = {
    "saliency": saliency(model, images),
    "SmoothGrad": np.abs(smoothgrad(model, images, samples=50, seed=0)).max(axis=1),
    "Integrated Gradients": integrated_gradients(model, images, steps=50).sum(axis=1),
}
explainer = KernelShapExplainer()
shap = [
    explainer.explain(image, logits, cell_size=4, hide_color=0.0, num_samples=200 if settings.quick else 1000, seed=0)
    for image in progress(images, "Kernel SHAP", unit="digits")
]
maps["Kernel SHAP"] = np.stack([e.values[e.segments] for e in shap])
scores = predict(model, images)[np.arange(count), predicted]
black = predict(model, np.zeros_like(images[:1]))[0, predicted]
ig_gap = np.abs(maps["Integrated Gradients"].sum(axis=(1, 2)) - (scores - black)) / np.abs(scores - black)
print(f"Integrated Gradients' completeness: Σ attributions vs y_c(x) − y_c(black), largest gap {ig_gap.max():.2%}")
shap_gap = max(abs(e.values.sum() - (e.full_value - e.base_value)) for e in shap)
print(f"Kernel SHAP's efficiency: Σφ vs y_c(x) − y_c(all hidden), largest gap {shap_gap:.1e}")


# %% [markdown]
# ## 2. Concept attribution: does the class score rise with the amount of ink?
#
# "Ink" is the mean brightness of a digit, known exactly for every image. Regress it on the
# activations of the last pooling layer for 500 test digits (held-out R² says whether the layer
# encodes it), take the direction, and measure each shown digit's sensitivity S = ∇y_c · v along it.
# %%
concept_images = test_x[200:350] if settings.quick else test_x[200:700]
ink = concept_images.mean(axis=(1, 2, 3)).astype(np.float64)
rcv = regression_concept_vector(activations(model, CONCEPT_LAYER, concept_images), ink, alpha=1.0, seed=0)
ink_sensitivity = concept_sensitivities(model, CONCEPT_LAYER, images, rcv.vector, target=predicted)
ink_relevance = bidirectional_relevance(rcv.r2, ink_sensitivity)
print(
    f"'ink' regression concept vector at {CONCEPT_LAYER}: held-out R² {rcv.r2:.2f}; sensitivity S of the "
    f"predicted class: positive for {np.mean(ink_sensitivity > 0):.0%} of the {count} digits, mean "
    f"{ink_sensitivity.mean():+.3f}, Br {ink_relevance:.2f}"
)

shown = min(count, 4)
columns = ["input", *maps, "concept"]
SIGNED = ("Integrated Gradients", "Kernel SHAP")  # the other maps are magnitudes, never below 0
fig, axes = plt.subplots(
    shown, len(columns), figsize=(2.7 * len(columns), 2.4 * shown + 0.6), squeeze=False, layout="constrained"
)
for row in range(shown):
    drawn = axes[row, 0].imshow(images[row, 0], cmap="gray", vmin=0, vmax=1)
    fig.colorbar(drawn, ax=axes[row, 0], fraction=0.046)
    axes[row, 0].set_ylabel(f"{test_y[row]} → {predicted[row]}")
    for column, name in enumerate(maps, start=1):
        values = maps[name][row]
        if name in SIGNED:  # signed: red for the class, blue against, white at 0, symmetric around 0
            limit = np.abs(values).max() or 1.0
            drawn = axes[row, column].imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:  # a magnitude: black at 0
            drawn = axes[row, column].imshow(values, cmap="hot", vmin=0, vmax=values.max() or 1.0)
        fig.colorbar(drawn, ax=axes[row, column], fraction=0.046)
    axes[row, -1].text(
        0.5,
        0.5,
        f"S along 'ink'\n{ink_sensitivity[row]:+.3f}",
        ha="center",
        va="center",
        fontsize=11,
        transform=axes[row, -1].transAxes,
    )
    for ax in axes[row]:
        ax.set(xticks=[], yticks=[])
for column, name in enumerate(columns):
    axes[0, column].set_title(name if name != "concept" else f"concept (R² {rcv.r2:.2f})", fontsize=10)
fig.suptitle(
    "The slide's three families on the same digits, each panel on its own scale (its colour bar).\n"
    f"{' and '.join(name for name in maps if name not in SIGNED)}: magnitudes from 0 (black); "
    f"{' and '.join(SIGNED)}: signed, red for the predicted class, blue against, white 0"
)
save_figure(fig, settings.out_dir / "xai_table.png")


# %% [markdown]
# ## 3. Which pixel map ranks the pixels best? Deletion and insertion
#
# Delete the pixels a map ranks highest first (set them to 0): a good map makes the class
# probability fall fast (small area). Insert them into a blurred copy: it should rise fast (large
# area). A random ranking is the floor every method should clear.
# %%
rankings = {**maps, "random": np.random.default_rng(0).random((count, 28, 28))}
areas = {name: ([], []) for name in rankings}
for index, image in enumerate(progress(images, "deletion/insertion", unit="digits")):
    for name, ranking in rankings.items():
        areas[name][0].append(deletion_auc(model, image, ranking[index], step=8))
        areas[name][1].append(insertion_auc(model, image, ranking[index], step=8))
print(f"mean over {count} test digits (deletion: lower is better, insertion: higher is better)")
print(f"{'method':<22}{'deletion AUC':>14}{'insertion AUC':>15}")
for name, (deletion, insertion) in areas.items():
    print(f"{name:<22}{np.mean(deletion):>14.3f}{np.mean(insertion):>15.3f}")

fig, ax = plt.subplots(figsize=(7, 4.5))
deletion_insertion_scatter(ax, areas, {"random": {"fmt": "x"}})
ax.set_title(f"Pixel methods on {count} digits (mean ± standard error): better is up and to the left")
ax.legend(fontsize=9)
fig.tight_layout()
save_figure(fig, settings.out_dir / "deletion_insertion_table.png")

deletion_verdict = ranking_verdict({name: d for name, (d, _) in areas.items()}, lower_is_better=True)
insertion_verdict = ranking_verdict({name: i for name, (_, i) in areas.items()}, lower_is_better=False)
against = {
    name: float(np.clip(maps[name], None, 0).sum() / np.abs(maps[name]).sum())
    for name in ("Integrated Gradients", "Kernel SHAP")
}
print(
    f"\nWhat we saw: on these {count} digits, deletion: {deletion_verdict}. Insertion: {insertion_verdict}. "
    + (
        "The signed maps also show evidence against the class, which |gradient| maps cannot (share of the "
        "attribution that is negative: " + ", ".join(f"{name} {-share:.0%}" for name, share in against.items()) + ")."
        if min(against.values()) < 0
        else "The signed maps show no evidence against the class on these digits."
    )
    + " The concept column answers another question, not where but what: "
    + relevance_verdict("ink", rcv.r2, ink_relevance, "predicted class's score")
    + "."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
