# %% [markdown]
# # Workshop 1: MLP for regression
#
# Slide section "Workshop 1: MLP for regression". Regression asks for a number, not a class: the
# network ends in one linear unit and learns by minimising the mean squared error. We sample a
# sine curve with noise, keep a quarter of the points aside as a validation set, and train
# multi-layer perceptrons of three sizes with Adam. The validation loss says what the training
# loss cannot: a network too small underfits (both losses stay high), a suitable one follows the
# curve and its validation error approaches the noise level σ², and with few points a large
# network trained long enough starts fitting the noise itself (overfitting).
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons mlp_regression`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.training import cosine_learning_rate, predict, train_regressor
from lessons.verdicts import regression_fit_verdict
from minidl import nn
from minidl.datasets import REGRESSION_FUNCTIONS, make_regression_1d
from minidl.optim import Adam

settings = lesson_settings("mlp_regression")

NOISE = 0.15


def mlp(*widths: int) -> nn.Sequential:
    """1 → widths… → 1 with tanh between the dense layers."""
    layers: list[nn.Module] = []
    sizes = (1, *widths)
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 1))


def split(x: np.ndarray, y: np.ndarray, validation_fraction: float, seed: int = 0):
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(len(x) * (1 - validation_fraction))
    return (x[order[:cut]], y[order[:cut]]), (x[order[cut:]], y[order[cut:]])


# %%
steps = 300 if settings.quick else 3000
grid = np.linspace(-1, 1, 300, dtype=np.float32)[:, None]
truth = REGRESSION_FUNCTIONS["sine"](grid)


# %% [markdown]
# ## 1. Data: y = sin(2πx) + noise, 75 % to train on and 25 % to validate
# %%
x, y = make_regression_1d(160, "sine", noise=NOISE, seed=0)
train, validation = split(x, y, 0.25)
print(
    f"{len(train[0])} training and {len(validation[0])} validation points; noise σ = {NOISE} "
    f"(the best possible mean squared error is σ² = {NOISE**2:.4f})"
)


# %% [markdown]
# ## 2. Three networks, the same training
# %%
configurations = {"1-2-1 (too small)": (2,), "1-32-32-1": (32, 32)}
results = {}
for name, widths in configurations.items():
    minidl.manual_seed(settings.seed)
    model = mlp(*widths)
    train_losses, validation_losses = train_regressor(
        model,
        Adam(model.parameters(), lr=0.01),
        *train,
        steps,
        validation=validation,
        learning_rate=cosine_learning_rate(0.01, steps),
        desc=name,
    )
    results[name] = (train_losses, validation_losses, predict(model, grid))
    print(f"MLP {name:<18} training MSE {train_losses[-1]:.4f}, validation MSE {validation_losses[-1]:.4f}")

# Overfitting needs few points and a large network: 12 samples, 1-64-64-1, trained long.
few = split(*make_regression_1d(16, "sine", noise=NOISE, seed=1), 0.25)
minidl.manual_seed(settings.seed)
model = mlp(64, 64)
overfit_train, overfit_validation = train_regressor(
    model,
    Adam(model.parameters(), lr=0.01),
    *few[0],
    2 * steps,
    validation=few[1],
    learning_rate=cosine_learning_rate(0.01, 2 * steps),
    desc="1-64-64-1 on 12 points",
)
overfit_curve = predict(model, grid)
print(
    f"MLP 1-64-64-1 on 12 points: training MSE {overfit_train[-1]:.4f}, "
    f"validation MSE {overfit_validation[-1]:.4f} (lowest {min(overfit_validation):.4f} "
    f"at step {int(np.argmin(overfit_validation)) + 1})"
)


# %% [markdown]
# ## 3. Learning curves and fits
# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
for (name, (train_losses, validation_losses, curve)), colour in zip(results.items(), ("tab:orange", "tab:green")):
    axes[0, 0].semilogy(train_losses, color=colour, label=f"{name}: training")
    axes[0, 0].semilogy(validation_losses, "--", color=colour, label=f"{name}: validation")
    axes[0, 1].plot(grid, curve, color=colour, linewidth=2, label=f"MLP {name}")
axes[0, 0].axhline(NOISE**2, color="gray", linestyle=":", label="noise level σ²")
axes[0, 0].set(title="Learning curves", xlabel="Adam step (full batch)", ylabel="mean squared error")
axes[0, 1].scatter(*train, s=12, color="black", label="training points")
axes[0, 1].scatter(*validation, s=16, facecolors="none", edgecolors="tab:red", label="validation points")
axes[0, 1].plot(grid, truth, "k:", label="true curve sin(2πx)")
axes[0, 1].set(title="The two networks on 120 points", xlabel="x", ylabel="y")

axes[1, 0].semilogy(overfit_train, color="tab:purple", label="training")
axes[1, 0].semilogy(overfit_validation, "--", color="tab:purple", label="validation")
axes[1, 0].axhline(NOISE**2, color="gray", linestyle=":", label="noise level σ²")
axes[1, 0].set(
    title="1-64-64-1 on 12 points: does validation follow training down?",
    xlabel="Adam step (full batch)",
    ylabel="mean squared error",
)
axes[1, 1].scatter(*few[0], s=20, color="black", label="the 12 training points")
axes[1, 1].scatter(*few[1], s=24, facecolors="none", edgecolors="tab:red", label="validation points")
axes[1, 1].plot(grid, truth, "k:", label="true curve")
axes[1, 1].plot(grid, overfit_curve, color="tab:purple", linewidth=2, label="MLP 1-64-64-1")
axes[1, 1].set(title="1-64-64-1 on 12 points: its curve against the true one", xlabel="x", ylabel="y", ylim=(-2, 2))
for ax in axes.flat:
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
save_figure(fig, settings.out_dir / "mlp_regression.png")

verdicts = [
    f"MLP {name.split()[0]} " + regression_fit_verdict(train_losses[-1], validation_losses[-1], NOISE**2)
    for name, (train_losses, validation_losses, _) in results.items()
]
verdicts.append(
    "the 1-64-64-1 on 12 points " + regression_fit_verdict(overfit_train[-1], overfit_validation[-1], NOISE**2)
)
print("\nWhat we saw: " + "; ".join(verdicts) + ".")
