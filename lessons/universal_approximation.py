# %% [markdown]
# # Universal approximation
#
# Slide section "Universal approximation". Cybenko (1989) and Hornik, Stinchcombe & White (1989):
# a network with one hidden layer of enough sigmoid-like units can approximate any continuous
# function on a bounded interval as closely as we like. Each tanh unit contributes one smooth
# step, a·tanh(w·x + b); a sum of enough steps follows any curve. Here one-hidden-layer networks of
# 1, 2, 4, 8 and 32 units learn the same bounded function on [−1, 1] with the same number of
# training steps. Look at how the error of the fit changes as the layer widens, and whether the
# widest network is also the best one: the theorem promises that good weights exist, not that
# gradient descent finds them in a given number of steps.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons universal_approximation`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.training import cosine_learning_rate, predict, train_regressor
from lessons.verdicts import width_verdict
from minidl import nn
from minidl.datasets import REGRESSION_FUNCTIONS
from minidl.optim import Adam

settings = lesson_settings("universal_approximation")

TARGET = "wiggle"
WIDTHS = (1, 2, 4, 8, 32)


def one_hidden_layer(width: int) -> nn.Sequential:
    """x → tanh(W₁x + b₁) → W₂h + b₂: a weighted sum of `width` smooth steps."""
    return nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))


# %%
function = REGRESSION_FUNCTIONS[TARGET]
x = np.linspace(-1, 1, 200, dtype=np.float32)[:, None]
y = function(x).astype(np.float32)
steps = 300 if settings.quick else 4000


# %% [markdown]
# ## 1. The same function, networks of growing width
# %%
fits, errors = {}, {}
for width in WIDTHS:
    minidl.manual_seed(settings.seed)
    model = one_hidden_layer(width)
    train_regressor(
        model,
        Adam(model.parameters(), lr=0.02),
        x,
        y,
        steps,
        learning_rate=cosine_learning_rate(0.02, steps),
        desc=f"{width} hidden units",
    )
    fits[width] = predict(model, x)
    errors[width] = float(np.max(np.abs(fits[width] - y)))
    print(f"{width:3d} hidden tanh units: max |network − f| on [-1, 1] = {errors[width]:.4f}")


# %% [markdown]
# ## 2. The fits, and the error against the width
# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.6, 1]})
left.plot(x, y, "k", linewidth=3, alpha=0.35, label="target f(x)")
for width in WIDTHS:
    left.plot(x, fits[width], label=f"{width} unit{'s' if width > 1 else ''}")
left.set(title=r"One hidden layer of tanh units fitting $f(x) = \sin(5x)\,e^{-x^2} + 0.3x$", xlabel="x", ylabel="y")
left.legend(fontsize=9)
right.loglog(WIDTHS, [errors[w] for w in WIDTHS], "o-")
right.set_xticks(WIDTHS, [str(w) for w in WIDTHS])
right.set(
    title=f"Worst-case error against width ({steps} Adam steps each)",
    xlabel="hidden units",
    ylabel="max |network(x) − f(x)|",
)
for ax in (left, right):
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()
save_figure(fig, settings.out_dir / "universal_approximation.png")

print(f"\nWhat we saw: {width_verdict(errors)}.")
