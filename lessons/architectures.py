# %% [markdown]
# # CNN architectures: LeNet-5 and AlexNet, side by side
#
# Slide section "CNN architectures". From LeNet-5 (1998) to AlexNet (2012) networks grew deeper and
# wider: more convolutions, more channels, dropout in wide dense layers. Bianco et al. ("Benchmark
# analysis of representative deep neural network architectures", IEEE Access 2018) compare
# architectures by accuracy against their cost — parameters, operations, time. We do the same in
# miniature: both models (minidl.models) learn the MNIST subset with the same optimizer and epochs,
# and we report parameters, multiply-adds per image, inference time and test accuracy.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons architectures`
# (`--quick` for a short run).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.training import cosine_learning_rate, predict, train_classifier
from lessons.verdicts import QUICK_RUN_NOTE, accuracy_gain_verdict
from minidl import nn
from minidl.datasets import load_mnist
from minidl.metrics import accuracy
from minidl.models import AlexNetMini, LeNet5
from minidl.optim import Adam

settings = lesson_settings("architectures")

EPOCHS = 8
MODELS = {"LeNet-5 (1998)": LeNet5, "AlexNet-style (2012)": AlexNetMini}


def inference_seconds(model: nn.Module, images: np.ndarray, repeats: int = 3) -> float:
    """Median time of one forward pass over `images` in evaluation mode."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(model, images)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# %%
(train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
if settings.quick:
    train_x, train_y, test_x, test_y = train_x[:300], train_y[:300], test_x[:200], test_y[:200]
epochs = 1 if settings.quick else EPOCHS


# %% [markdown]
# ## 1. The two architectures, layer by layer, and 2. the same data, optimizer and epochs for both
#
# The recipe is shorter than workshop 2's (`mnist_cnn`): 8 epochs at a learning rate of 10⁻³ on the
# digits as they are, against 25 epochs at 2·10⁻³ on digits shifted by a pixel at random, to keep
# the track short. The same recipe for both keeps the comparison fair; expect both accuracies below
# the one workshop 2 reports for LeNet-5.
# %%
results = {}
for name, build in MODELS.items():
    minidl.manual_seed(settings.seed)
    model = build()
    print(f"\n{name}")
    nn.summary(model, (1, 1, 28, 28))
    start = time.perf_counter()
    train_classifier(
        model,
        Adam(model.parameters(), lr=1e-3),
        (train_x, train_y),
        epochs,
        seed=settings.seed,
        learning_rate=cosine_learning_rate(1e-3, epochs),
    )
    results[name] = {
        "parameters": sum(p.size for p in model.parameters()),
        "multiply_adds": nn.multiply_adds(model, (1, 1, 28, 28)),
        "train_seconds": time.perf_counter() - start,
        "inference_ms_per_image": 1e3 * inference_seconds(model, test_x[:256]) / 256,
        "test_accuracy": accuracy(predict(model, test_x), test_y),
    }


# %% [markdown]
# ## 3. The comparison
# %%
print(f"\n{'model':<22}{'parameters':>12}{'mult-adds/image':>17}{'training':>11}{'ms/image':>10}{'test acc.':>11}")
for name, r in results.items():
    print(
        f"{name:<22}{r['parameters']:>12,}{r['multiply_adds']:>17,}{r['train_seconds']:>10.1f}s"
        f"{r['inference_ms_per_image']:>10.3f}{r['test_accuracy']:>11.1%}"
    )

fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 5), gridspec_kw={"width_ratios": [1.6, 1, 1]})
for (name, r), colour in zip(results.items(), ("tab:blue", "tab:orange")):
    left.scatter(
        r["multiply_adds"] / 1e6,
        100 * r["test_accuracy"],
        s=r["parameters"] / 400,
        color=colour,
        alpha=0.6,
        edgecolors="black",
        label=f"{name}: {r['parameters']:,} parameters",
    )
    left.annotate(
        name,
        (r["multiply_adds"] / 1e6, 100 * r["test_accuracy"]),
        textcoords="offset points",
        xytext=(0, 22),
        ha="center",
    )
left.set_xscale("log")
left.set(
    title="Accuracy against cost (bubble area ∝ parameters)",
    xlabel="million multiply-adds per image",
    ylabel="test accuracy (%)",
)
left.margins(0.4)
left.legend(loc="lower right", fontsize=9, markerscale=0.4)
names = list(results)
colours = ["tab:blue", "tab:orange"]
middle.bar(names, [results[n]["train_seconds"] for n in names], color=colours)
middle.set(title=f"Training time ({epochs} epoch(s), {len(train_y)} images)", ylabel="seconds")
right.bar(names, [results[n]["inference_ms_per_image"] for n in names], color=colours)
right.set(title="Inference time per image", ylabel="milliseconds")
for ax in (left, middle, right):
    ax.grid(alpha=0.3)
fig.suptitle("What the extra depth costs on this CPU (times from this run; they vary with the machine's load)")
fig.tight_layout()
save_figure(fig, settings.out_dir / "architectures.png")

lenet, alexnet = (results[n] for n in names)
print(
    f"\nWhat we saw: the AlexNet-style net has {alexnet['parameters'] / lenet['parameters']:.1f}× the parameters "
    f"and {alexnet['multiply_adds'] / lenet['multiply_adds']:.0f}× the multiply-adds of LeNet-5 and trained "
    f"{alexnet['train_seconds'] / lenet['train_seconds']:.1f}× longer; on 28×28 digits "
    f"{accuracy_gain_verdict(lenet['test_accuracy'], alexnet['test_accuracy'], len(test_y))}. "
    "Benchmarks of architectures plot exactly this trade-off." + (f" ({QUICK_RUN_NOTE}.)" if settings.quick else "")
)
