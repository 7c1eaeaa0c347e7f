"""Saliency maps (Simonyan, Vedaldi & Zisserman, "Deep inside convolutional networks", 2013):
how much a small change of each pixel changes the class score, |∂y_c/∂x|, the maximum over the
colour channels taken per pixel."""

from __future__ import annotations

import numpy as np

from minidl.nn import Module
from minidl.xai.gradients import input_gradients
from minidl.xai.targets import Contrast, Target, check_images


def saliency(model: Module, x: np.ndarray, target: Target = None, contrast: Contrast = None) -> np.ndarray:
    """(N, H, W) maps of max_c |∂y_target/∂x| for images x (N, C, H, W); with a contrast class c′
    the score is y_target − y_c′."""
    images = check_images("saliency", x)
    gradients, _, _ = input_gradients("saliency", model, images, target, contrast)
    return np.abs(gradients).max(axis=1).astype(images.dtype)
