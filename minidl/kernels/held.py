"""The reading path's products on one BLAS thread: Linear, MatMul and the transposed convolution
(minidl/ops/linear.py, matmul.py, convolution.py), computed exactly as written there.

OpenBLAS splits some products along their sums when it runs them on several threads, so the same
product can round differently with one BLAS thread and with two; and its threads spin for a while
after each call, beside minidl's workers, which then wait for a core. Held to one thread, a
product's result depends on its operands alone (workers.py says more).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.autograd import Context, Function
from minidl.blas_threads import one_blas_thread
from minidl.ops.convolution import TransposedConvolution2d
from minidl.ops.linear import Linear
from minidl.ops.matmul import MatMul


def held_to_one_blas_thread(reference: type[Function]) -> type[Function]:
    """A Function of the same name whose forward and backward are reference's, BLAS at one thread."""

    class Held(reference):
        @staticmethod
        def forward(ctx: Context, *arrays: np.ndarray, **params: Any) -> np.ndarray:
            with one_blas_thread():
                return reference.forward(ctx, *arrays, **params)

        @staticmethod
        def backward(ctx: Context, grad: np.ndarray) -> Any:
            with one_blas_thread():
                return reference.backward(ctx, grad)

    Held.__name__ = Held.__qualname__ = reference.__name__
    Held.__doc__ = f"{reference.__name__} of minidl.ops, its products on one BLAS thread."
    return Held


HELD = {reference: held_to_one_blas_thread(reference) for reference in (Linear, MatMul, TransposedConvolution2d)}
