"""Lesson: convolution operations — the slide's 5×5 example, stride and padding, max-pooling,
and im2col, the matrix that turns a convolution into one matrix product.

Slide section "Convolution operations". A convolutional layer slides a small kernel over the
image and, at every position, sums the element-wise product of the kernel with the patch under
it (a cross-correlation, as in PyTorch). The output size is ⌊(n + 2p − k) / s⌋ + 1 for an n-pixel
side, kernel k, padding p and stride s. Max-pooling keeps the largest value of each window.
minidl computes a convolution through im2col: every patch becomes one row of a matrix, and the
whole layer is that matrix times the flattened kernels.

Run it:  python -m lessons convolution
"""
# %% [markdown]
# # Convolution operations
# %%
from __future__ import annotations

from pathlib import Path

import numpy as np

import minidl
import minidl.functional as F
from minidl.kernels import Window, conv_output_size, im2col
from minidl.viz import annotated_matrix

SLIDE = "Convolution operations"

# The slide's example: a 5×5 binary image and a 3×3 X-shaped kernel.
IMAGE = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]], dtype=np.float32)
X_KERNEL = np.array([[1, 0, 1],
                     [0, 1, 0],
                     [1, 0, 1]], dtype=np.float32)


def run(out_dir: Path, quick: bool = False) -> None:
    import matplotlib.pyplot as plt

    # %% [markdown]
    # ## 1. The slide's 5×5 image convolved with the X kernel
    # %%
    image, kernel = minidl.tensor(IMAGE[None, None]), minidl.tensor(X_KERNEL[None, None])
    feature_map = F.conv2d(image, kernel).data[0, 0]
    print("feature map of the 5x5 image with the X kernel (stride 1, no padding):")
    print(feature_map.astype(int))
    top_left = IMAGE[:3, :3] * X_KERNEL
    print(f"top-left entry by hand: sum of {top_left.astype(int).ravel().tolist()} = {top_left.sum():g}")

    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    annotated_matrix(axes[0], IMAGE, "image (5×5)")
    annotated_matrix(axes[1], X_KERNEL, "kernel (3×3)", cmap="Oranges")
    annotated_matrix(axes[2], feature_map, "feature map (3×3)", cmap="Greens")
    fig.suptitle("Convolution: slide the kernel, multiply element-wise, sum")
    fig.tight_layout()
    fig.savefig(out_dir / "convolution_5x5.png", dpi=110)
    plt.close(fig)

    # %% [markdown]
    # ## 2. Stride and padding change the output size: ⌊(n + 2p − k) / s⌋ + 1
    # %%
    print("\noutput side for the 5x5 image and a 3x3 kernel:")
    for stride in (1, 2):
        for padding in (0, 1, 2):
            out = F.conv2d(image, kernel, stride=stride, padding=padding)
            formula = conv_output_size(5, 3, stride, padding, 1)
            print(f"  stride {stride}, padding {padding}: {out.shape[2]}x{out.shape[3]} "
                  f"(formula: floor((5 + 2*{padding} - 3) / {stride}) + 1 = {formula})")
    padded = F.conv2d(image, kernel, padding=1).data[0, 0]
    print("with padding 1 ('same' size), the feature map keeps the 5x5 shape:")
    print(padded.astype(int))

    # %% [markdown]
    # ## 3. A colour (3-channel) input, two filters with biases, stride 2, padding 1
    # A filter spans all input channels; each filter gives one output channel.
    # (Illustrative numbers, drawn with a fixed seed.)
    # %%
    rng = np.random.default_rng(0)
    volume = rng.integers(0, 3, (1, 3, 5, 5)).astype(np.float32)
    filters = rng.integers(-1, 2, (2, 3, 3, 3)).astype(np.float32)
    biases = np.array([1.0, 0.0], dtype=np.float32)
    out = F.conv2d(minidl.tensor(volume), minidl.tensor(filters), minidl.tensor(biases), stride=2, padding=1)
    print("\ninput 5x5x3 (padded to 7x7x3), filters W0, W1 of 3x3x3, stride 2 -> "
          f"output {out.shape[2]}x{out.shape[3]}x2")
    for o in range(2):
        print(f"output channel {o} (bias {biases[o]:g}):\n{out.data[0, o].astype(int)}")

    # %% [markdown]
    # ## 4. Max-pooling: the largest value of each 2×2 window
    # %%
    grid = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)
    pooled = F.max_pool2d(minidl.tensor(grid[None, None]), kernel_size=2).data[0, 0]
    print(f"\nmax-pool 2x2, stride 2:\n{grid.astype(int)}\n->\n{pooled.astype(int)}")
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    annotated_matrix(axes[0], grid, "input (4×4)")
    annotated_matrix(axes[1], pooled, "max-pool 2×2, stride 2", cmap="Greens")
    fig.tight_layout()
    fig.savefig(out_dir / "max_pooling.png", dpi=110)
    plt.close(fig)

    # %% [markdown]
    # ## 5. im2col: the convolution as one matrix product
    # Each row holds one 3×3 patch (9 numbers); multiplying by the flattened kernel gives
    # every output pixel at once.
    # %%
    patches = im2col(IMAGE[None, None], Window(kernel=(3, 3), stride=(1, 1)))
    as_product = (patches @ X_KERNEL.ravel()).reshape(3, 3)
    print(f"\nim2col matrix: {patches.shape[0]} patches x {patches.shape[1]} kernel entries")
    print(f"patches @ kernel.ravel() reshaped to 3x3 equals the feature map: {np.array_equal(as_product, feature_map)}")
    fig, axes = plt.subplots(1, 3, figsize=(9, 5.5), gridspec_kw={"width_ratios": [9, 1.4, 1.4]})
    annotated_matrix(axes[0], patches, "im2col: one row per 3×3 patch", xlabel="kernel entry (i, j)",
                     ylabel="output pixel (row-major)")
    annotated_matrix(axes[1], X_KERNEL.reshape(-1, 1), "kernel", cmap="Oranges")
    annotated_matrix(axes[2], as_product.reshape(-1, 1), "= output", cmap="Greens")
    fig.tight_layout()
    fig.savefig(out_dir / "im2col.png", dpi=110)
    plt.close(fig)

    print("What we saw: the slide's feature map [[4,3,4],[2,4,3],[2,3,4]] computed by minidl, the output "
          "size formula for stride and padding, max-pooling, and im2col turning the convolution into "
          "one matrix product.")


if __name__ == "__main__":
    from lessons.runner import main

    raise SystemExit(main(["convolution", *__import__("sys").argv[1:]]))
