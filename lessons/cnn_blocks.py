# %% [markdown]
# # CNN building blocks: Inception and residual
#
# Slide section "CNN architectures: GoogLeNet, ResNet, Inception-ResNet, U-Net". GoogLeNet
# (Szegedy et al. 2015) runs 1×1, 3×3 and 5×5 convolutions and a pooling side by side and stacks
# their outputs; 1×1 convolutions that first reduce the channels keep it affordable. ResNet (He et
# al. 2016) adds each block's input to its output, y = ReLU(F(x) + x): a deep stack then learns
# corrections to the identity, and its gradients reach the first layers through the shortcuts.
# Inception-ResNet (Szegedy et al. 2017) puts an Inception module inside a residual block. The
# U-Net's encoder–decoder with skip connections comes with workshop 4.
#
# We build each block (minidl.models), print its shapes and parameters with summary, count what
# the 1×1 reductions save, and train the same 18-layer network with and without shortcuts.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons cnn_blocks`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.training import train_classifier
from lessons.verdicts import QUICK_RUN_NOTE, residual_verdict
from minidl import nn
from minidl.datasets import load_mnist
from minidl.models import InceptionModule, ResidualBlock, SmallResNet
from minidl.optim import SGD
from minidl.tensor import Tensor

settings = lesson_settings("cnn_blocks")


class InceptionResidual(nn.Module):
    """Inception-ResNet's idea in one block: y = ReLU(x + conv1×1(Inception(x))), the 1×1
    convolution bringing the concatenated branches back to x's channels."""

    def __init__(self, channels: int):
        super().__init__()
        self.inception = InceptionModule(channels, 8, 8, 8, 4, 4, 4)
        self.merge = nn.Conv2d(self.inception.out_channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return (x + self.merge(self.inception(x))).relu()


# %%
minidl.manual_seed(settings.seed)


# %% [markdown]
# ## 1. An Inception module, and what its 1×1 reductions save
# %%
reduced = InceptionModule(64, ones=16, threes_reduce=24, threes=32, fives_reduce=4, fives=8, pool_projection=8)
print("Inception module on 64 channels of 14×14 (branches 1×1: 16, 3×3: 32, 5×5: 8, pool: 8):")
nn.summary(reduced, (1, 64, 14, 14))
with_reduction = nn.multiply_adds(reduced, (1, 64, 14, 14))
direct = 14 * 14 * (16 * 64 + 32 * 64 * 9 + 8 * 64 * 25 + 8 * 64)  # 3×3 and 5×5 over all 64 channels
print(
    f"multiply-adds with the 1×1 reductions: {with_reduction:,}; without them: {direct:,} "
    f"({direct / with_reduction:.1f}× more)"
)


# %% [markdown]
# ## 2. A residual block, and Inception inside one (Inception-ResNet)
# %%
print("\nResidual block 16 → 32 channels, stride 2 (the shortcut needs a 1×1 projection):")
nn.summary(ResidualBlock(16, 32, stride=2), (1, 16, 14, 14))
print("\nInception-ResNet block on 16 channels:")
nn.summary(InceptionResidual(16), (1, 16, 14, 14))


# %% [markdown]
# ## 3. Depth with and without shortcuts
# The same 18-layer network (a stem, 16 convolutions in 8 blocks, a dense layer), trained the
# same way, once with the residual shortcuts and once without.
# %%
# Trainability is the question, so we compare training loss and accuracy; a test accuracy after
# three epochs would mostly measure how far BatchNorm's running averages lag behind the weights.
train_x, train_y = load_mnist("train")
count, epochs, blocks = (200, 1, 1) if settings.quick else (2000, 3, 4)
histories = {}
for shortcut in (True, False):
    minidl.manual_seed(settings.seed)
    model = SmallResNet(channels=(8, 16), blocks_per_stage=blocks, shortcut=shortcut)
    name = "residual" if shortcut else "plain"
    print(f"\n{name}: {sum(p.size for p in model.parameters()):,} parameters, {1 + 4 * blocks + 1} weight layers")
    histories[name] = train_classifier(
        model,
        SGD(model.parameters(), lr=0.05, momentum=0.9),
        (train_x[:count], train_y[:count]),
        epochs,
        seed=settings.seed,
    )

fig, ax = plt.subplots(figsize=(7, 4.2))
for name, history in histories.items():
    ax.plot(
        np.arange(1, epochs + 1),
        history.loss,
        "o-",
        label=f"{name} (training accuracy in the last epoch {history.train_accuracy[-1]:.0%})",
    )
ax.set(
    title=f"Training loss of the same deep network, {count} digits",
    xlabel="epoch",
    ylabel="mean cross-entropy",
    xticks=np.arange(1, epochs + 1),
)
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
save_figure(fig, settings.out_dir / "residual_vs_plain.png")

print(
    f"\nWhat we saw: 1×1 reductions make the Inception module {direct / with_reduction:.1f}× cheaper; after "
    f"{epochs} epoch(s) of the same training, "
    f"{residual_verdict(histories['residual'].loss[-1], histories['plain'].loss[-1])}."
    + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
