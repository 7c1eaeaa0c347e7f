# %% [markdown]
# # Convolution operations
#
# and im2col, the matrix that turns a convolution into one matrix product.
#
# Slide section "Convolution operations". A convolutional layer slides a small kernel over the
# image and, at every position, sums the element-wise product of the kernel with the patch under
# it (a cross-correlation, as in PyTorch). The output size is ⌊(n + 2p − k) / s⌋ + 1 for an n-pixel
# side, kernel k, padding p and stride s. Max-pooling keeps the largest value of each window.
# minidl computes a convolution through im2col: every patch becomes one column of a matrix, and the
# whole layer is the flattened kernels times that matrix (minidl/ops/convolution.py, on one screen).
# Where numba runs, minidl.kernels computes the same sums faster, for some layers by another road:
# 3×3 windows with Winograd's F(2×2, 3×3), and 5×5 or wider windows on images of one to three
# channels tap by tap, without the matrix; `python -m minidl.kernels` tells which road each layer
# of the lessons' models takes, and why.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons convolution`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl
from lessons.figures import save_figure
from lessons.settings import lesson_settings
import minidl.functional as F
from minidl.datasets import slide_conv_example
from minidl.ops.im2col import im2col
from minidl.ops.window import Window, conv_output_size
from minidl.viz import annotated_matrix

settings = lesson_settings("convolution")


# The slide's example: a 5×5 binary image and a 3×3 X-shaped kernel.
IMAGE = np.array(
    [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=np.float32
)
X_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)

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
fig.tight_layout(rect=(0, 0, 1, 0.94))  # leave the top strip to the suptitle
save_figure(fig, settings.out_dir / "convolution_5x5.png")
plt.close(fig)


# %% [markdown]
# ## 2. Stride and padding change the output size: ⌊(n + 2p − k) / s⌋ + 1
# %%
print("\noutput side for the 5x5 image and a 3x3 kernel:")
for stride in (1, 2):
    for padding in (0, 1, 2):
        out = F.conv2d(image, kernel, stride=stride, padding=padding)
        formula = conv_output_size(5, 3, stride, padding, 1)
        print(
            f"  stride {stride}, padding {padding}: {out.shape[2]}x{out.shape[3]} "
            f"(formula: floor((5 + 2*{padding} - 3) / {stride}) + 1 = {formula})"
        )
padded = F.conv2d(image, kernel, padding=1).data[0, 0]
print("with padding 1 ('same' size), the feature map keeps the 5x5 shape:")
print(padded.astype(int))


# %% [markdown]
# ## 3. The slide's colour example: a 5×5×3 input, padding 1, filter W0, bias b0 = 1, stride 2
# A filter spans all input channels: each output entry is the sum, over the three channels, of
# the window times that channel's filter slice, plus the bias. The numbers are the slide's
# (`minidl.datasets.slide_conv_example`); its second filter W1 did not survive legibly, so only
# the output channel o[:, :, 0] of W0 is reproduced. Compare every sum below with the slide's.
# %%
example = slide_conv_example()
out = F.conv2d(
    minidl.tensor(example.input),
    minidl.tensor(example.weight),
    minidl.tensor(example.bias),
    stride=example.stride,
    padding=example.padding,
).data[0, 0]
padded_volume = np.pad(example.input[0], ((0, 0), (example.padding,) * 2, (example.padding,) * 2))
print(
    f"\ninput 5x5x3 padded to {padded_volume.shape[1]}x{padded_volume.shape[2]}x3, filter W0 of 3x3x3, "
    f"bias b0 = {example.bias[0]:g}, stride {example.stride} -> output {out.shape[0]}x{out.shape[1]}"
)
# channel_sums[c, i, j]: the window of output (i, j) in channel c times the filter slice c, summed.
channel_sums = np.zeros((3, *out.shape), dtype=np.float32)
for i, j in np.ndindex(*out.shape):
    rows, cols = slice(example.stride * i, example.stride * i + 3), slice(example.stride * j, example.stride * j + 3)
    channel_sums[:, i, j] = (padded_volume[:, rows, cols] * example.weight[0]).sum(axis=(1, 2))
    terms = " + ".join(f"({value:g})" for value in channel_sums[:, i, j])
    print(f"  o[{i},{j}] = {terms} + b0 {example.bias[0]:g} = {out[i, j]:g}")
print(f"minidl's output equals the slide's [[2,3,3],[3,7,3],[8,10,-3]]: {np.array_equal(out, example.output[0, 0])}")

fig, axes = plt.subplots(3, 4, figsize=(13, 10), gridspec_kw={"width_ratios": [2.2, 1, 1, 1]})
for c in range(3):
    annotated_matrix(axes[c, 0], padded_volume[c], f"x[:, :, {c}] padded (7×7)")
    axes[c, 0].add_patch(plt.Rectangle((-0.5, -0.5), 3, 3, fill=False, edgecolor="tab:red", linewidth=2.5))
    annotated_matrix(axes[c, 1], example.weight[0, c], f"w0[:, :, {c}]", cmap="Oranges")
    annotated_matrix(axes[c, 2], channel_sums[c], f"channel {c}: window · w0[:, :, {c}]", cmap="Purples")
    axes[c, 3].axis("off")
annotated_matrix(axes[1, 3], out, f"o[:, :, 0] = sum of the\nthree + b0 ({example.bias[0]:g})", cmap="Greens")
fig.suptitle(
    "The slide's example: stride 2 over the padded 7×7×3 volume\n(red square: the window of o[0, 0]; "
    "the window of o[0, 1] starts 2 columns to its right)"
)
fig.tight_layout()
save_figure(fig, settings.out_dir / "slide_example_7x7x3.png")


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
save_figure(fig, settings.out_dir / "max_pooling.png")
plt.close(fig)


# %% [markdown]
# ## 5. im2col: the convolution as one matrix product
# Each column holds one 3×3 patch (9 numbers); the flattened kernel times that matrix gives
# every output pixel at once.
# %%
patches = im2col(IMAGE[None, None], Window(kernel=(3, 3), stride=(1, 1)))[0]  # (kernel entries, patches)
as_product = (X_KERNEL.ravel() @ patches).reshape(3, 3)
print(f"\nim2col matrix: {patches.shape[0]} kernel entries x {patches.shape[1]} patches")
print(f"kernel.ravel() @ patches reshaped to 3x3 equals the feature map: {np.array_equal(as_product, feature_map)}")
fig, axes = plt.subplots(3, 1, figsize=(6, 9), gridspec_kw={"height_ratios": [1.4, 9, 1.4]})
annotated_matrix(axes[0], X_KERNEL.reshape(1, -1), "kernel, flattened", cmap="Oranges")
annotated_matrix(
    axes[1],
    patches,
    "im2col: one column per 3×3 patch",
    xlabel="output pixel (row-major)",
    ylabel="kernel entry (i, j)",
)
annotated_matrix(axes[2], as_product.reshape(1, -1), "kernel @ im2col = output", cmap="Greens")
fig.tight_layout()
save_figure(fig, settings.out_dir / "im2col.png")
plt.close(fig)

slide_example = "reproduced number for number" if np.array_equal(out, example.output[0, 0]) else "NOT reproduced"
im2col_result = (
    "giving the same feature map as one matrix product"
    if np.array_equal(as_product, feature_map)
    else "DIFFERING from the convolution"
)
print(
    f"What we saw: the slide's feature map {feature_map.astype(int).tolist()} computed by minidl, the output "
    f"size formula for stride and padding, the slide's 7×7×3 stride-2 example {slide_example}, max-pooling, "
    f"and im2col {im2col_result}."
)
