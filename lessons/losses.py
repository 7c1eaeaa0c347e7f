# %% [markdown]
# # Loss functions
#
# Slide section "Loss functions". The loss turns "how wrong is the network" into one number whose
# gradient training follows:
#
#     binary classification   BCE(p, y) = −[y log p + (1 − y) log(1 − p)],   p = σ(z)
#     multiclass              CE(z, k) = −log softmax(z)ₖ = −zₖ + log Σⱼ e^{zⱼ}
#     regression              MSE = (ŷ − y)²,   L1 = |ŷ − y|
#
# Through a sigmoid or softmax, the gradient of BCE or CE with respect to the logits is simply
# p − y: large when confidently wrong, vanishing when right. MSE's gradient 2(ŷ − y) grows with the
# error; L1's is ±1 whatever the error, which makes it robust to outliers.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons losses`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
import minidl.functional as F
from lessons.figures import save_figure
from lessons.settings import lesson_settings

settings = lesson_settings("losses")


def loss_and_gradient(loss_fn, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise loss values and their derivatives with respect to `inputs`, by autograd."""
    point = minidl.tensor(inputs, requires_grad=True)
    values = loss_fn(point)
    values.sum().backward()
    return values.data, point.grad


# %%
z = np.linspace(-6, 6, 241)


# %% [markdown]
# ## 1. Multiclass: a worked example of softmax and cross-entropy
# %%
logits = minidl.tensor(np.array([[2.0, 1.0, 0.1]]), requires_grad=True)
probabilities = F.softmax(logits, axis=1)
loss = F.cross_entropy(logits, np.array([0]))
loss.backward()
print(f"logits {logits.data[0].tolist()} -> softmax {np.round(probabilities.data[0], 3).tolist()}")
print(f"cross-entropy for true class 0: -log {probabilities.data[0, 0]:.3f} = {loss.item():.3f}")
print(f"gradient with respect to the logits = softmax - one_hot = {np.round(logits.grad[0], 3).tolist()}")


# %% [markdown]
# ## 2. Binary: BCE on σ(z), its value and its gradient p − y
# %%
bce = {
    y: loss_and_gradient(lambda t, y=y: F.binary_cross_entropy_with_logits(t, np.full_like(z, y), reduction="none"), z)
    for y in (1.0, 0.0)
}
at = np.searchsorted(z, 2.0)
print(
    f"\nBCE at z = 2 (p = {1 / (1 + np.exp(-2)):.3f}): y = 1 -> {bce[1.0][0][at]:.3f}, "
    f"y = 0 -> {bce[0.0][0][at]:.3f}; gradients p - y = {bce[1.0][1][at]:.3f} and {bce[0.0][1][at]:.3f}"
)


# %% [markdown]
# ## 3. Regression: MSE and L1 against the error ŷ − y
# %%
error = np.linspace(-3, 3, 241)
mse = loss_and_gradient(lambda t: F.mse_loss(t, np.zeros_like(error), reduction="none"), error)
l1 = loss_and_gradient(lambda t: F.l1_loss(t, np.zeros_like(error), reduction="none"), error)
outliers = np.array([0.1, -0.2, 0.15, 8.0])
print(
    f"\nerrors {outliers.tolist()}: MSE = {np.mean(outliers**2):.2f} (the outlier dominates), "
    f"L1 = {np.mean(np.abs(outliers)):.2f}"
)


# %% [markdown]
# ## 4. All in one figure: each loss (top) and the gradient it sends back (bottom)
# %%
fig, axes = plt.subplots(2, 3, figsize=(15, 7.5), sharex="col")
for y, colour in ((1.0, "tab:red"), (0.0, "tab:blue")):
    axes[0, 0].plot(z, bce[y][0], color=colour, label=f"y = {y:g}")
    axes[1, 0].plot(z, bce[y][1], color=colour, label=f"y = {y:g}: σ(z) − y")
axes[0, 0].set(title="Binary: BCE(σ(z), y)", ylabel="loss")
axes[1, 0].set(xlabel="logit z", ylabel="∂loss/∂z")

scores = np.stack([z, np.zeros_like(z), np.full_like(z, 1.0)], axis=1)  # class 0's logit varies
ce_values, ce_grads = loss_and_gradient(
    lambda t: F.cross_entropy(t, np.zeros(len(z), np.int64), reduction="none"), scores
)
axes[0, 1].plot(z, ce_values, color="tab:purple", label="true class 0, other logits 0 and 1")
axes[1, 1].plot(z, ce_grads[:, 0], color="tab:purple", label="∂/∂z₀ = softmax₀ − 1")
axes[0, 1].set(title="Multiclass: cross-entropy of softmax", ylabel="loss")
axes[1, 1].set(xlabel="logit z₀ of the true class", ylabel="∂loss/∂z₀")

axes[0, 2].plot(error, mse[0], color="tab:green", label="MSE (ŷ − y)²")
axes[0, 2].plot(error, l1[0], color="tab:orange", label="L1 |ŷ − y|")
axes[1, 2].plot(error, mse[1], color="tab:green", label="2(ŷ − y)")
axes[1, 2].plot(error, l1[1], color="tab:orange", label="sign(ŷ − y)")
axes[0, 2].set(title="Regression: MSE and L1", ylabel="loss")
axes[1, 2].set(xlabel="error ŷ − y", ylabel="∂loss/∂ŷ")
for ax in axes.flat:
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
fig.suptitle("Losses (top) and the gradients they send back to the network (bottom), by autograd")
fig.tight_layout()
save_figure(fig, settings.out_dir / "losses.png")

wrong, right = bce[1.0][1][0], bce[1.0][1][-1]  # y = 1 at z = −6 (confidently wrong) and z = 6 (right)
print(
    f"\nWhat we saw: cross-entropy on logits gives the gradient p − y for two or many classes (here "
    f"{np.round(logits.grad[0], 3).tolist()}); for y = 1 it is {wrong:.3f} when confidently wrong (z = −6) and "
    f"{right:.4f} when confidently right (z = 6); with one outlier among four errors MSE is "
    f"{np.mean(outliers**2):.2f} and L1 {np.mean(np.abs(outliers)):.2f}: MSE grows with the square of an error, "
    "L1 with the error itself."
)
