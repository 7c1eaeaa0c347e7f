# %% [markdown]
# # The artificial neuron (McCulloch–Pitts)
#
# Slide section "The artificial neuron". McCulloch & Pitts (1943) modelled a neuron as a threshold
# unit: binary inputs xᵢ, weights wᵢ, a threshold θ, and output y = 1 if Σᵢ wᵢxᵢ ≥ θ, else 0. With
# the right weights and threshold one unit computes AND, OR, NOT or NAND: it cuts the input space
# with the line w·x = θ. XOR cannot be cut by one line — no single unit computes it (Minsky &
# Papert 1969) — but two layers of units can: XOR(a, b) = AND(OR(a, b), NAND(a, b)). That is the
# whole case for multi-layer networks, before any learning.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons neuron`
# (`--quick` for a short run).

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings

settings = lesson_settings("neuron")

INPUTS = np.array(list(itertools.product([0, 1], repeat=2)), dtype=np.float32)  # (0,0) (0,1) (1,0) (1,1)
# (weights, threshold) of one unit per gate; thresholds halfway between the sums the inputs can
# reach, so that the line w·x = θ runs clear of the four input points.
GATES = {"AND": ((1.0, 1.0), 1.5), "OR": ((1.0, 1.0), 0.5), "NAND": ((-1.0, -1.0), -1.5)}
WEIGHT_GRID = np.arange(-3.0, 3.5, 0.5)  # the weights and thresholds single_unit_exists tries


def threshold_unit(x: minidl.Tensor, weights: tuple[float, ...], threshold: float) -> minidl.Tensor:
    """y = 1 if Σ wᵢxᵢ ≥ θ else 0, for a batch x of shape (N, inputs)."""
    z = x @ minidl.tensor(np.array(weights, dtype=np.float32))
    return (z >= threshold) * 1.0


def single_unit_exists(targets: np.ndarray, values: np.ndarray = WEIGHT_GRID) -> bool:
    """Does any unit with weights and threshold on this grid reproduce the truth table?"""
    x = minidl.tensor(INPUTS)
    return any(
        np.array_equal(threshold_unit(x, (w1, w2), theta).data, targets)
        for w1 in values
        for w2 in values
        for theta in values
    )


# %% [markdown]
# ## 1. One unit, three gates
# %%
x = minidl.tensor(INPUTS)
outputs = {name: threshold_unit(x, w, theta).data for name, (w, theta) in GATES.items()}
print(" a  b | " + " ".join(f"{name:>5}" for name in GATES) + " |   XOR")
xor = np.logical_xor(INPUTS[:, 0], INPUTS[:, 1]).astype(np.float32)
for row, (a, b) in enumerate(INPUTS):
    print(f" {a:.0f}  {b:.0f} | " + " ".join(f"{outputs[n][row]:5.0f}" for n in GATES) + f" | {xor[row]:5.0f}")
not_gate = threshold_unit(minidl.tensor([[0.0], [1.0]]), (-1.0,), -0.5).data
print(f"NOT with w = -1, θ = -0.5: NOT 0 = {not_gate[0]:.0f}, NOT 1 = {not_gate[1]:.0f}")


# %% [markdown]
# ## 2. XOR: no single unit, but two layers
# %%
print("\nsearching weights and thresholds in [-3, 3] for one unit per gate:")
one_unit = {name: single_unit_exists(targets) for name, targets in [*outputs.items(), ("XOR", xor)]}
for name, exists in one_unit.items():
    print(f"  {name:<5} {'a single unit exists' if exists else 'NO single unit computes it'}")
hidden = minidl.stack([threshold_unit(x, *GATES["OR"]), threshold_unit(x, *GATES["NAND"])], axis=1)
two_layers = threshold_unit(hidden, *GATES["AND"]).data
print(
    f"two layers, AND(OR, NAND): {two_layers.astype(int).tolist()} = XOR {xor.astype(int).tolist()}: "
    f"{np.array_equal(two_layers, xor)}"
)


# %% [markdown]
# ## 3. The picture: each unit is a line in the input plane
# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 4.6), gridspec_kw={"wspace": 0.35})
line = np.linspace(-0.5, 1.5, 2)
for ax, (name, targets) in zip(axes, [*outputs.items(), ("XOR", xor)]):
    ax.scatter(*INPUTS.T, c=targets, cmap="coolwarm", vmin=0, vmax=1, s=250, edgecolors="black", zorder=3)
    for (a, b), t in zip(INPUTS, targets):
        ax.annotate(f"{t:.0f}", (a, b), textcoords="offset points", xytext=(12, 8), fontsize=11)
    if name in GATES:
        (w1, w2), theta = GATES[name]
        ax.plot(line, (theta - w1 * line) / w2, "k--", label=f"{w1:g}·a + {w2:g}·b = {theta:g}")
        ax.legend(loc="lower left", fontsize=9)
        ax.set_title(f"{name}: one unit, one line")
    else:
        ax.set_title(
            "XOR: " + ("no single line\nseparates the 0s from the 1s" if not one_unit["XOR"] else "one unit found")
        )
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="input a", ylabel="input b", aspect="equal")
    ax.grid(alpha=0.3)
fig.suptitle("McCulloch–Pitts units: output 1 (red) where w·x ≥ θ, 0 (blue) elsewhere")
save_figure(fig, settings.out_dir / "logic_gates.png")

alone = [name for name, exists in one_unit.items() if exists]
print(
    f"\nWhat we saw: one threshold unit computes {', '.join(alone)} (and NOT) by cutting the inputs with one "
    f"line; for {', '.join(name for name, exists in one_unit.items() if not exists) or 'none'} the search "
    "over weights and thresholds in [-3, 3] finds no single unit, while two layers, AND(OR, NAND), "
    f"{'compute XOR' if np.array_equal(two_layers, xor) else 'do NOT compute XOR'}."
)
