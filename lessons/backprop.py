# %% [markdown]
# # MLP and backpropagation
#
# Slide section "MLP and backpropagation". A two-layer perceptron with logistic units,
#
#     h = σ(W₁x + b₁),   y = σ(W₂h + b₂),   E = (1/N) Σₙ ½ (yₙ − tₙ)²,
#
# is differentiated twice: once by hand with the backpropagation formulas of the slide (the error
# signal δ travels backwards, each layer multiplying it by its weights and by σ' = σ(1 − σ)), and
# once by minidl's autograd. The two must agree to the last digits, and `minidl.gradcheck` confirms
# both against finite differences. Then the network learns XOR, the function a single neuron
# cannot represent, by plain gradient descent w(t+1) = w(t) − α ∇E.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons backprop`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.verdicts import QUICK_RUN_NOTE, truth_table_verdict
from minidl.progress import progress

settings = lesson_settings("backprop")


XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float64)


def init_parameters(hidden: int, rng: np.random.Generator) -> dict[str, minidl.Tensor]:
    """Weights uniform in ±1 (large enough for sigmoid units to break symmetry), biases 0."""
    shapes = {"W1": (hidden, 2), "b1": (hidden,), "W2": (1, hidden), "b2": (1,)}
    return {
        name: minidl.tensor(rng.uniform(-1, 1, shape) if name[0] == "W" else np.zeros(shape), requires_grad=True)
        for name, shape in shapes.items()
    }


def forward(p: dict[str, minidl.Tensor], x: minidl.Tensor) -> minidl.Tensor:
    """y = σ(W₂ σ(W₁x + b₁) + b₂), for a batch x of shape (N, 2)."""
    hidden = (x @ p["W1"].T + p["b1"]).sigmoid()
    return (hidden @ p["W2"].T + p["b2"]).sigmoid()


def loss_fn(y: minidl.Tensor, t: np.ndarray) -> minidl.Tensor:
    """E = (1/N) Σ ½ (y − t)²."""
    return ((y - t) ** 2 * 0.5).mean(axis=0).sum()


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def gradients_by_hand(p: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagation written out: the slide's formulas in NumPy."""
    h = sigmoid(x @ p["W1"].T + p["b1"])  # hidden activations (N, H)
    y = sigmoid(h @ p["W2"].T + p["b2"])  # outputs (N, 1)
    delta2 = (y - t) / len(x) * y * (1 - y)  # δ₂ = ∂E/∂y · σ'(z₂)
    delta1 = (delta2 @ p["W2"]) * h * (1 - h)  # δ₁ = (W₂ᵀ δ₂) · σ'(z₁)
    return {
        "W2": delta2.T @ h,
        "b2": delta2.sum(axis=0),  # ∂E/∂W₂ = δ₂ hᵀ
        "W1": delta1.T @ x,
        "b1": delta1.sum(axis=0),
    }  # ∂E/∂W₁ = δ₁ xᵀ


# %% [markdown]
# ## 1. One backward pass, by hand and by autograd
# %%
params = init_parameters(hidden=4, rng=np.random.default_rng(0))
x = minidl.tensor(XOR_INPUTS)
loss = loss_fn(forward(params, x), XOR_TARGETS)
loss.backward()
by_hand = gradients_by_hand({k: v.data for k, v in params.items()}, XOR_INPUTS, XOR_TARGETS)
print(f"loss E = {loss.item():.6f}")
print("parameter  max |by hand - autograd|")
largest_gap = 0.0
for name, p in params.items():
    gap = float(np.max(np.abs(by_hand[name] - p.grad)))
    largest_gap = max(largest_gap, gap)
    print(f"{name:>9}  {gap:.2e}")


# %% [markdown]
# ## 2. Both against finite differences
# %%
names = list(params)
ok = minidl.gradcheck(lambda *ts: loss_fn(forward(dict(zip(names, ts)), x), XOR_TARGETS), [params[n] for n in names])
print(f"gradcheck (central differences, float64): {'passed' if ok else 'FAILED'}")


# %% [markdown]
# ## 3. Learning XOR by gradient descent: w ← w − α ∇E
# %%
learning_rate, steps = 2.0, 300 if settings.quick else 4000
history = []
for _ in progress(range(steps), "training on XOR", unit="steps"):
    for p in params.values():
        p.grad = None
    loss = loss_fn(forward(params, x), XOR_TARGETS)
    loss.backward()
    with minidl.no_grad():
        for p in params.values():
            p.data -= learning_rate * p.grad
    history.append(loss.item())
with minidl.no_grad():
    outputs = forward(params, x).data.ravel()
print(f"after {steps} steps: E = {history[-1]:.5f}")
for (a, b), target, y in zip(XOR_INPUTS, XOR_TARGETS.ravel(), outputs):
    print(f"  XOR({a:.0f}, {b:.0f}) = {target:.0f}   network: {y:.3f}")


# %% [markdown]
# ## 4. Figures: the loss curve and the decision surface the hidden layer makes possible
# %%
fig, (ax_loss, ax_surface) = plt.subplots(1, 2, figsize=(11, 4.5))
ax_loss.semilogy(history)
ax_loss.set_xlabel("gradient-descent step")
ax_loss.set_ylabel("E (mean squared error / 2)")
ax_loss.set_title("Training a 2-4-1 sigmoid MLP on XOR")
ax_loss.grid(True, alpha=0.3)
grid = np.linspace(-0.25, 1.25, 121)
gx, gy = np.meshgrid(grid, grid)
with minidl.no_grad():
    surface = forward(params, minidl.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1))).data
image = ax_surface.contourf(gx, gy, surface.reshape(gx.shape), levels=20, cmap="coolwarm", vmin=0, vmax=1)
ax_surface.scatter(
    XOR_INPUTS[:, 0],
    XOR_INPUTS[:, 1],
    c=XOR_TARGETS.ravel(),
    cmap="coolwarm",
    edgecolors="black",
    s=120,
    vmin=0,
    vmax=1,
)
ax_surface.set_xlabel("x₁")
ax_surface.set_ylabel("x₂")
ax_surface.set_title("Network output y(x₁, x₂); dots: XOR targets")
fig.colorbar(image, ax=ax_surface, label="y")
fig.tight_layout()
save_figure(fig, settings.out_dir / "xor_training.png")
plt.close(fig)


# %% [markdown]
# ## What we saw
# %%
print(
    f"What we saw: the hand-written backpropagation and autograd agree to {largest_gap:.0e} (float64 rounding), "
    f"gradcheck {'confirms them against finite differences' if ok else 'FAILED'}; after {steps} steps of gradient "
    f"descent the 2-4-1 network has E = {history[-1]:.4f} and "
    f"{truth_table_verdict(outputs, XOR_TARGETS.ravel(), 'XOR')}." + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
