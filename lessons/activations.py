# %% [markdown]
# # Activation functions and their derivatives
#
# Slide section "Activation functions". The table lists the Heaviside step, sign, linear (identity),
# piece-wise linear, logistic sigmoid, tanh, ReLU and softplus. Here each is evaluated by
# `minidl.functional` and differentiated by autograd: for y = f(z) applied element-wise, the gradient
# of Σ y with respect to z is exactly f'(z) at every point, so one backward pass draws the whole
# derivative curve. Step and sign have derivative 0 almost everywhere — no gradient reaches the
# weights through them, which is why gradient descent needs the smooth rows of the table.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons activations`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
import minidl.functional as F

settings = lesson_settings("activations")


TABLE = {
    "Heaviside step": F.step,
    "sign": F.sign,
    "linear (identity)": F.identity,
    "piece-wise linear": F.piecewise_linear,
    "logistic sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "ReLU": F.relu,
    "softplus": F.softplus,
}


def value_and_derivative(fn, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(z) and f'(z) element-wise: the gradient of Σ f(z) with respect to z is f'(z)."""
    point = minidl.tensor(z, requires_grad=True)
    out = fn(point) * 1.0  # * 1.0 puts identity's output in the graph too
    out.sum().backward()
    return out.data, point.grad


# %% [markdown]
# ## 1. The table at a few points
# %%
points = np.array([-1.0, -0.5, 0.0, 0.25, 1.0])
print(
    f"{'activation':<20}"
    + "".join(f"{f'f({p:g})':>10}" for p in points)
    + "".join(f"{f'df({p:g})':>10}" for p in points)
)
for name, fn in TABLE.items():
    values, slopes = value_and_derivative(fn, points)
    print(f"{name:<20}" + "".join(f"{v:10.4f}" for v in values) + "".join(f"{s:10.4f}" for s in slopes))


# %% [markdown]
# ## 2. Every row of the table drawn with its derivative
# %%
z = np.linspace(-3, 3, 121 if settings.quick else 601)
fig, axes = plt.subplots(2, 4, figsize=(15, 7), sharex=True)
largest_slope, slope_at_3 = {}, {}
for ax, (name, fn) in zip(axes.ravel(), TABLE.items()):
    values, slopes = value_and_derivative(fn, z)
    largest_slope[name], slope_at_3[name] = float(np.abs(slopes).max()), float(slopes[-1])
    ax.plot(z, values, label="f(z)", linewidth=2)
    ax.plot(z, slopes, label="f'(z) by autograd", linestyle="--")
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.axvline(0, color="gray", linewidth=0.5)
    ax.set_title(name)
    ax.set_xlabel("z")
    ax.grid(True, alpha=0.3)
axes[0, 0].legend(loc="upper left", fontsize=9)
fig.suptitle("The activation functions of the slide's table and their derivatives")
fig.tight_layout()
save_figure(fig, settings.out_dir / "activation_table.png")
plt.close(fig)


# %% [markdown]
# ## 3. Saturation: how much gradient survives ten layers
# The derivative of sigmoid is at most ¼, so a chain of sigmoids shrinks the gradient
# by at least 4× per layer; ReLU passes a gradient of exactly 1 wherever it is active.
# %%
stacked = {}
for name in ("logistic sigmoid", "tanh", "ReLU"):
    x = minidl.tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(10):
        y = TABLE[name](y)
    y.sum().backward()
    stacked[name] = float(x.grad[0])
    print(f"d(10 stacked {name})/dx at x = 0.5: {stacked[name]:.3e}")
flat = [name for name, slope in largest_slope.items() if slope == 0]
print(
    f"What we saw: each row of the table with its derivative drawn by autograd; "
    f"{' and '.join(flat) or 'no function'} pass no gradient anywhere (largest |f'| 0); at z = 3 the slope of "
    f"sigmoid is {slope_at_3['logistic sigmoid']:.3f} and of tanh {slope_at_3['tanh']:.3f} (saturation), of ReLU "
    f"{slope_at_3['ReLU']:g}; through ten stacked layers the gradient at 0.5 is {stacked['logistic sigmoid']:.1e} "
    f"for sigmoid, {stacked['tanh']:.2f} for tanh and {stacked['ReLU']:g} for ReLU."
)
