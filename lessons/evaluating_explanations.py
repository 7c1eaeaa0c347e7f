# %% [markdown]
# # Evaluating explanations
#
# Slide section "Evaluating explanations". Three explanations of the same prediction rarely agree;
# which one is right? Two tests that need no human:
#
# - Deletion and insertion (Petsiuk, Das & Saenko 2018): delete the pixels a map ranks first and
#   the class probability should collapse fast (small area under the curve); insert them into a
#   blurred image and it should recover fast (large area). A random ranking is the baseline.
# - The model-randomisation sanity check (Adebayo et al. 2018): re-initialise the network's layers
#   from the output down. An explanation of what the network learned must change as its weights
#   are destroyed (Spearman rank correlation with the original map falls towards 0); one that stays
#   the same explains the image, not the model.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons evaluating_explanations`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import mnist_lenet
from lessons.training import predict, probabilities
from lessons.verdicts import CHANGED_BELOW, QUICK_RUN_NOTE, classifier_verdict, randomisation_verdict, ranking_verdict
from minidl.datasets import load_mnist
from minidl.metrics import accuracy
from minidl.nn import Module
from minidl.progress import progress
from minidl.xai import (
    GradCAM,
    LimeImageExplainer,
    deletion_auc,
    deletion_curve,
    insertion_auc,
    insertion_curve,
    randomisation_check,
    saliency,
)

settings = lesson_settings("evaluating_explanations")

LAYER = "features.4"


def explainers(num_samples: int) -> dict:
    """Each method as explain(model, images) -> maps (N, H, W), plus a random ranking as baseline."""

    def lime_maps(model: Module, images: np.ndarray) -> np.ndarray:
        explainer = LimeImageExplainer()
        return np.stack(
            [
                (lambda e: e.coef[e.segments])(
                    explainer.explain(
                        image,
                        lambda batch: probabilities(model, batch),
                        cell_size=4,
                        hide_color=0.0,
                        num_samples=num_samples,
                        seed=0,
                    )
                )
                for image in images
            ]
        )

    return {
        "saliency": lambda model, images: saliency(model, images),
        "Grad-CAM": lambda model, images: GradCAM(model, LAYER)(images),
        "LIME": lime_maps,
        "random": lambda model, images: np.random.default_rng(0).random((len(images), *images.shape[2:])),
    }


# %%
model = mnist_lenet(settings)
test_x, test_y = load_mnist("test")
print(
    f"the LeNet-5 of workshop 2 on the {len(test_y)} test digits: "
    f"{classifier_verdict(accuracy(predict(model, test_x), test_y), num_classes=10)}"
)
images = test_x[: 4 if settings.quick else 30]
methods = explainers(200 if settings.quick else 1000)
maps = {name: explain(model, images) for name, explain in methods.items()}


# %% [markdown]
# ## 1. Deletion and insertion
# A method "wins" only if its lead is larger than the spread of the differences over the digits
# (two standard errors of the paired differences): with few digits, nothing may be clear.
# %%
scores = {name: ([], []) for name in methods}
for index, image in enumerate(progress(images, "deletion/insertion", unit="digits")):
    for name in methods:
        scores[name][0].append(deletion_auc(model, image, maps[name][index], step=8))
        scores[name][1].append(insertion_auc(model, image, maps[name][index], step=8))
print(f"mean over {len(images)} test digits (deletion: lower is better, insertion: higher is better)")
print(f"{'method':<10}{'deletion AUC':>14}{'insertion AUC':>15}")
for name, (deletion, insertion) in scores.items():
    print(f"{name:<10}{np.mean(deletion):>14.3f}{np.mean(insertion):>15.3f}")
deletion_verdict = ranking_verdict({name: d for name, (d, _) in scores.items()}, lower_is_better=True)
insertion_verdict = ranking_verdict({name: i for name, (_, i) in scores.items()}, lower_is_better=False)
print(f"deletion: {deletion_verdict}")
print(f"insertion: {insertion_verdict}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.3))
for name in methods:
    fractions, deleted = deletion_curve(model, images[0], maps[name][0], step=8)
    _, inserted = insertion_curve(model, images[0], maps[name][0], step=8)
    style = ":" if name == "random" else "-"
    axes[0].plot(fractions, deleted, style, label=f"{name} (AUC {scores[name][0][0]:.2f})")
    axes[1].plot(fractions, inserted, style, label=f"{name} (AUC {scores[name][1][0]:.2f})")
axes[0].set(
    title="Deletion: most important pixels set to 0 first",
    xlabel="fraction of pixels deleted",
    ylabel="probability of the predicted class",
)
axes[1].set(
    title="Insertion: most important pixels put back first",
    xlabel="fraction of pixels inserted",
    ylabel="probability of the predicted class",
)
for ax in axes:
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
fig.suptitle(
    f"The curves of one test digit (a {test_y[0]}); the table above gives the mean AUCs over {len(images)} digits"
)
fig.tight_layout()
save_figure(fig, settings.out_dir / "deletion_insertion.png")


# %% [markdown]
# ## 2. The sanity check: destroy the model, layer by layer, from the top
# %%
checked = images[: 3 if settings.quick else 8]
fig, ax = plt.subplots(figsize=(8, 4.3))
sanity = {}
for name in ("saliency", "Grad-CAM", "LIME"):
    results = randomisation_check(model, methods[name], checked)
    layers = [layer for layer, _ in results]
    correlations = [float(np.mean(values)) for _, values in results]
    sanity[name] = randomisation_verdict(correlations)
    print(
        f"{name:<9} Spearman with the original map as layers are re-initialised from the top: "
        + ", ".join(f"{layer} {value:.2f}" for layer, value in zip(layers, correlations))
    )
    ax.plot(range(len(layers)), correlations, "o-", label=name)
ax.set_xticks(range(len(layers)), [f"…{layer}" for layer in layers], rotation=20)
ax.axhline(0, color="gray", linewidth=0.8)
ax.axhline(CHANGED_BELOW, color="gray", linestyle=":", label=f"below {CHANGED_BELOW}: the map has changed")
ax.set(
    title=f"Cascading randomisation (Adebayo et al. 2018), mean over {len(checked)} digits",
    xlabel="re-initialised from the output down to layer",
    ylabel="Spearman correlation with original",
    ylim=(-0.3, 1.05),
)
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
save_figure(fig, settings.out_dir / "sanity_check.png")

print(
    f"\nWhat we saw: deletion — {deletion_verdict}. Insertion — {insertion_verdict}. Cascading randomisation: "
    + "; ".join(f"{name}'s maps {verdict}" for name, verdict in sanity.items())
    + "."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
