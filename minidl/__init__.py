"""minidl: a deep-learning framework written from scratch on NumPy, for learning.

The public face: tensors and their autograd, gradient checking, seeding, save and load. Layers live in
`minidl.nn`, stateless functions in `minidl.functional`, optimizers in `minidl.optim`.
"""

from minidl.autograd import no_grad
from minidl.gradcheck import GradcheckError, gradcheck
from minidl.io import load, save
from minidl.rng import manual_seed
from minidl.tensor import Tensor, concatenate, maximum, minimum, stack, tensor, where

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "concatenate",
    "gradcheck",
    "load",
    "manual_seed",
    "maximum",
    "minimum",
    "no_grad",
    "save",
    "stack",
    "tensor",
    "where",
]
