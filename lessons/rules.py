# %% [markdown]
# # Post-hoc explanations: rule-based (Anchors)
#
# Slide section "Post-hoc explainability approaches", its rule-based kind (Ming et al., RuleMatrix,
# TVCG 2018). An anchor (Ribeiro, Singh & Guestrin, AAAI 2018) explains one prediction with a rule:
# "if cells 5, 9 and 12 are kept, the model says 7 with precision 0.96". It uses LIME's superpixels
# (here 4×4-pixel cells: 49 on a 28×28 digit) and LIME's perturbations (each cell kept by a fair
# coin, hidden otherwise), and asks a different question: not "how much does each cell push the
# score?" but "which cells are enough?".
#
# - **precision** of a set A of cells: how often the model keeps its answer when the cells of A are
#   kept and every other cell is hidden at random. An anchor has precision ≥ τ (here τ = 0.95).
# - **coverage**: the share of all perturbations in which every cell of A happens to be kept, how
#   often the rule applies; with fair coins exactly 2^−|A|, so the anchor of highest coverage is a
#   smallest one (of two as small, the more precise is taken).
# - **the search**: a beam search that grows anchors cell by cell; in each round a bandit, KL-LUCB,
#   spends the model's answers on the candidates whose precision is still in doubt, and each chosen
#   anchor is sampled until its confidence interval lies on one side of τ. A search that finds no
#   anchor (within a size limit, or a budget of model calls) says so and shows its best candidate.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons rules`
# (`--quick` for a short run).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.heat import share_inside
from lessons.log_odds_lime import HIDE_GREY, explain_with_lime
from lessons.settings import lesson_settings
from lessons.trained_models import (
    husky_wolf_accuracies,
    husky_wolf_lenet,
    mnist_lenet,
    swapped_caption,
)
from lessons.training import predict, probabilities
from lessons.verdicts import (
    QUICK_RUN_NOTE,
    anchor_location_verdict,
    biased_model_name,
    held_out_verdict,
    hiding_change_verdict,
    overlap_verdict,
    shortcut_verdict,
)
from minidl.datasets import HUSKY_WOLF_CLASSES, load_mnist, make_husky_wolf
from minidl.viz import lime_overlay
from minidl.xai import AnchorExplainer, LimeImageExplainer, held_out_precision
from minidl.xai.perturbation import hidden_image, perturb

settings = lesson_settings("rules")

CELL = 4
PRECISION = 0.95  # τ, the precision an anchor promises
HIDE_BLACK = 0.0  # the digits' hide colour, as in the LIME lesson: a hidden cell loses its strokes
HELD_OUT_SEED = 1_000  # fresh perturbations come from generators the search never used


def cells_text(anchor: tuple[int, ...]) -> str:
    return f"{len(anchor)} cell{'' if len(anchor) == 1 else 's'}" if anchor else "no cell needed"


def lime_agreement(pairs: list[tuple[tuple[int, ...], np.ndarray]]) -> str:
    """overlap_verdict over (anchor, LIME's weights (K,)) pairs of non-empty anchors: the mean share of
    an anchor's k cells among LIME's top k cells, against k / K for k random cells. Completes "the
    anchors' cells ..."."""
    if not pairs:
        return "cannot be compared: every anchor is empty"
    top = [set(np.argsort(-coef, kind="stable")[: len(anchor)].tolist()) for anchor, coef in pairs]
    overlap = np.mean([len(set(anchor) & cells) / len(anchor) for (anchor, _), cells in zip(pairs, top)])
    return overlap_verdict(float(overlap), float(np.mean([len(anchor) / len(coef) for anchor, coef in pairs])))


# %%
model = mnist_lenet(settings)
predict_fn = lambda batch: probabilities(model, batch)  # noqa: E731
test_x, test_y = load_mnist("test")
explainer = AnchorExplainer()  # beam width 2, δ = 0.1, KL-LUCB's ε = 0.1, tolerance ε_τ = 0.05
count = 4 if settings.quick else 20  # digits explained and measured
held_out_samples = 300 if settings.quick else 1000
lime_samples = 300 if settings.quick else 1000
max_size = 8 if settings.quick else None  # a quick run's barely trained model may need many cells


# %% [markdown]
# ## 1. One anchor, step by step
# The rule below is found by the search; the panels to its right are perturbations the rule covers
# (its cells kept, each other cell kept or hidden by a coin), with the model's answer on each: the
# precision is the share of such images on which the answer stays.
# %%
image = test_x[4]
start = time.perf_counter()
explanation = explainer.explain(
    image, predict_fn, cell_size=CELL, precision=PRECISION, hide_color=HIDE_BLACK, seed=0, max_anchor_size=max_size
)
seconds = time.perf_counter() - start
c, cells = explanation.target, explanation.segments.max() + 1
print(f"the digit is a {test_y[4]}; {explanation.rule}")
print(
    f"{cells_text(explanation.anchor)} of {cells}, precision {explanation.precision:.3f} (lower bound "
    f"{explanation.precision_lower:.3f}), coverage {explanation.coverage:.3f}; the model was asked about "
    f"{explanation.samples} perturbed images, in {seconds:.1f} s"
)
rng = np.random.default_rng(HELD_OUT_SEED)
covered = rng.integers(0, 2, (7, cells))
covered[:, list(explanation.anchor)] = 1
shown = perturb(image, hidden_image(image, explanation.segments, HIDE_BLACK), explanation.segments, covered)
answers = probabilities(model, shown).argmax(axis=1)
fig, axes = plt.subplots(1, 8, figsize=(16, 2.6), layout="constrained")
lime_overlay(
    axes[0],
    image,
    explanation.segments,
    explanation.mask(),
    f"the anchor: {cells_text(explanation.anchor)} (green)\nprecision {explanation.precision:.2f}, "
    f"coverage {explanation.coverage:.2f}",
    value_range=(0, 1),
)
for ax, picture, answer in zip(axes[1:], shown, answers):
    lime_overlay(ax, picture, explanation.segments, explanation.mask(), value_range=(0, 1))
    ax.set_title(f"model says {answer}", fontsize=9, color="tab:green" if answer == c else "tab:red")
fig.suptitle(f'Anchors on LeNet-5: "{explanation.rule}"; to the right, 7 fresh images the rule covers')
save_figure(fig, settings.out_dir / "anchor_steps.png")


# %% [markdown]
# ## 2. Anchors of digits: do they keep their promise on fresh perturbations?
# The search estimates each anchor's precision from the samples it drew, and stopped sampling as
# soon as the lower confidence bound passed τ − ε_τ. Here every anchor it accepted is measured again
# on fresh perturbations, none of which the search saw (a search that found no anchor is counted
# apart). The anchors keep their promise when their mean precision reaches τ and none falls more
# than ε_τ = 0.05 below it, both up to the noise of the fresh sample, ±2·sqrt(p (1 − p) / n).
# %%
digits = test_x[:count]
start = time.perf_counter()
anchors = [
    explainer.explain(
        digit, predict_fn, cell_size=CELL, precision=PRECISION, hide_color=HIDE_BLACK, seed=0, max_anchor_size=max_size
    )
    for digit in digits
]
anchor_seconds = (time.perf_counter() - start) / count
held_out = np.array(
    [
        held_out_precision(e, digit, predict_fn, HIDE_BLACK, held_out_samples, seed=HELD_OUT_SEED + i)
        for i, (e, digit) in enumerate(zip(anchors, digits))
    ]
)
coverages = np.array([e.coverage for e in anchors])
sizes = np.array([len(e.anchor) for e in anchors])
valid = np.array([e.valid for e in anchors])
promise = held_out_verdict(
    held_out[valid], PRECISION, explainer.tolerance, held_out_samples, rejected=int((~valid).sum())
)
print(f"{count} digits, {anchor_seconds:.1f} s and {np.mean([e.samples for e in anchors]):.0f} model calls per anchor")
print(f"anchor sizes: {', '.join(map(str, sizes))} cells (mean {sizes.mean():.1f})")
print(f"coverage: mean {coverages.mean():.3f}, lowest {coverages.min():.4f}, highest {coverages.max():.3f}")
print(f"on fresh perturbations ({held_out_samples} per anchor) the anchors {promise}")
for failure in sorted({e.failure for e in anchors if not e.valid}):
    failed = sum(e.failure == failure for e in anchors)
    print(f"{failed} of the {count} searches found no anchor ({failure}): their best candidate is shown")
columns = min(count, 10)
rows = -(-count // columns)
fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.1 * rows), layout="constrained", squeeze=False)
for ax, digit, e, measured in zip(axes.flat, digits, anchors, held_out):
    lime_overlay(
        ax,
        digit,
        e.segments,
        e.mask(),
        f"says {e.target}: {cells_text(e.anchor)}{'' if e.valid else ' (no anchor)'}\n"
        f"prec {measured:.2f}, cov {e.coverage:.3f}",
        value_range=(0, 1),
    )
for ax in axes.flat[count:]:
    ax.axis("off")
fig.suptitle(
    f"Anchors (green cells) of LeNet-5 at τ = {PRECISION}; prec: precision measured on fresh perturbations, "
    "cov: coverage",
    fontsize=10,
)
save_figure(fig, settings.out_dir / "anchors_digits.png")


# %% [markdown]
# ## 3. Anchors against LIME's top cells
# LIME ranks the cells by how much they push the class probability; an anchor is a set of cells
# that suffices. For each digit we take as many of LIME's top cells as the anchor has, and count
# how many of the anchor's cells are among them. Random cells would score k / K on average (k cells
# of K); we call an overlap "beyond chance" from twice that.
# %%
lime_pairs = [
    (
        e.anchor,
        LimeImageExplainer()
        .explain(
            digit, predict_fn, target=e.target, cell_size=CELL, hide_color=HIDE_BLACK, num_samples=lime_samples, seed=0
        )
        .coef,
    )
    for digit, e in zip(digits, anchors)
    if e.anchor
]
overlap_text = lime_agreement(lime_pairs)
print(f"over the {len(lime_pairs)} non-empty anchors the anchors' cells {overlap_text}")


# %% [markdown]
# ## 4. The shortcut model: does the anchor sit on the snow?
# The Husky-vs-Wolf model of the black-box lesson, on test images whose backgrounds are swapped
# (wolves on grass, huskies on snow). Hidden cells turn grey (neither snow nor grass), as in the
# LIME lesson. Where an anchor lies is measured, not read off the picture: the share of its cells'
# pixels on the animal against the animal's share of the image, with the black-box lesson's factor
# 1.5 either way. An empty anchor needs no cell at all. We count the empty anchors at τ = 0.95, then
# ask for τ = 0.995, where a model that is very sure of itself may still need some cells.
# %%
biased = husky_wolf_lenet(settings)
same_accuracy, swapped_accuracy = husky_wolf_accuracies(biased)
name_of_model = biased_model_name(same_accuracy, swapped_accuracy)
print(f"{name_of_model} {shortcut_verdict(same_accuracy, swapped_accuracy)}")
animal_count = 4 if settings.quick else 12
animals, labels, animal_masks = (a[:animal_count] for a in make_husky_wolf(300, background="swapped", seed=2))
decide = lambda batch: predict(biased, batch)  # noqa: E731
loose = [
    explainer.explain(
        animal, decide, cell_size=CELL, precision=PRECISION, hide_color=HIDE_GREY, seed=0, max_anchor_size=max_size
    )
    for animal in animals
]
print(f"at τ = {PRECISION}: {sum(not e.anchor for e in loose)} of {animal_count} anchors are empty")
STRICT = 0.995
strict = [
    explainer.explain(
        animal,
        decide,
        cell_size=CELL,
        precision=STRICT,
        hide_color=HIDE_GREY,
        seed=0,
        class_names=HUSKY_WOLF_CLASSES,
        max_anchor_size=max_size,
    )
    for animal in animals
]
for label, e in zip(labels, strict):
    print(f"{swapped_caption(label, e.target)}: {e.rule}")
kept = np.array([e.mask() for e in strict], dtype=np.float64)
shares, areas = share_inside(kept, animal_masks)
with_cells = kept.any(axis=(1, 2))
share, area = (shares[with_cells].mean(), areas[with_cells].mean()) if with_cells.any() else (np.nan, np.nan)
place = anchor_location_verdict(float(share), float(area), int((~with_cells).sum()), animal_count)
print(f"at τ = {STRICT} the anchors {place}")
change = np.abs(animals[:, 0] - HIDE_GREY)
hiding = hiding_change_verdict(
    change[animal_masks].mean(), change[~animal_masks].mean(), "the animal", "the background"
)
print(f"hiding with grey {HIDE_GREY} {hiding}")
with_anchor = [i for i, e in enumerate(strict) if e.anchor]
animal_lime = explain_with_lime(biased, animals[with_anchor], lime_samples, CELL, HIDE_GREY)
animal_overlap_text = lime_agreement([(strict[i].anchor, lime.coef) for i, lime in zip(with_anchor, animal_lime)])
print(f"against LIME's top cells (of the log-odds) the anchors' cells {animal_overlap_text}")
rows = 2 if animal_count > 6 else 1
fig, axes = plt.subplots(
    rows, animal_count // rows, figsize=(2.3 * animal_count / rows, 2.6 * rows + 0.6), layout="constrained"
)
for ax, animal, label, e, share in zip(axes.flat, animals, labels, strict, shares):
    where = f", {share:.0%} of it on the animal" if e.anchor else ""
    lime_overlay(
        ax,
        animal,
        e.segments,
        e.mask(),
        f"{swapped_caption(label, e.target)}\n{cells_text(e.anchor)}{where}",
        value_range=(0, 1),
    )
fig.suptitle(
    f"Anchors (green) of {name_of_model} at τ = {STRICT}, backgrounds swapped:\nthe anchors "
    + (place.split(" (")[0] if with_cells.any() else "are all empty: no cell is needed"),
    fontsize=10,
)
save_figure(fig, settings.out_dir / "anchors_husky_wolf.png")

# %%
print(
    f"\nWhat we saw: on {count} digits LeNet-5's anchors at τ = {PRECISION} hold {sizes.mean():.1f} of "
    f"{cells} cells on average, with coverage {coverages.mean():.3f} (mean; lowest {coverages.min():.4f}); "
    f"on fresh perturbations they {promise}. Their cells {overlap_text}. {name_of_model.capitalize()} "
    f"{shortcut_verdict(same_accuracy, swapped_accuracy)}; at τ = {PRECISION}, "
    f"{sum(not e.anchor for e in loose)} of its {animal_count} anchors are empty, and at τ = {STRICT} they "
    f"{place}. Hiding with grey {HIDE_GREY} {hiding}. Against LIME's top cells (of the log-odds) its "
    f"anchors' cells {animal_overlap_text}." + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
