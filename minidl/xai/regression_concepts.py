"""Regression concept vectors (Graziani, Andrearczyk & Müller, "Regression concept vectors for
bidirectional explanations in histopathology", iMIMIC 2018; Graziani et al., "Concept attribution:
explaining CNN decisions to physicians", Computers in Biology and Medicine 2020).

TCAV needs concepts that an image has or has not; many medical concepts are measures — the area of
a tumour, the contrast of its border, the texture of nuclei. A regression concept vector (RCV):

1. regress the concept measure c(x) on the layer's activations f_l(x) (flattened) with a linear
   (here ridge) regression; its R² on held-out examples says whether the layer encodes the measure
   at all;
2. the RCV is the unit vector of the regression coefficients: the direction in which the measure grows;
3. sensitivity of one image: S(x) = ∇h_k(f_l(x)) · v, the change of the class score when the
   activations move towards more of the concept (concept_sensitivities in minidl/xai/concepts.py);
4. the bidirectional relevance over a set of images (Graziani et al. 2018):
   Br = R² · μ(S) / σ(S), R² the regression's coefficient of determination and μ, σ the mean and
   standard deviation of the sensitivities: large and positive when the layer encodes the concept
   well and the score rises with it consistently, negative when it falls, near 0 when the
   sensitivities disagree in sign. The paper does not clip R². minidl uses the held-out R², which
   falls below 0 when the regression predicts worse than the mean, and a negative R² would turn the
   sign of Br around; so minidl (not the paper) sets Br = max(R², 0) · μ(S) / σ(S). Br is therefore
   exactly 0 for every concept whose held-out R² is ≤ 0 and cannot say whether a concept is encoded:
   that is R²'s job, and r2_permutation_test says whether an R² is more than a regression finds in
   the same measures shuffled across the images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minidl.xai.concepts import unit_vector
from minidl.xai.lime import weighted_ridge
from minidl.xai.targets import check_finite


@dataclass
class RegressionConceptVector:
    vector: np.ndarray  # (D,) unit vector of the regression coefficients
    r2: float  # coefficient of determination on the held-out third
    train_r2: float  # on the examples it was fitted to
    coef: np.ndarray  # (D,) the regression's coefficients
    intercept: float


def _r2(y: np.ndarray, fitted: np.ndarray) -> float:
    total = np.sum((y - y.mean()) ** 2)
    return float(1.0 - np.sum((y - fitted) ** 2) / total) if total > 0 else 0.0


def regression_concept_vector(
    activations: np.ndarray, measures: np.ndarray, alpha: float = 1.0, seed: int = 0
) -> RegressionConceptVector:
    """The RCV of a concept measure (N,) in activations (N, D): a ridge regression (penalty alpha)
    fitted on two thirds of the examples (a seeded shuffle), its R² measured on the last third."""
    X, y = np.asarray(activations, np.float64), np.asarray(measures, np.float64)
    if X.ndim != 2 or y.shape != (len(X),) or len(X) < 6:
        raise ValueError(
            f"regression_concept_vector: need activations (N, D) and one measure per example (N,), "
            f"N >= 6, got {X.shape} and {y.shape}"
        )
    check_finite("regression_concept_vector", "the activations", X, ("example", "unit"))
    check_finite("regression_concept_vector", "the concept measures", y, ("example",))
    order = np.random.default_rng(seed).permutation(len(X))
    test, train = order[: len(X) // 3], order[len(X) // 3 :]
    coef, intercept = weighted_ridge(X[train], y[train], np.ones(len(train)), alpha)
    vector = unit_vector(coef)
    if vector is None:
        raise ValueError(
            "regression_concept_vector: the regression found no direction (all coefficients 0); "
            "is the concept measure constant?"
        )
    return RegressionConceptVector(
        vector, _r2(y[test], X[test] @ coef + intercept), _r2(y[train], X[train] @ coef + intercept), coef, intercept
    )


def bidirectional_relevance(r2: float, sensitivities: np.ndarray) -> float:
    """Br = max(R², 0) · μ(S) / σ(S) for sensitivities S (N,), σ the population standard deviation.

    Graziani et al. 2018 define Br = R² · μ(S) / σ(S); the clipping of R² at 0 is minidl's (a
    held-out R² below 0 would flip Br's sign), so Br = 0 whenever R² ≤ 0, whatever S: judge whether
    the concept is encoded by R² (r2_permutation_test), not by Br. Equal sensitivities (a layer
    followed by a linear head has one gradient for all images) give ±inf when R² > 0, and 0 when
    they are 0 or R² ≤ 0."""
    sensitivities = np.asarray(sensitivities, np.float64).ravel()
    if len(sensitivities) < 2:
        raise ValueError(f"bidirectional_relevance: need at least 2 sensitivities, got {len(sensitivities)}")
    check_finite("bidirectional_relevance", "the sensitivities", sensitivities, ("example",))
    spread = sensitivities.std()
    if spread == 0:
        return 0.0 if r2 <= 0 or sensitivities[0] == 0 else float(np.sign(sensitivities[0]) * np.inf)
    return float(max(r2, 0.0) * sensitivities.mean() / spread)


@dataclass
class R2PermutationTest:
    r2: float  # held-out R² of the regression on the measures as given
    shuffled_r2: np.ndarray  # (P,) held-out R² of the same regression on the measures shuffled across examples
    p_value: float  # (1 + #{shuffled_r2 >= r2}) / (1 + P)


def r2_permutation_test(
    activations: np.ndarray,
    measures: np.ndarray,
    alpha: float = 1.0,
    seed: int = 0,
    permutations: int = 50,
    shuffle_seed: int = 1,
) -> R2PermutationTest:
    """Is a concept measure (N,) encoded in activations (N, D) beyond chance? The held-out R² of
    regression_concept_vector (same alpha and seed: the same split) against its R² on `permutations`
    shuffles of the measures, which keep their values but break any link to the images. The p-value
    (1 + k) / (1 + P), k the shuffles that reach the observed R², is the permutation test's
    (Phipson & Smyth 2010: it never claims p = 0 from a finite sample); it cannot go below
    1 / (1 + P)."""
    if permutations < 1:
        raise ValueError(f"r2_permutation_test: need at least 1 permutation, got {permutations}")
    measures = np.asarray(measures, np.float64)
    r2 = regression_concept_vector(activations, measures, alpha, seed).r2
    rng = np.random.default_rng(shuffle_seed)
    shuffled = np.array(
        [regression_concept_vector(activations, rng.permutation(measures), alpha, seed).r2 for _ in range(permutations)]
    )
    return R2PermutationTest(r2, shuffled, float((1 + np.sum(shuffled >= r2)) / (1 + permutations)))
