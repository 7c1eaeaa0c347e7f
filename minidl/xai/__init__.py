"""Explanations of image classifiers, written from the papers in NumPy and minidl:

- saliency (Simonyan, Vedaldi & Zisserman 2013): the gradient of the class score per pixel;
- GradCAM (Selvaraju et al. 2017) and GradCAMPlusPlus (Chattopadhyay et al. 2018): where a
  convolutional layer's evidence for the class lies;
- LIME for images (Ribeiro, Singh & Guestrin 2016) on grid superpixels, with a hand-written
  weighted ridge regression;
- measures of explanations: deletion and insertion curves (Petsiuk, Das & Saenko 2018) and the
  model-randomisation sanity check (Adebayo et al. 2018).

Targets follow one rule everywhere: None explains each sample's top class, an int the same class
for every sample, a sequence one class per sample. Scores are the model's raw outputs (logits).
"""
from minidl.xai.evaluation import (deletion_auc, deletion_curve, insertion_auc, insertion_curve, randomisation_check,
                                   spearman)
from minidl.xai.gradcam import GradCAM, GradCAMPlusPlus
from minidl.xai.lime import LimeExplanation, LimeImageExplainer, weighted_ridge
from minidl.xai.perturbation import grid_segments
from minidl.xai.resize import resize_bilinear
from minidl.xai.saliency import saliency

__all__ = ["GradCAM", "GradCAMPlusPlus", "LimeExplanation", "LimeImageExplainer", "deletion_auc", "deletion_curve",
           "grid_segments", "insertion_auc", "insertion_curve", "randomisation_check", "resize_bilinear", "saliency",
           "spearman", "weighted_ridge"]
