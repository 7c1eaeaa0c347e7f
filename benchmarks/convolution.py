"""Conv2d and max-pool, forward + backward, at LeNet (MNIST) and CIFAR sizes: minidl with its
fast path, minidl on its reading path alone (MINIDL_KERNELS=numpy), naive Python loops (tiny size only) and
PyTorch on the CPU. Also how close the convolution's GEMM comes to NumPy's best matmul speed.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import numpy as np

import minidl
import minidl.functional as F
from benchmarks.timing import interleaved_timings
from benchmarks.torch_twin import import_torch
from minidl.kernels import use_kernels
from minidl.ops.im2col import im2col
from minidl.ops.window import Window


class ConvCase(NamedTuple):
    batch: int
    in_channels: int
    size: int
    out_channels: int
    kernel: int
    padding: int

    @property
    def name(self) -> str:
        return (
            f"conv2d ({self.batch},{self.in_channels},{self.size},{self.size}) "
            f"k{self.kernel} p{self.padding} -> {self.out_channels}"
        )


CASES = (
    ConvCase(4, 1, 12, 6, 5, 2),  # tiny: the only size the naive loops can do in reasonable time
    ConvCase(64, 1, 28, 6, 5, 2),  # LeNet conv1 on MNIST
    ConvCase(64, 6, 14, 16, 5, 0),  # LeNet conv2
    ConvCase(32, 16, 32, 32, 3, 1),
)  # a CIFAR-sized 3×3 layer
POOL_SHAPE = (64, 6, 28, 28)


def naive_conv2d_forward_backward(x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: int) -> None:
    """The convolution as the slide draws it: one window at a time, then its gradient the same way."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, height, width = x_pad.shape
    out_channels, _, k, _ = w.shape
    out = np.empty((n, out_channels, height - k + 1, width - k + 1))
    for i in range(n):
        for o in range(out_channels):
            for y in range(out.shape[2]):
                for x_ in range(out.shape[3]):
                    out[i, o, y, x_] = np.sum(x_pad[i, :, y : y + k, x_ : x_ + k] * w[o]) + b[o]
    grad_out = np.ones_like(out)  # the gradient of out.sum()
    grad_w, grad_x = np.zeros_like(w), np.zeros_like(x_pad)
    for i in range(n):
        for o in range(out_channels):
            for y in range(out.shape[2]):
                for x_ in range(out.shape[3]):
                    grad_w[o] += grad_out[i, o, y, x_] * x_pad[i, :, y : y + k, x_ : x_ + k]
                    grad_x[i, :, y : y + k, x_ : x_ + k] += grad_out[i, o, y, x_] * w[o]


def _minidl_step(backend: str, x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: int) -> Callable[[], None]:
    X, W, B = (minidl.tensor(a, requires_grad=True) for a in (x, w, b))

    def step() -> None:
        X.grad = W.grad = B.grad = None
        with use_kernels(backend):
            F.conv2d(X, W, B, padding=padding).sum().backward()

    return step


def _torch_step(torch, x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: int) -> Callable[[], None]:
    X, W, B = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def step() -> None:
        X.grad = W.grad = B.grad = None
        torch.nn.functional.conv2d(X, W, B, padding=padding).sum().backward()

    return step


def _gemm_gflops(case: ConvCase, x: np.ndarray, w: np.ndarray, repeats: int) -> float:
    """GFLOP/s of the forward GEMMs W @ cols[n] alone, one per image (2·N·O·C·kh·kw·OH·OW flops)."""
    cols = im2col(x, Window((case.kernel, case.kernel), (1, 1), (case.padding, case.padding)))
    flat_weight = w.reshape(case.out_channels, -1)
    seconds = interleaved_timings({"gemm": lambda: flat_weight @ cols}, repeats)["seconds"]["gemm"]
    return 2 * cols.size * case.out_channels / seconds / 1e9


def numpy_matmul_gflops(repeats: int, size: int = 1024) -> float:
    """NumPy's own float32 matmul speed on a square problem: the machine's practical ceiling."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    seconds = interleaved_timings({"matmul": lambda: a @ b}, repeats)["seconds"]["matmul"]
    return 2 * size**3 / seconds / 1e9


def run(repeats: int) -> list[dict[str, object]]:
    torch = import_torch()
    rng = np.random.default_rng(0)
    rows = []
    for case in CASES:
        x = rng.standard_normal((case.batch, case.in_channels, case.size, case.size)).astype(np.float32)
        w_shape = (case.out_channels, case.in_channels, case.kernel, case.kernel)
        w = (rng.standard_normal(w_shape) * 0.1).astype(np.float32)
        b = rng.standard_normal(case.out_channels).astype(np.float32)
        candidates = {
            "minidl": _minidl_step("numba", x, w, b, case.padding),
            "minidl (reading path)": _minidl_step("numpy", x, w, b, case.padding),
        }
        if case.batch * case.size**2 <= 1024:
            candidates["naive loops"] = functools.partial(naive_conv2d_forward_backward, x, w, b, case.padding)
        if torch is not None:
            candidates["PyTorch"] = _torch_step(torch, x, w, b, case.padding)
        rows.append(
            {
                "suite": "convolution",
                "case": case.name + ", forward+backward",
                **interleaved_timings(candidates, repeats),
                "notes": {"gemm_gflops": round(_gemm_gflops(case, x, w, repeats), 1)},
            }
        )

    x = rng.standard_normal(POOL_SHAPE).astype(np.float32)
    candidates = {}
    for backend, label in (("numba", "minidl"), ("numpy", "minidl (reading path)")):
        X = minidl.tensor(x, requires_grad=True)
        candidates[label] = lambda X=X, backend=backend: _max_pool_step(X, backend)
    if torch is not None:
        tX = torch.tensor(x, requires_grad=True)

        def torch_step() -> None:
            tX.grad = None
            torch.nn.functional.max_pool2d(tX, 2).sum().backward()

        candidates["PyTorch"] = torch_step
    rows.append(
        {
            "suite": "convolution",
            "case": f"max_pool2d {POOL_SHAPE} k2, forward+backward",
            **interleaved_timings(candidates, repeats),
        }
    )
    return rows


def _max_pool_step(X: minidl.Tensor, backend: str) -> None:
    X.grad = None
    with use_kernels(backend):
        F.max_pool2d(X, 2).sum().backward()
