# %% [markdown]
# # Workshop 6: LIME
#
# Slide section "Workshop 6: LIME". LIME (Ribeiro, Singh & Guestrin 2016) treats the classifier as a
# black box and asks it about variations of one image:
#
#   1. cut the image into superpixels (here a grid of 4×4-pixel cells: 49 on a 28×28 digit);
#   2. draw perturbed images, each superpixel switched on or off at random (off = black here, so
#      that switching a cell off erases its strokes; switching off a cell that is already black
#      changes nothing, so such a cell's weight can only be the fit's noise: the lesson counts
#      those cells and measures what hiding changes in the other stroke-free ones);
#   3. ask the classifier for the class probability of each;
#   4. weigh each sample by its closeness to the original (an exponential kernel on the cosine
#      distance of the on/off vectors) and fit a weighted ridge regression: probability ≈
#      b + Σ_k β_k · [superpixel k on];
#   5. the largest β_k are the explanation; R² says how well the linear model fits locally.
#
# The answer is random — it depends on the samples drawn — so we also measure how much it varies
# with the seed and with the number of samples.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons lime`
# (`--quick` for a short run).

# %%
import itertools

import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap
import numpy as np

from lessons.figures import save_figure
from lessons.heat import lime_heat, share_inside
from lessons.log_odds_lime import HIDE_GREY, explain_with_lime
from lessons.settings import lesson_settings
from lessons.trained_models import (
    husky_wolf_accuracies,
    swapped_caption,
    husky_wolf_lenet,
    mnist_lenet,
)
from lessons.training import probabilities
from lessons.verdicts import (
    QUICK_RUN_NOTE,
    biased_model_name,
    heat_location_verdict,
    heat_place,
    shortcut_verdict,
    stability_verdict,
    unchanged_cells_verdict,
)
from minidl.datasets import load_mnist, make_husky_wolf
from minidl.viz import colorbar_beside, lime_overlay
from minidl.xai import LimeImageExplainer

settings = lesson_settings("lime")

CELL = 4
STROKE = 0.2  # pixels brighter than this are the digit's strokes
HIDE_BLACK = 0.0  # the digits' hide colour
# β's colours as lime_overlay tints the superpixels: green for the class (β > 0), red against it
FOR_AGAINST = LinearSegmentedColormap.from_list("red_white_green", ["tab:red", "white", "tab:green"])


def stability(image: np.ndarray, predict_fn, num_samples: int, seeds: range) -> float:
    """Mean correlation between the coefficient vectors of explanations drawn with different seeds."""
    explainer = LimeImageExplainer()
    coefs = [
        explainer.explain(
            image, predict_fn, cell_size=CELL, hide_color=HIDE_BLACK, num_samples=num_samples, seed=seed
        ).coef
        for seed in seeds
    ]
    return float(np.mean([np.corrcoef(a, b)[0, 1] for a, b in itertools.combinations(coefs, 2)]))


# %%
model = mnist_lenet(settings)
predict_fn = lambda batch: probabilities(model, batch)  # noqa: E731
test_x, test_y = load_mnist("test")
image = test_x[4]
num_samples = 300 if settings.quick else 1000


# %% [markdown]
# ## Steps 1–4: superpixels, perturbed samples, their predictions, the weighted ridge fit
# %%
explanation = LimeImageExplainer().explain(
    image, predict_fn, cell_size=CELL, hide_color=HIDE_BLACK, num_samples=num_samples, seed=0
)
c = explanation.target
count = explanation.coef.size
print(f"the digit is a {test_y[4]}; the model says {c} with probability {explanation.predictions[0, c]:.3f}")
cells = [image[0][explanation.segments == k] for k in range(count)]
stroked = np.array([(cell > STROKE).any() for cell in cells])
unchanged = np.array([(cell == HIDE_BLACK).all() for cell in cells])  # black already: hiding changes nothing
faint_cells = [cell for cell, known in zip(cells, stroked | unchanged) if not known]  # stroke-free, not black
faint = max((np.abs(cell - HIDE_BLACK).max() for cell in faint_cells), default=0.0)
print(f"{count} superpixels of {CELL}×{CELL} pixels, {num_samples} perturbed samples")
print(
    f"local linear model: intercept {explanation.intercept:.3f}, weighted R² {explanation.score:.3f}, "
    f"its prediction for the intact image {explanation.local_pred:.3f} (the model's: "
    f"{explanation.predictions[0, c]:.3f})"
)
top = np.argsort(-explanation.coef)[:5]
print("strongest superpixels: " + ", ".join(f"#{k} β = {explanation.coef[k]:+.3f}" for k in top))
noise_level = np.abs(explanation.coef[unchanged]).max(initial=0.0)
unchanged_text = unchanged_cells_verdict(int(unchanged.sum()), count, noise_level)
faint_text = f"hiding the {len(faint_cells)} other stroke-free cells changes their pixels by at most {faint:.2f}"
print(
    f"{stroked.sum()} of the {count} superpixels contain strokes (a pixel above {STROKE}); {unchanged_text}, "
    f"against {np.abs(explanation.coef).max():.3f} overall; {faint_text}"
)

fig, axes = plt.subplots(2, 6, figsize=(15, 5.4), layout="constrained")
lime_overlay(
    axes[0, 0], image, explanation.segments, np.zeros_like(explanation.segments), f"step 1: {count} superpixels"
)
for ax, index in zip(list(axes[0, 1:]) + list(axes[1, :3]), range(1, 9)):
    visible = explanation.samples[index][explanation.segments]
    ax.imshow(np.where(visible == 1, image[0], 0.0), cmap="gray", vmin=0, vmax=1)
    ax.set_title(
        f"p({c}) = {explanation.predictions[index, c]:.2f}, weight {explanation.weights[index]:.2f}", fontsize=9
    )
coef_map = explanation.coef[explanation.segments]
limit = np.abs(explanation.coef).max()
shown = axes[1, 3].imshow(coef_map, cmap=FOR_AGAINST, vmin=-limit, vmax=limit)
axes[1, 3].set_title(r"step 4: ridge weights $\beta_k$", fontsize=9)
colorbar_beside(shown, [axes[1, 3]], r"$\beta_k$: green for, red against")
lime_overlay(
    axes[1, 4], image, explanation.segments, explanation.mask(num_features=5), f"step 5: the 5 strongest for {c}"
)
lime_overlay(
    axes[1, 5],
    image,
    explanation.segments,
    explanation.mask(num_features=10, positive_only=False),
    "the 10 strongest:\ngreen for, red against",
)
for ax in axes.flat:
    ax.set(xticks=[], yticks=[])
fig.suptitle(
    f"LIME on LeNet-5, class {c}: perturbed samples (steps 2–3) and the local linear model;\n"
    f"in the last three panels green = for class {c} (β > 0), red = against it (β < 0)"
)
save_figure(fig, settings.out_dir / "lime_steps.png")


# %% [markdown]
# ## How stable is the answer? Seeds and sample counts
# %%
seeds = range(3 if settings.quick else 5)
counts = (50, 200) if settings.quick else (50, 200, 1000, 3000)
agreement = {n: stability(image, predict_fn, n, seeds) for n in counts}
for n, value in agreement.items():
    print(f"num_samples {n:5d}: mean correlation of the weights across {len(seeds)} seeds = {value:.3f}")
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(list(agreement), list(agreement.values()), "o-")
stability = stability_verdict(list(agreement), list(agreement.values()))
print(f"LIME's answer {stability}")
ax.set(
    title=f"LIME's answer {stability.split(':')[0]}",
    xlabel="num_samples",
    ylabel=f"mean correlation of β across {len(seeds)} seeds",
    ylim=(0, 1.02),
)
ax.grid(alpha=0.3, which="both")
save_figure(fig, settings.out_dir / "lime_stability.png")


# %% [markdown]
# ## On the Husky-vs-Wolf model trained on biased data (off = grey: neither snow nor grass)
# The model of the black-box lesson, trained on wolves on snow and huskies on grass; its test
# accuracies say whether it took the shortcut.
# LIME explains probabilities, as in the paper. But this model is extremely sure of itself (the
# black-box lesson prints its p, to many decimals): hiding superpixels may leave p where it is, or flip it
# to 0 once enough of them are hidden, a step that a linear model follows badly. Compare below how
# well LIME's linear model fits the probability p and the log-odds log(p / (1 − p)) = y_wolf − y_husky;
# the figure shows the log-odds explanation.
# %%
biased = husky_wolf_lenet(settings)
same_accuracy, swapped_accuracy = husky_wolf_accuracies(biased)
name_of_model = biased_model_name(same_accuracy, swapped_accuracy)  # "the shortcut model" only if it took it
print(f"{name_of_model} {shortcut_verdict(same_accuracy, swapped_accuracy)}")
animals, labels, animal_masks = (a[:4] for a in make_husky_wolf(300, background="swapped", seed=2))
as_probabilities = [
    LimeImageExplainer().explain(
        animal,
        lambda batch: probabilities(biased, batch),
        cell_size=CELL,
        hide_color=HIDE_GREY,
        num_samples=num_samples,
        seed=0,
    )
    for animal in animals
]
moved = [np.ptp(e.predictions[:, e.target]) for e in as_probabilities]
results = explain_with_lime(biased, animals, num_samples, CELL, HIDE_GREY)
fit_probability = [e.score for e in as_probabilities]
fit_log_odds = [e.score for e in results]
print(
    "over LIME's samples the probability of the answer moves by "
    + ", ".join(f"{m:.2g}" for m in moved)
    + " on these images"
)
print(
    "weighted R² of LIME's linear model, explaining the probability: "
    + ", ".join(f"{r:.2f}" for r in fit_probability)
    + "; explaining the log-odds: "
    + ", ".join(f"{r:.2f}" for r in fit_log_odds)
)
animal_shares, animal_areas = share_inside(lime_heat(results), animal_masks)
fig, axes = plt.subplots(1, 4, figsize=(11, 3.7), layout="constrained")
for ax, animal, label, result, animal_share in zip(axes, animals, labels, results, animal_shares):
    lime_overlay(
        ax,
        animal,
        result.segments,
        result.mask(num_features=6),
        f"{swapped_caption(label, result.target)}\n{animal_share:.0%} of all positive weight on the animal",
        value_range=(0, 1),
    )
fig.suptitle(
    f"LIME's top 6 superpixels (green) for the answer of {name_of_model} (log-odds) on swapped backgrounds:\n"
    f"the positive weight lies {heat_place(animal_shares.mean(), animal_areas.mean())} "
    f"(the animal covers {animal_areas.mean():.0%} of these images)"
)
save_figure(fig, settings.out_dir / "lime_husky_wolf.png")
print(
    f"on these {len(animals)} swapped images LIME's positive weight "
    f"{heat_location_verdict(animal_shares.mean(), animal_areas.mean())}"
)

# %%
called = f"calls this {test_y[4]} a {c}" if c != test_y[4] else f"calls this {test_y[4]} correctly"
print(
    f"\nWhat we saw: the model {called} (p = {explanation.predictions[0, c]:.2f}); a linear model of {count} "
    f"on/off superpixels fits it near this digit with R² {explanation.score:.2f}; {unchanged_text}, the strongest "
    f"({', '.join(f'#{k}' for k in top[:3])}) up to {explanation.coef[top[0]]:.3f}: compare those with what makes "
    f"a {c} a {c}. LIME's answer {stability}. {name_of_model.capitalize()} "
    f"{shortcut_verdict(same_accuracy, swapped_accuracy)}; LIME fits its log-odds with R² "
    f"{np.median(fit_log_odds):.2f} (its probability with "
    f"{np.median(fit_probability):.2f}, medians), its weight "
    f"{heat_location_verdict(animal_shares.mean(), animal_areas.mean())}."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
