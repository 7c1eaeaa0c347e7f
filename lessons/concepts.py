# %% [markdown]
# # Concept attribution: TCAV and regression concept vectors
#
# Slide section "XAI in images: concept attribution" (Graziani et al. 2020). Pixel maps say where
# the evidence lies; a concept explanation says which human idea the network uses: "is 'wolf'
# decided by snow?" Both methods look at the activations of one layer:
#
# - TCAV (Kim et al. 2018): a linear classifier separates the activations of images that show a
#   concept from those of random images; its normal is the concept activation vector (CAV). The
#   TCAV score is the share of a class's images whose class score rises along the CAV; a t-test
#   against CAVs of random images says whether it is more than chance.
# - Regression concept vectors (Graziani et al. 2020): for a concept that is a measure (an area, a
#   brightness), regress the measure on the activations (R² on held-out images says whether the
#   layer encodes it), take the regression direction, and measure the class score's sensitivity
#   along it; Br = R² · mean / standard deviation of the sensitivities sums it up (minidl counts a
#   held-out R² below 0 as 0, so Br is 0 for any concept the layer does not encode).
#
# The model is the black-box lesson's shortcut LeNet-5: trained on huskies on grass and wolves on
# snow. The generator knows each image's concepts exactly: the background's brightness and the
# animal's size (from its mask). A random number per image is the control concept: a permutation
# test asks whether its held-out R² beats the R² of the same numbers shuffled across the images
# (Br cannot tell: it is 0 whenever R² ≤ 0). The class score explained is the wolf-against-husky
# log-odds y_wolf − y_husky (contrast=0).
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons concepts`
# (`--quick` for a short run).

# %%
import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.printed_numbers import fixed
from lessons.settings import lesson_settings
from lessons.trained_models import husky_wolf_lenet
from lessons.training import predict
from lessons.verdicts import (
    QUICK_RUN_NOTE,
    concept_verdict,
    control_concept_verdict,
    missed_effect_verdict,
    relevance_verdict,
)
from minidl.datasets import load_mnist, make_husky_wolf, make_shapes
from minidl.xai import (
    activations,
    bidirectional_relevance,
    concept_sensitivities,
    r2_permutation_test,
    regression_concept_vector,
    tcav,
)

settings = lesson_settings("concepts")

LAYER = "features.4"  # the second convolution's ReLU: 16 maps of 10 × 10
WOLF, HUSKY = 1, 0

# %%
model = husky_wolf_lenet(settings)
n = 150 if settings.quick else 600
images, labels, masks = make_husky_wolf(n, background="random", seed=4)  # backgrounds by coin toss
background = np.array([image[0][~mask].mean() for image, mask in zip(images, masks)])
measures = {
    "background brightness": background,
    "animal size (pixels)": masks.reshape(n, -1).sum(axis=1).astype(np.float64),
    "random number (control)": np.random.default_rng(0).normal(size=n),
}


# %% [markdown]
# ## 1. Regression concept vectors: which measures does the layer encode, and does the wolf score follow them?
# %%
acts = activations(model, LAYER, images)
rows = {}
for name, measure in measures.items():
    rcv = regression_concept_vector(acts, measure, alpha=1.0, seed=0)
    sensitivities = concept_sensitivities(model, LAYER, images, rcv.vector, target=WOLF, contrast=HUSKY)
    rows[name] = (rcv.r2, sensitivities, bidirectional_relevance(rcv.r2, sensitivities))
print(f"layer {LAYER} ({acts.shape[1]} activations), {n} images with random backgrounds")
print(f"{'concept':<26}{'held-out R²':>12}{'mean S':>10}{'std S':>10}{'Br':>8}")
for name, (r2, s, br) in rows.items():
    print(f"{name:<26}{fixed(r2):>12}{fixed(s.mean(), 3):>10}{fixed(s.std(), 3):>10}{fixed(br):>8}")

# The control's check: is its held-out R² more than the regression finds in the same random numbers
# shuffled across the images (which breaks any link between the numbers and the images)?
permutations = 20 if settings.quick else 50
control_test = r2_permutation_test(
    acts, measures["random number (control)"], alpha=1.0, seed=0, permutations=permutations
)
print(
    f"control: held-out R² {fixed(control_test.r2)}; over {permutations} shuffles of the random numbers "
    f"{fixed(np.median(control_test.shuffled_r2))} (median), {fixed(control_test.shuffled_r2.max())} (largest); "
    f"p = {control_test.p_value:.2g}"
)

# S is a derivative at each image: a local answer. The global one for the background: how much
# higher is the wolf log-odds on snow than on grass, over the same images?
odds = predict(model, images) @ np.array([-1.0, 1.0])  # y_wolf − y_husky
snowy = background > 0.5
snow_effect = float(odds[snowy].mean() - odds[~snowy].mean())
print(
    f"globally: the wolf log-odds is {fixed(snow_effect, plus=True)} higher on snow than on grass (mean over "
    f"{snowy.sum()} snowy and {(~snowy).sum()} grassy images)"
)

fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
names = list(rows)
r2_bars = axes[0].bar(range(3), [max(rows[k][0], 0) for k in names], color=["tab:orange", "tab:blue", "gray"])
axes[0].bar_label(r2_bars, [f"R² {fixed(rows[k][0])}" for k in names], fontsize=8)
axes[0].set(
    title="Is the concept encoded?",
    ylabel="held-out R² of the regression\n(1 = predicted exactly; below 0 shown as 0)",
    ylim=(0, 1.12),
)
br_bars = axes[1].bar(range(3), [rows[k][2] for k in names], color=["tab:orange", "tab:blue", "gray"])
axes[1].bar_label(br_bars, [f"Br {fixed(rows[k][2])}" for k in names], fontsize=8)
axes[1].margins(y=0.15)
axes[1].axhline(0, color="black", linewidth=0.8)
axes[1].set(
    title="Does the wolf log-odds follow it?",
    ylabel="Br = max(R², 0) · μ(S) / σ(S)\n(no unit; 0 when R² ≤ 0)",
)
for ax in axes[:2]:
    ax.set_xticks(range(3), [k.replace(" (", "\n(") for k in names], fontsize=8)
for subset, colour, label in ((snowy, "tab:orange", "snow"), (~snowy, "tab:green", "grass")):
    axes[2].scatter(
        measures["animal size (pixels)"][subset],
        rows["background brightness"][1][subset],
        s=8,
        color=colour,
        label=f"{label} background",
    )
axes[2].set(
    xlabel="animal size (pixels)",
    ylabel="S: change of the wolf log-odds per unit\nstep along 'background brightness' RCV",
    title="Sensitivity per image",
)
axes[2].legend(fontsize=8)
fig.tight_layout()
save_figure(fig, settings.out_dir / "regression_concepts.png")


# %% [markdown]
# ## 2. TCAV: is "wolf" decided by snow?
#
# Concept images: scenes with snowy backgrounds and scenes with grassy ones (animals of both kinds,
# so the CAV learns the background and not the animal). Random images: digits, shapes and animal
# scenes mixed, drawn afresh for each of the random sets. The control is a random set posing as a
# concept: it must not come out significant.
# %%
pool_size = 40 if settings.quick else 80
scenes, _, scene_masks = make_husky_wolf(3 * pool_size, background="random", seed=5)
scene_background = np.array([s[0][~m].mean() for s, m in zip(scenes, scene_masks)])
concepts = {"snow": scenes[scene_background > 0.5][:pool_size], "grass": scenes[scene_background <= 0.5][:pool_size]}
digits = load_mnist("test")[0]
shapes, _ = make_shapes(10 * pool_size, seed=6)
rng = np.random.default_rng(7)


def random_set() -> np.ndarray:
    """pool_size images, a third each of digits, shapes and animal scenes, drawn at random."""
    third = pool_size // 3
    return np.concatenate(
        [
            digits[rng.choice(len(digits), third, replace=False)],
            shapes[rng.choice(len(shapes), third, replace=False)],
            scenes[rng.choice(len(scenes), pool_size - 2 * third, replace=False)],
        ]
    )


random_sets = [random_set() for _ in range(10 if settings.quick else 15)]
concepts["random images (control)"] = random_set()
wolves = images[labels == WOLF]
results = {
    name: tcav(model, LAYER, wolves, examples, random_sets, target=WOLF, contrast=HUSKY, seed=0)
    for name, examples in concepts.items()
}
print(f"TCAV for class 'wolf' (log-odds against husky), {len(wolves)} wolf images, {len(random_sets)} random sets")
print(f"{'concept':<26}{'TCAV score':>11}{'random CAVs':>13}{'p':>10}{'CAV accuracy':>14}")
for name, result in results.items():
    print(
        f"{name:<26}{result.score:>11.2f}{result.random_scores.mean():>13.2f}{result.p_value:>10.2g}"
        f"{result.cav_accuracies.mean():>14.2f}"
    )

fig, ax = plt.subplots(figsize=(8, 3.8))
for index, result in enumerate(results.values()):
    ax.scatter(
        np.full(len(result.scores), index - 0.12),
        result.scores,
        color="tab:blue",
        s=14,
        label="concept CAVs" if index == 0 else None,
    )
    ax.scatter(
        np.full(len(result.random_scores), index + 0.12),
        result.random_scores,
        color="gray",
        s=14,
        label="random CAVs" if index == 0 else None,
    )
    ax.text(index, 1.04, f"p = {result.p_value:.2g}", ha="center", fontsize=8)
ax.set_xticks(range(len(results)), list(results), fontsize=9)
ax.set(ylabel="TCAV score (share of wolves)", ylim=(-0.05, 1.12), title="TCAV for 'wolf': one dot per CAV")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
fig.tight_layout()
save_figure(fig, settings.out_dir / "tcav.png")

print(
    "\nWhat we saw: regression concept vectors: "
    + "; ".join(relevance_verdict(name, r2, br, "wolf log-odds") for name, (r2, _, br) in list(rows.items())[:2])
    + f"; {control_concept_verdict('random number', control_test.r2, control_test.p_value, permutations)}. "
    + (
        "The background's Br is 0, so there is no local direction to compare with the global effect"
        if rows["background brightness"][2] == 0
        else "The local derivative and the global effect of the background agree in sign"
        if np.sign(rows["background brightness"][2]) == np.sign(snow_effect)
        else "The local derivative and the global effect of the background disagree in sign: a concept "
        "sensitivity describes the model at each image, not what a whole change of background does"
    )
    + f" (global effect of snow {fixed(snow_effect, plus=True)} on the log-odds). TCAV: "
    + "; ".join(concept_verdict(name, result.score, result.p_value) for name, result in results.items())
    + ". "
    + missed_effect_verdict("snow", results["snow"].p_value, snow_effect)
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
