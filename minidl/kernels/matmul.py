"""Matrix products on the fast path: the reading path's Linear and MatMul (minidl/ops/linear.py,
minidl/ops/matmul.py), their products held to one BLAS thread.

OpenBLAS splits some products along their sums when it runs them on several threads, so the same
product can round differently with one BLAS thread and with two; and its threads spin for a while
after each call, beside minidl's workers. Held to one thread, a product's result depends on its
operands alone (workers.py says more).
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Context
from minidl.kernels.workers import one_blas_thread
from minidl.ops.linear import Linear as ReferenceLinear
from minidl.ops.matmul import MatMul as ReferenceMatMul


class Linear(ReferenceLinear):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        with one_blas_thread():
            return ReferenceLinear.forward(ctx, x, weight, bias)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        with one_blas_thread():
            return ReferenceLinear.backward(ctx, grad)


class MatMul(ReferenceMatMul):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with one_blas_thread():
            return ReferenceMatMul.forward(ctx, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        with one_blas_thread():
            return ReferenceMatMul.backward(ctx, grad)
