# %% [markdown]
# # Workshop 6: LIME
#
# Slide section "Workshop 6: LIME". LIME (Ribeiro, Singh & Guestrin 2016) treats the classifier as a
# black box and asks it about variations of one image:
#
#   1. cut the image into superpixels (here a grid of 4×4-pixel cells: 49 on a 28×28 digit);
#   2. draw perturbed images, each superpixel switched on or off at random (off = black here, so
#      that switching a cell off erases its strokes);
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
import numpy as np

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import trained_husky_wolf_lenet, trained_mnist_lenet
from lessons.training import probabilities
from minidl.datasets import HUSKY_WOLF_CLASSES, load_mnist, make_husky_wolf
from minidl.viz import lime_overlay
from minidl.xai import LimeImageExplainer

settings = lesson_settings("lime")

CELL = 4


def stability(image: np.ndarray, predict_fn, num_samples: int, seeds: range) -> float:
    """Mean correlation between the coefficient vectors of explanations drawn with different seeds."""
    explainer = LimeImageExplainer()
    coefs = [explainer.explain(image, predict_fn, cell_size=CELL, hide_color=0.0, num_samples=num_samples,
                               seed=seed).coef for seed in seeds]
    return float(np.mean([np.corrcoef(a, b)[0, 1] for a, b in itertools.combinations(coefs, 2)]))


# %%
model, _ = trained_mnist_lenet(settings.quick)
predict_fn = lambda batch: probabilities(model, batch)  # noqa: E731
test_x, test_y = load_mnist("test")
image = test_x[4]
num_samples = 300 if settings.quick else 1000


# %% [markdown]
# ## Steps 1–4: superpixels, perturbed samples, their predictions, the weighted ridge fit
# %%
explanation = LimeImageExplainer().explain(image, predict_fn, cell_size=CELL, hide_color=0.0,
                                           num_samples=num_samples, seed=0)
c = explanation.target
count = explanation.coef.size
print(f"the digit is a {test_y[4]}; the model says {c} with probability {explanation.predictions[0, c]:.3f}")
print(f"{count} superpixels of {CELL}×{CELL} pixels, {num_samples} perturbed samples")
print(f"local linear model: intercept {explanation.intercept:.3f}, weighted R² {explanation.score:.3f}, "
      f"its prediction for the intact image {explanation.local_pred:.3f} (the model's: "
      f"{explanation.predictions[0, c]:.3f})")
top = np.argsort(-explanation.coef)[:5]
print("strongest superpixels: " + ", ".join(f"#{k} β = {explanation.coef[k]:+.3f}" for k in top))

fig, axes = plt.subplots(2, 6, figsize=(15, 5.4))
lime_overlay(axes[0, 0], image, explanation.segments, np.zeros_like(explanation.segments),
             f"step 1: {count} superpixels")
for ax, index in zip(list(axes[0, 1:]) + list(axes[1, :3]), range(1, 9)):
    visible = explanation.samples[index][explanation.segments]
    ax.imshow(np.where(visible == 1, image[0], 0.0), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"p({c}) = {explanation.predictions[index, c]:.2f}, weight {explanation.weights[index]:.2f}",
                 fontsize=8)
coef_map = explanation.coef[explanation.segments]
limit = np.abs(explanation.coef).max()
shown = axes[1, 3].imshow(coef_map, cmap="RdBu_r", vmin=-limit, vmax=limit)
axes[1, 3].set_title("step 4: ridge weights β_k", fontsize=9)
fig.colorbar(shown, ax=axes[1, 3], fraction=0.046)
lime_overlay(axes[1, 4], image, explanation.segments, explanation.mask(num_features=5), "step 5: top 5 for")
lime_overlay(axes[1, 5], image, explanation.segments, explanation.mask(num_features=10, positive_only=False),
             "10 strongest: green for, red against")
for ax in axes.flat:
    ax.set(xticks=[], yticks=[])
fig.suptitle(f"LIME on LeNet-5, class {c}: perturbed samples (steps 2–3) and the local linear model")
fig.tight_layout()
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
ax.set(title="LIME's answer settles as the samples grow", xlabel="num_samples",
       ylabel=f"mean correlation of β across {len(seeds)} seeds", ylim=(0, 1.02))
ax.grid(alpha=0.3, which="both")
save_figure(fig, settings.out_dir / "lime_stability.png")


# %% [markdown]
# ## On the shortcut model of the Husky-vs-Wolf lesson (off = grey: neither snow nor grass)
# %%
shortcut = trained_husky_wolf_lenet(settings.quick)
animals, labels, _ = make_husky_wolf(4, background="swapped", seed=2)
fig, axes = plt.subplots(1, 4, figsize=(11, 3.2))
for ax, animal, label in zip(axes, animals, labels):
    result = LimeImageExplainer().explain(animal, lambda batch: probabilities(shortcut, batch), cell_size=CELL,
                                          hide_color=0.5, num_samples=num_samples, seed=0)
    lime_overlay(ax, animal, result.segments, result.mask(num_features=6),
                 f"a {HUSKY_WOLF_CLASSES[label]}, called {HUSKY_WOLF_CLASSES[result.target]}")
fig.suptitle("LIME's top 6 superpixels for the shortcut model's answer")
fig.tight_layout()
save_figure(fig, settings.out_dir / "lime_husky_wolf.png")

print(f"\nWhat we saw: a linear model of {count} on/off superpixels fits the classifier near this digit with "
      f"R² {explanation.score:.2f}; its largest weights sit on the strokes that make the {c}; with "
      f"{counts[0]} samples different seeds agree at {agreement[counts[0]]:.2f}, with {counts[-1]} at "
      f"{agreement[counts[-1]]:.2f}.")
