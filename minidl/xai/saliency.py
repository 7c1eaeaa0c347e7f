"""Saliency maps (Simonyan, Vedaldi & Zisserman, "Deep inside convolutional networks", 2013):
how much a small change of each pixel changes the class score, |∂y_c/∂x|, the maximum over the
colour channels taken per pixel."""
from __future__ import annotations

import numpy as np

from minidl.nn import Module
from minidl.tensor import Tensor
from minidl.xai.targets import Target, check_images, explaining, resolve_targets


def saliency(model: Module, x: np.ndarray, target: Target = None) -> np.ndarray:
    """(N, H, W) maps of max_c |∂y_target/∂x| for images x (N, C, H, W)."""
    images = check_images("saliency", x)
    with explaining(model):
        inputs = Tensor(images, requires_grad=True)
        scores = model(inputs)
        classes = resolve_targets("saliency", scores.data, target)
        # Samples do not interact in evaluation mode, so one backward pass of Σₙ y[n, cₙ] gives
        # every sample's own gradient.
        scores[np.arange(len(classes)), classes].sum().backward()
    return np.abs(inputs.grad).max(axis=1)
