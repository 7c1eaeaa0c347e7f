"""Explanations of image classifiers, written from the papers in NumPy and minidl:

- saliency (Simonyan, Vedaldi & Zisserman 2013): the gradient of the class score per pixel;
- GradCAM (Selvaraju et al. 2017) and GradCAMPlusPlus (Chattopadhyay et al. 2018): where a
  convolutional layer's evidence for the class lies;
- CAM (Zhou et al. 2016), the map Grad-CAM generalises, for networks that end in global average
  pooling and one linear layer: there the map is part of the network's own computation;
- Integrated Gradients (Sundararajan, Taly & Yan 2017) and SmoothGrad (Smilkov et al. 2017);
- LIME for images (Ribeiro, Singh & Guestrin 2016) on grid superpixels, with a hand-written
  weighted ridge regression;
- Anchors (Ribeiro, Singh & Guestrin 2018) on the same superpixels: the cells that, kept, keep the
  prediction with a stated precision, found by beam search with the KL-LUCB bandit;
- Shapley values of superpixels, exact (K ≤ 16) and by Kernel SHAP (Lundberg & Lee 2017), and of
  a layer's filters for the model's accuracy, Neuron Shapley (Ghorbani & Zou 2020);
- concept attribution: TCAV (Kim et al. 2018) and regression concept vectors (Graziani et al. 2020);
- measures of explanations: deletion and insertion curves (Petsiuk, Das & Saenko 2018) and the
  model-randomisation sanity check (Adebayo et al. 2018).

Targets follow one rule everywhere: None explains each sample's top class, an int the same class
for every sample, a sequence one class per sample. Scores are the model's raw outputs (logits);
the gradient methods take a contrast class c′ too (contrast=…, or "runner_up"), to explain
y_c − y_c′, the log-odds of c against c′. Every explainer refuses NaN and infinite images and
scores with a ValueError saying where they were.
"""

from minidl.xai.anchors import AnchorExplainer, AnchorExplanation, held_out_precision
from minidl.xai.cam import CAM, CAMExplanation
from minidl.xai.concepts import (
    ConceptActivationVector,
    TCAVResult,
    activations,
    concept_activation_vector,
    concept_sensitivities,
    tcav,
)
from minidl.xai.evaluation import (
    deletion_auc,
    deletion_curve,
    insertion_auc,
    insertion_curve,
    randomisation_check,
    spearman,
)
from minidl.xai.gradcam import GradCAM, GradCAMPlusPlus
from minidl.xai.integrated_gradients import integrated_gradients
from minidl.xai.kernel_shap import KernelShapExplainer
from minidl.xai.lime import LimeExplanation, LimeImageExplainer, weighted_ridge
from minidl.xai.neuron_shapley import NeuronShapley, NeuronShapleyValues
from minidl.xai.perturbation import grid_segments
from minidl.xai.regression_concepts import (
    R2PermutationTest,
    RegressionConceptVector,
    bidirectional_relevance,
    r2_permutation_test,
    regression_concept_vector,
)
from minidl.xai.resize import resize_bilinear
from minidl.xai.saliency import saliency
from minidl.xai.shapley import ShapleyExplanation, shapley_values
from minidl.xai.smoothgrad import smoothgrad
from minidl.xai.student_t import two_sample_t_test

__all__ = [
    "AnchorExplainer",
    "AnchorExplanation",
    "CAM",
    "CAMExplanation",
    "ConceptActivationVector",
    "GradCAM",
    "GradCAMPlusPlus",
    "KernelShapExplainer",
    "LimeExplanation",
    "LimeImageExplainer",
    "NeuronShapley",
    "NeuronShapleyValues",
    "R2PermutationTest",
    "RegressionConceptVector",
    "ShapleyExplanation",
    "TCAVResult",
    "activations",
    "bidirectional_relevance",
    "concept_activation_vector",
    "concept_sensitivities",
    "deletion_auc",
    "deletion_curve",
    "grid_segments",
    "held_out_precision",
    "insertion_auc",
    "insertion_curve",
    "integrated_gradients",
    "r2_permutation_test",
    "randomisation_check",
    "regression_concept_vector",
    "resize_bilinear",
    "saliency",
    "shapley_values",
    "smoothgrad",
    "spearman",
    "tcav",
    "two_sample_t_test",
    "weighted_ridge",
]
