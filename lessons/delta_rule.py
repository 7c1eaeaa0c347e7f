# %% [markdown]
# # The delta rule: perceptron and Adaline
#
# Slide section "The delta rule". Learning means changing the weights after each example by an
# amount proportional to the error the unit made:
#
#     perceptron (Rosenblatt 1958):  y = step(w·x + b),   w ← w + η (t − y) x,   b ← b + η (t − y)
#     Adaline (Widrow & Hoff 1960):  z = w·x + b,         w ← w + η (t − z) x,   b ← b + η (t − z)
#
# Adaline's rule — the delta rule, or LMS — is gradient descent on the squared error E = ½ (t − z)²:
# ∂E/∂w = −(t − z) x, so the update is −η ∂E/∂w. minidl's autograd confirms it for one example.
# On a linearly separable set the perceptron stops making mistakes after a few epochs (the
# perceptron convergence theorem); Adaline's squared error decreases steadily and settles.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons delta_rule`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.verdicts import descent_verdict, perceptron_verdict

settings = lesson_settings("delta_rule")

LEARNING_RATE = 0.002  # small enough that Adaline's error falls over several epochs, not within the first


def two_blobs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points in two Gaussian clouds that a line can separate; labels 0 and 1."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    centres = np.where(labels[:, None] == 1, [1.5, 1.0], [-1.0, -1.2])
    return centres + 0.6 * rng.standard_normal((n, 2)), labels


def perceptron_epochs(x: np.ndarray, t: np.ndarray, epochs: int) -> tuple[list[np.ndarray], list[int]]:
    """Online perceptron learning; returns (w, b) stacked as one vector after each epoch, and the
    number of mistakes made during each epoch."""
    weights = np.zeros(3)  # w₁, w₂, b
    snapshots, mistakes = [], []
    for _ in range(epochs):
        errors = 0
        for xi, ti in zip(x, t):
            y = float(weights[:2] @ xi + weights[2] >= 0)
            weights += LEARNING_RATE * (ti - y) * np.append(xi, 1.0)
            errors += int(y != ti)
        snapshots.append(weights.copy())
        mistakes.append(errors)
    return snapshots, mistakes


def adaline_epochs(x: np.ndarray, t: np.ndarray, epochs: int) -> tuple[np.ndarray, list[float]]:
    """Online delta rule on a linear unit with targets ±1; returns (w, b) and the mean squared error per epoch."""
    weights = np.zeros(3)
    errors = []
    for _ in range(epochs):
        for xi, ti in zip(x, t):
            z = weights[:2] @ xi + weights[2]
            weights += LEARNING_RATE * (ti - z) * np.append(xi, 1.0)
        errors.append(float(np.mean((t - (x @ weights[:2] + weights[2])) ** 2)))
    return weights, errors


def delta_rule_is_gradient_descent(xi: np.ndarray, ti: float, weights: np.ndarray) -> float:
    """max |delta-rule step − (−η ∂E/∂w by autograd)| for one example, E = ½ (t − z)²."""
    w = minidl.tensor(weights, requires_grad=True)
    z = (minidl.tensor(np.append(xi, 1.0)) * w).sum()
    ((ti - z) ** 2 * 0.5).backward()
    delta_rule = LEARNING_RATE * (ti - z.item()) * np.append(xi, 1.0)
    return float(np.max(np.abs(delta_rule - (-LEARNING_RATE * w.grad))))


def boundary(ax, weights: np.ndarray, style: str, label: str) -> None:
    """The line w₁x₁ + w₂x₂ + b = 0."""
    x1 = np.array([-3.0, 3.5])
    ax.plot(x1, -(weights[0] * x1 + weights[2]) / weights[1], style, label=label)


# %%
x, labels = two_blobs(60 if settings.quick else 200)
epochs = 5 if settings.quick else 15
signed = 2.0 * labels - 1.0


# %% [markdown]
# ## 1. The delta rule is gradient descent on the squared error
# %%
gap = delta_rule_is_gradient_descent(x[0], signed[0], np.array([0.3, -0.2, 0.1]))
print(f"one example: |delta-rule step - (-η ∂E/∂w by autograd)| = {gap:.2e}")


# %% [markdown]
# ## 2. Learning, example after example
# %%
snapshots, mistakes = perceptron_epochs(x, labels, epochs)
adaline, squared_errors = adaline_epochs(x, signed, epochs)
print("epoch  perceptron mistakes  Adaline mean squared error")
for epoch in range(epochs):
    print(f"{epoch + 1:5d}  {mistakes[epoch]:19d}  {squared_errors[epoch]:26.4f}")
adaline_accuracy = np.mean((x @ adaline[:2] + adaline[2] >= 0) == labels)
print(f"Adaline classifies {adaline_accuracy:.1%} of the points correctly with sign(z)")

fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
for ax, title in zip(axes[:2], ("Perceptron: the line after epochs 1, 2 and last", "Adaline (delta rule)")):
    ax.scatter(*x[labels == 0].T, c="tab:blue", s=18, label="class 0")
    ax.scatter(*x[labels == 1].T, c="tab:red", s=18, label="class 1")
    ax.set(title=title, xlabel="x₁", ylabel="x₂", xlim=(-3, 3.5), ylim=(-3.2, 3.2))
for epoch, style in ((0, "k:"), (1, "k-."), (epochs - 1, "k-")):
    boundary(axes[0], snapshots[epoch], style, f"after epoch {epoch + 1}")
boundary(axes[1], adaline, "k-", "w·x + b = 0")
for ax in axes[:2]:
    ax.legend(loc="upper left", fontsize=9)
epoch_axis = np.arange(1, epochs + 1)
axes[2].plot(epoch_axis, mistakes, "o-", color="tab:purple", label="perceptron: mistakes")
axes[2].set(title="Learning curves", xlabel="epoch", ylabel="mistakes in the epoch")
twin = axes[2].twinx()
twin.plot(epoch_axis, squared_errors, "s--", color="tab:green", label="Adaline: mean squared error")
twin.set_ylabel("mean squared error (targets ±1)")
axes[2].legend(loc="upper right", fontsize=9)
twin.legend(loc="center right", fontsize=9)
fig.tight_layout()
save_figure(fig, settings.out_dir / "delta_rule.png")

print(
    f"\nWhat we saw: {perceptron_verdict(mistakes)}; "
    f"{descent_verdict(squared_errors, 'the mean squared error of Adaline')}, and its line classifies "
    f"{adaline_accuracy:.1%} of the points; its update differs from −η ∂E/∂w by {gap:.0e}: "
    f"{'it is' if gap < 1e-12 else 'it is not'} gradient descent."
)
