# %% [markdown]
# # Shapley values: exact, Kernel SHAP and Neuron Shapley
#
# Slide section "XAI in images: Shapley value importance" (Ghorbani & Zou 2020). A Shapley value
# shares a prediction fairly among players: each player gets its marginal contribution averaged
# over every order in which the players could join. It is the only sharing that is efficient (the
# values add up to the prediction minus the baseline), symmetric, gives 0 to a player that changes
# nothing, and is linear. Two kinds of players appear here:
#
# - the superpixels of one image (Lundberg & Lee 2017): exact values need all 2^K coalitions,
#   Kernel SHAP estimates them from a sample by a weighted regression;
# - the filters of a convolution layer, for the model's accuracy on a data set (Neuron Shapley,
#   Ghorbani & Zou 2020): which filters is the network's accuracy made of?
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons shapley`
# (`--quick` for a short run).

# %%
import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.printed_numbers import fixed, minus_term
from lessons.settings import lesson_settings
from lessons.trained_models import mnist_lenet
from lessons.training import predict
from lessons.verdicts import QUICK_RUN_NOTE, convergence_verdict, filter_removal_verdict
from minidl.datasets import load_mnist
from minidl.xai import KernelShapExplainer, NeuronShapley, shapley_values

settings = lesson_settings("shapley")

# %%
model = mnist_lenet(settings)
test_x, test_y = load_mnist("test")
image = test_x[0]
# The logits, in float64: Shapley values add up in logit units, and float32 scores of the same
# image computed in different batches may differ in the 7th digit, which would hide the 1e-10
# agreement of Kernel SHAP and the exact values below.
predict_fn = lambda batch: predict(model, batch.astype(np.float64))  # noqa: E731
rows, columns = np.mgrid[0:28, 0:28]
segments = (rows // 10) * 4 + columns // 7  # 12 superpixels: a 3 × 4 grid (rows of 10, 10, 8 pixels)


# %% [markdown]
# ## 1. Exact Shapley values of 12 superpixels: all 4,096 coalitions
#
# A hidden superpixel is set to black (it erases its part of the stroke), as in the LIME lesson.
# φᵢ = Σ_S |S|!(K − |S| − 1)!/K! · (v(S ∪ {i}) − v(S)), v(S) the logit of the predicted class when
# only the superpixels in S are visible.
# %%
exact = shapley_values(image, predict_fn, segments=segments, hide_color=0.0)
print(f"digit {test_y[0]}, explained class {exact.target}; {len(exact.coalitions):,} coalitions evaluated")
print(
    f"efficiency: Σφ = {exact.values.sum():.4f}, v(all) − v(none) = {fixed(exact.full_value, 4)} "
    f"{minus_term(exact.base_value, 4)} = {fixed(exact.full_value - exact.base_value, 4)}"
)
top = np.argsort(-exact.values)[:3]
print("the three largest values: " + ", ".join(f"superpixel {k} φ = {exact.values[k]:.2f}" for k in top))


# %% [markdown]
# ## 2. Kernel SHAP: the same values from a sample of coalitions
#
# Kernel SHAP draws coalition sizes in proportion to the Shapley kernel, each coalition with its
# complement, and fits a weighted linear regression with Σφ = v(all) − v(none) enforced. We measure
# its error against the exact values (root mean square over the 12 superpixels, mean over seeds).
# %%
budgets = [16, 32, 64, 128, 256, 512, 1024, 2048]
seeds = range(3 if settings.quick else 10)
explainer = KernelShapExplainer()
errors = []
for budget in budgets:
    runs = [
        explainer.explain(image, predict_fn, segments=segments, hide_color=0.0, num_samples=budget, seed=seed).values
        for seed in seeds
    ]
    errors.append(float(np.mean([np.sqrt(np.mean((run - exact.values) ** 2)) for run in runs])))
enumerated = explainer.explain(image, predict_fn, segments=segments, hide_color=0.0, num_samples=2**12 - 2)
enumerated_error = float(np.abs(enumerated.values - exact.values).max())
scale = float(np.sqrt(np.mean(exact.values**2)))
print(f"{'coalitions':>10}  {'RMS error':>9}  {'relative to RMS of φ':>20}")
for budget, error in zip(budgets, errors):
    print(f"{budget:>10}  {error:>9.4f}  {error / scale:>20.1%}")
print(f"{2**12 - 2:>10}  {enumerated_error:>9.1e}  (every coalition: exact up to rounding)")

fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), gridspec_kw={"width_ratios": [1.4, 1, 1, 1]})
axes[0].loglog(budgets, errors, "o-", label="Kernel SHAP")
axes[0].loglog(budgets, errors[0] * np.sqrt(budgets[0] / np.array(budgets)), ":", color="gray", label="∝ 1/√n")
axes[0].set(xlabel="coalitions sampled", ylabel="RMS error vs exact (logit)", title="Error against the exact values")
axes[0].legend(fontsize=8)
axes[0].grid(alpha=0.3, which="both")
limit = float(np.abs(exact.values).max())
small = explainer.explain(image, predict_fn, segments=segments, hide_color=0.0, num_samples=64, seed=0)
for ax, values, title in (
    (axes[1], exact.values, "exact (4,096 coalitions)"),
    (axes[2], small.values, "Kernel SHAP, 64"),
    (axes[3], enumerated.values, "Kernel SHAP, all 4,094"),
):
    ax.imshow(image[0], cmap="gray")
    shown = ax.imshow(values[segments], cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.6)
    ax.set(xticks=[], yticks=[], title=title)
fig.colorbar(shown, ax=axes[1:], fraction=0.03, label="φ (logit), one scale for the three maps")
fig.suptitle(f"Shapley values of 12 superpixels for class {exact.target}")
save_figure(fig, settings.out_dir / "kernel_shap_convergence.png")


# %% [markdown]
# ## 3. Neuron Shapley: which filters is the accuracy made of?
#
# The players are the 16 filters of LeNet-5's second convolution ("features.3"); a coalition keeps
# some filters and zeroes the output of the others; v is the accuracy on test digits. Truncated
# Monte Carlo: walk through random orders of the filters, removing them one by one, and stop a walk
# once the accuracy is as low as with no filter at all. Then the test the paper makes: remove the
# few filters with the highest values, and as many random ones.
# %%
digits = slice(1000 - (100 if settings.quick else 400), 1000)  # the end of the test split, not the digit above
neurons = NeuronShapley(model, "features.3", test_x[digits], test_y[digits])
result = neurons.explain(permutations=6 if settings.quick else 40, tolerance=0.01, seed=0)
ranking = result.ranking()
print(
    f"accuracy with all 16 filters {result.full_performance:.1%}, with none {result.empty_performance:.1%}; "
    f"{result.evaluations} evaluations of the data set"
)
print("values (accuracy points): " + ", ".join(f"{k}: {fixed(result.values[k], 3, plus=True)}" for k in ranking))

rng = np.random.default_rng(0)
# The removal test is scored on other digits than the values were estimated on (the start of the
# test split), so that the ranking is not graded on the digits it was fitted to.
held_out = slice(0, 200 if settings.quick else 600)
held_out_scorer = NeuronShapley(model, "features.3", test_x[held_out], test_y[held_out])
held_out_count = held_out.stop - held_out.start


def without(filters: np.ndarray) -> float:
    kept = np.ones(16, bool)
    kept[filters] = False
    return held_out_scorer.performance(kept)


counts = range(0, 9)
top_curve = [without(ranking[:k]) for k in counts]
random_curves = np.array([[without(rng.choice(16, k, replace=False)) for k in counts] for _ in range(20)])
removed = 3
without_top, without_random = top_curve[removed], float(random_curves[:, removed].mean())
print(
    f"removal scored on {held_out_count} held-out test digits, "
    f"not the {digits.stop - digits.start} the values came from"
)
print(f"{'filters removed':>15}  {'top by value':>12}  {'random (mean of 20)':>19}")
for k in counts:
    print(f"{k:>15}  {top_curve[k]:>12.1%}  {random_curves[:, k].mean():>19.1%}")

fig, axes = plt.subplots(1, 2, figsize=(13, 3.8), gridspec_kw={"width_ratios": [2, 1]})
axes[0].bar(range(16), result.values[ranking], yerr=result.standard_errors[ranking], color="tab:blue", capsize=2)
axes[0].set_xticks(range(16), [str(k) for k in ranking])
axes[0].set(
    xlabel="filter of features.3 (sorted by value)",
    ylabel="Shapley value (accuracy)",
    title=f"Neuron Shapley, {result.permutations} permutations (± standard error)",
)
axes[0].axhline(0, color="gray", linewidth=0.8)
axes[1].plot(counts, top_curve, "o-", color="tab:red", label="highest values first")
mean, spread = random_curves.mean(axis=0), random_curves.std(axis=0)
axes[1].plot(counts, mean, "o-", color="tab:green", label="random (mean ± sd of 20)")
axes[1].fill_between(counts, mean - spread, mean + spread, color="tab:green", alpha=0.2)
axes[1].axhline(without(np.arange(16)), color="gray", linestyle=":", label="no filter at all")
axes[1].set(
    xlabel="filters removed",
    ylabel=f"accuracy, {held_out_count} held-out digits",
    ylim=(0, 1),
    title="Removing filters (scored on other digits)",
)
axes[1].legend(fontsize=8)
fig.tight_layout()
save_figure(fig, settings.out_dir / "neuron_shapley.png")

adds_up = bool(np.isclose(exact.values.sum(), exact.full_value - exact.base_value))
print(
    f"\nWhat we saw: the exact values {'add' if adds_up else 'do NOT add'} up to the change of the logit "
    f"(Σφ {exact.values.sum():.4f} against {exact.full_value - exact.base_value:.4f}); Kernel SHAP: "
    f"{convergence_verdict(budgets, errors, enumerated_error)}; Neuron Shapley: "
    f"{filter_removal_verdict(top_curve[0], without_top, without_random, removed)}."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
