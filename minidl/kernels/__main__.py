"""`python -m minidl.kernels`: which algorithm computes each convolution of the lessons' models, and why.

For LeNet-5 and the AlexNet-style network on 28×28 digits and the U-Net of the segmentation workshop
on 64×64 phantoms, one forward pass of a batch of `--batch` images records every Conv2d's input
shape, and conv2d_path (seam.py) says the path it takes in float32. Also which kernels and how many
workers run now (MINIDL_KERNELS, MINIDL_WORKERS).
"""

from __future__ import annotations

import argparse

import numpy as np

import minidl
from minidl.kernels.backend import kernel_backend
from minidl.kernels.seam import conv2d_path
from minidl.kernels.workers import worker_count
from minidl.nn import Conv2d, Module


def convolution_inputs(model: Module, image_shape: tuple[int, ...], batch: int) -> list[tuple[str, Conv2d, tuple]]:
    """(name, layer, input shape) of every Conv2d of `model`, in the order a forward pass meets them."""
    seen: list[tuple[str, Conv2d, tuple]] = []

    def record(name: str):
        return lambda module, inputs, output: seen.append((name, module, inputs[0].shape))

    handles = [
        layer.register_forward_hook(record(name)) for name, layer in model.named_modules() if isinstance(layer, Conv2d)
    ]
    try:
        with minidl.no_grad():
            model.eval()(minidl.tensor(np.zeros((batch, *image_shape), np.float32)))
    finally:
        for handle in handles:
            handle.remove()
    return seen


def lesson_models() -> dict[str, tuple[Module, tuple[int, int, int]]]:
    from minidl.models import AlexNetMini, LeNet5, UNet

    return {
        "LeNet-5, 28×28 digits": (LeNet5(), (1, 28, 28)),
        "AlexNet-style, 28×28 digits": (AlexNetMini(), (1, 28, 28)),
        "U-Net of the segmentation workshop, 64×64 phantoms": (UNet(base_channels=8, depth=2), (1, 64, 64)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minidl.kernels", description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64, help="images per batch (the path does not depend on it)")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    if kernel_backend() == "numpy":
        print("kernels: numpy (MINIDL_KERNELS): the reading path alone, on the calling thread")
    else:
        print(f"kernels: numba (MINIDL_KERNELS), workers: {worker_count()} (MINIDL_WORKERS)")
    for title, (model, image_shape) in lesson_models().items():
        print(f"\n{title}")
        for name, layer, x_shape in convolution_inputs(model, image_shape, args.batch):
            path, reason = conv2d_path(
                x_shape, layer.weight.shape, layer.stride, layer.padding, layer.dilation, layer.groups, "float32"
            )
            print(f"  {name:<22} {str(tuple(x_shape)):<18} {path:<9} {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
