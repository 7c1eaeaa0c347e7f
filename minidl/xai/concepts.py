"""Testing with concept activation vectors, TCAV (Kim, Wattenberg, Gilmer, Cai, Wexler, Viégas &
Sayres, "Interpretability beyond feature attribution", ICML 2018): does a class of images depend on
a human concept ("striped", "bright blob") inside one layer of the network?

1. Concept activation vector (CAV): the activations f_l(x) (flattened to D numbers) of images that
   show the concept and of random images are separated by a linear classifier; the CAV v_C is the
   unit normal of its decision boundary, pointing towards the concept.
2. Conceptual sensitivity of one image: the directional derivative of the class score h_k along the
   CAV, S_C,k(x) = ∇h_k(f_l(x)) · v_C.
3. TCAV score: the share of the class's images with S_C,k(x) > 0.
4. Significance: a CAV from random images tells nothing, yet its score is rarely 0.5. So the CAV is
   trained against R ≥ 10 different random sets, and R random-against-random CAVs give the scores
   of no concept; a two-sided Student t-test (minidl/xai/student_t.py) compares the two samples of
   R scores. A concept counts only when p is small.

The linear classifier is an L2-regularised logistic regression, fitted by Nesterov's accelerated
gradient descent on standardised activations and mapped back to the activations' own axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from minidl.blas_threads import one_blas_thread
from minidl.nn import Module
from minidl.xai.gradients import find_layer, layer_activations, layer_gradients
from minidl.xai.student_t import two_sample_t_test
from minidl.xai.targets import Contrast, Target, check_finite, check_images

MIN_RANDOM_SETS = 10
LOGISTIC_ITERATIONS = 500


@dataclass
class ConceptActivationVector:
    vector: np.ndarray  # (D,) unit normal of the boundary, towards the concept
    accuracy: float  # accuracy of the linear classifier on the held-out third of the examples


def logistic_regression(
    X: np.ndarray, y: np.ndarray, l2: float = 0.01, iterations: int = LOGISTIC_ITERATIONS
) -> tuple[np.ndarray, float]:
    """(w (D,), b) minimising mean log(1 + exp(−(2yᵢ − 1)(xᵢ·w + b))) + l2/2 |w|² for labels y ∈ {0, 1},
    by Nesterov's accelerated gradient with step 1/L, L = σ_max(X)² / (4n) + l2 (the gradient's
    Lipschitz constant)."""
    n, d = X.shape
    Xb = np.hstack([X, np.ones((n, 1))])
    step = 1.0 / (np.linalg.norm(Xb, 2) ** 2 / (4 * n) + l2)
    penalty = np.append(np.full(d, l2), 0.0)  # the bias is not penalised
    theta = previous = np.zeros(d + 1)
    with one_blas_thread():  # the same sums on any machine (minidl/blas_threads.py)
        for k in range(iterations):
            look_ahead = theta + (k / (k + 3)) * (theta - previous)
            probability = 0.5 * (1.0 + np.tanh(0.5 * (Xb @ look_ahead)))  # σ(z), without overflow
            gradient = Xb.T @ (probability - y) / n + penalty * look_ahead
            previous, theta = theta, look_ahead - step * gradient
    return theta[:d], float(theta[d])


def unit_vector(vector: np.ndarray) -> np.ndarray | None:
    """vector / |vector|, scaled by its largest entry first so that tiny entries do not underflow
    when squared; None for the zero vector (it has no direction)."""
    largest = np.abs(vector).max()
    if largest == 0:
        return None
    scaled = vector / largest
    return scaled / np.linalg.norm(scaled)


def concept_activation_vector(
    concept_activations: np.ndarray, random_activations: np.ndarray, l2: float = 0.01, seed: int = 0
) -> ConceptActivationVector:
    """The CAV of activations (n_c, D) of concept examples against (n_r, D) of random examples: a
    logistic regression fitted on two thirds of each (a seeded shuffle), scored on the last third."""
    concept = np.asarray(concept_activations, np.float64)
    random = np.asarray(random_activations, np.float64)
    if concept.ndim != 2 or random.ndim != 2 or concept.shape[1] != random.shape[1]:
        raise ValueError(
            f"concept_activation_vector: need activations (n_c, D) and (n_r, D), got {concept.shape} and {random.shape}"
        )
    if len(concept) < 3 or len(random) < 3:
        raise ValueError(
            f"concept_activation_vector: need at least 3 examples of each, got {len(concept)} and {len(random)}"
        )
    check_finite("concept_activation_vector", "the concept activations", concept, ("example", "unit"))
    check_finite("concept_activation_vector", "the random activations", random, ("example", "unit"))
    X = np.vstack([concept, random])
    y = np.concatenate([np.ones(len(concept)), np.zeros(len(random))])
    order = np.random.default_rng(seed).permutation(len(X))
    test = np.zeros(len(X), bool)
    test[order[: len(X) // 3]] = True
    mean, scale = X[~test].mean(axis=0), X[~test].std(axis=0)
    scale[scale == 0] = 1.0  # a unit that never changes carries no direction
    w, b = logistic_regression((X[~test] - mean) / scale, y[~test], l2)
    accuracy = float(np.mean((((X[test] - mean) / scale) @ w + b > 0) == (y[test] == 1)))
    # the same boundary in unstandardised activations: (x − μ)/s · w = x · (w/s) − const
    vector = unit_vector(w / scale)
    if vector is None:
        raise ValueError(
            "concept_activation_vector: the classifier found no direction (all weights 0); are the "
            "concept and random activations identical?"
        )
    return ConceptActivationVector(vector, accuracy)


def activations(model: Module, layer: Module | str, images: np.ndarray) -> np.ndarray:
    """The layer's outputs for images (N, C, H, W), flattened to (N, D) float64."""
    name, module = find_layer("activations", model, layer)
    return layer_activations("activations", model, name, module, check_images("activations", images))


def concept_sensitivities(
    model: Module,
    layer: Module | str,
    images: np.ndarray,
    vector: np.ndarray,
    target: Target = None,
    contrast: Contrast = None,
) -> np.ndarray:
    """S(x) = ∇h(f_l(x)) · v (N,): the directional derivative of the class score (or y_target −
    y_contrast) along the unit vector v (D,) in the layer's flattened activations, for images (N, C, H, W)."""
    op = "concept_sensitivities"
    images = check_images(op, images)
    name, module = find_layer(op, model, layer)
    gradients = layer_gradients(op, model, name, module, images, target, contrast).gradients
    gradients = gradients.reshape(len(images), -1)
    vector = np.asarray(vector, np.float64)
    if vector.shape != (gradients.shape[1],):
        raise ValueError(
            f"{op}: layer {name!r} has {gradients.shape[1]} activations per image, the vector {vector.shape}"
        )
    return gradients @ vector


@dataclass
class TCAVResult:
    score: float  # mean TCAV score over the CAVs against the random sets
    scores: np.ndarray  # (R,) the TCAV score of the concept's CAV against each random set
    random_scores: np.ndarray  # (R,) the TCAV scores of random-against-random CAVs
    cav_accuracies: np.ndarray  # (R,) held-out accuracy of each concept CAV
    t_statistic: float
    p_value: float  # two-sided, Student's t with 2R − 2 degrees of freedom
    sensitivities: np.ndarray  # (R, N) S_C,k(x) of each class image along each concept CAV


def tcav(
    model: Module,
    layer: Module | str,
    class_images: np.ndarray,
    concept_images: np.ndarray,
    random_image_sets: Sequence[np.ndarray],
    target: Target = None,
    contrast: Contrast = None,
    l2: float = 0.01,
    seed: int = 0,
) -> TCAVResult:
    """TCAV of a concept for the class `target` (None: each class image's top class) at a layer.
    class_images (N, C, H, W) are examples of the class; concept_images (n_c, C, H, W) show the
    concept; random_image_sets R ≥ 10 arrays of random images. The concept's CAV is trained against
    each random set i; the null CAVs set i (as if it were a concept) against set i + 1 (mod R)."""
    op = "tcav"
    if len(random_image_sets) < MIN_RANDOM_SETS:
        raise ValueError(
            f"{op}: the significance test needs at least {MIN_RANDOM_SETS} random image sets, got "
            f"{len(random_image_sets)}"
        )
    name, module = find_layer(op, model, layer)
    class_images = check_images(op, class_images)
    concept = layer_activations(op, model, name, module, check_images(op, concept_images))
    randoms = [layer_activations(op, model, name, module, check_images(op, images)) for images in random_image_sets]
    gradients = layer_gradients(op, model, name, module, class_images, target, contrast).gradients
    gradients = gradients.reshape(len(class_images), -1)
    count = len(randoms)
    concept_cavs = [concept_activation_vector(concept, randoms[i], l2, seed + i) for i in range(count)]
    null_cavs = [concept_activation_vector(randoms[i], randoms[(i + 1) % count], l2, seed + i) for i in range(count)]
    sensitivities = np.stack([gradients @ cav.vector for cav in concept_cavs])
    scores = (sensitivities > 0).mean(axis=1)
    random_scores = np.array([np.mean(gradients @ cav.vector > 0) for cav in null_cavs])
    test = two_sample_t_test(scores, random_scores)
    return TCAVResult(
        float(scores.mean()),
        scores,
        random_scores,
        np.array([cav.accuracy for cav in concept_cavs]),
        test.statistic,
        test.p_value,
        sensitivities,
    )
