"""Anchors and its KL-LUCB bandit: the KL confidence bounds against closed forms and their defining
equation, KL-LUCB on arms of known means, and the anchor of a synthetic model whose rule is known —
found exactly, precise on fresh perturbations, minimal, the same for the same seed."""

import numpy as np
import pytest

from minidl.xai import AnchorExplainer, held_out_precision
from minidl.xai.kl_lucb import bernoulli_kl, exploration_rate, kl_lower_bound, kl_lucb, kl_upper_bound

pytestmark = pytest.mark.xai

RULE = (3, 7)
GUARDS = [0, 1, 2, 4, 5]  # the rule fails when all of these are hidden: precision 1 − 2⁻⁵ = 31/32
IMAGE = np.arange(1.0, 17.0).reshape(1, 4, 4)  # 16 one-pixel cells, none of them 0 (the hide colour)


def predict(batch):
    """Class 1 iff cells 3 and 7 are kept, unless cells 0, 1, 2, 4 and 5 are all hidden; else class 0."""
    kept = batch[:, 0].reshape(len(batch), -1) != 0
    yes = kept[:, list(RULE)].all(axis=1) & kept[:, GUARDS].any(axis=1)
    return np.stack([~yes, yes], axis=1).astype(np.float64)


def explain(seed=0, **kwargs):
    return AnchorExplainer(beam_width=1).explain(IMAGE, predict, cell_size=1, hide_color=0.0, seed=seed, **kwargs)


def fresh_precision(anchor, samples=20_000, seed=123):
    """prec(A) on fresh samples of D(·|A), none of which the search saw."""
    kept = np.random.default_rng(seed).integers(0, 2, (samples, 16))
    kept[:, list(anchor)] = 1
    return float((predict(np.where(kept.reshape(-1, 1, 4, 4) == 1, IMAGE, 0.0)).argmax(axis=1) == 1).mean())


# ----- the KL bounds ----------------------------------------------------------------------------
def test_kl_bounds_at_the_ends_have_closed_forms():
    level = np.array([0.01, 0.3, 2.0])
    # d(1, q) = −log q and d(0, q) = −log(1 − q): L(1) = e^−level, U(0) = 1 − e^−level
    np.testing.assert_allclose(kl_lower_bound(1.0, level), np.exp(-level), rtol=1e-10)
    np.testing.assert_allclose(kl_upper_bound(0.0, level), 1 - np.exp(-level), rtol=1e-10)
    np.testing.assert_array_equal(kl_upper_bound(1.0, level), 1.0)
    np.testing.assert_array_equal(kl_lower_bound(0.0, level), 0.0)
    assert bernoulli_kl(0.5, 0.5) == 0 and bernoulli_kl(0.3, 0.6) == pytest.approx(
        0.3 * np.log(0.3 / 0.6) + 0.7 * np.log(0.7 / 0.4)
    )


@pytest.mark.parametrize("mean", [0.05, 0.5, 0.9, 0.97])
@pytest.mark.parametrize("level", [0.001, 0.05, 0.4])
def test_kl_bounds_solve_their_defining_equation_inside_hoeffdings_interval(mean, level):
    upper, lower = float(kl_upper_bound(mean, level)), float(kl_lower_bound(mean, level))
    assert lower < mean < upper < 1
    assert bernoulli_kl(mean, upper) == pytest.approx(level, rel=1e-6)
    if lower > 0:
        assert bernoulli_kl(mean, lower) == pytest.approx(level, rel=1e-6)
    # Pinsker, d(p, q) ≥ 2 (p − q)²: the KL interval lies inside Hoeffding's p ± sqrt(level / 2)
    assert upper <= mean + np.sqrt(level / 2) and lower >= mean - np.sqrt(level / 2)


def test_kl_lucb_finds_the_best_arms_and_samples_the_clear_losers_least():
    means = np.array([0.3, 0.92, 0.1, 0.85, 0.5])
    rng = np.random.default_rng(0)
    positives, counts = rng.binomial(20, means).astype(float), np.full(5, 20.0)

    def pull(arm):
        won = rng.binomial(20, means[arm])
        positives[arm], counts[arm] = positives[arm] + won, counts[arm] + 20
        return won, 20

    chosen = kl_lucb(positives.copy(), counts.copy(), pull, top=2, epsilon=0.05, delta=0.05)
    np.testing.assert_array_equal(chosen, [1, 3])
    assert counts[2] < counts[4] and counts[2] < counts[3]  # 0.1 is out at once; 0.5 and 0.85 take longer
    assert exploration_rate(5, 10, 0.05) > exploration_rate(5, 1, 0.05) > np.log(1 / 0.05)


# ----- the anchor of a known rule --------------------------------------------------------------
def test_the_anchor_of_a_known_rule_is_found_exactly_precise_on_fresh_samples_and_minimal():
    explanation = explain(class_names=["no", "yes"])
    assert explanation.anchor == RULE and explanation.valid and explanation.target == 1
    assert explanation.precision >= 0.95 and explanation.precision_lower >= 0.90
    assert (
        explanation.rule == f"if cells 3 and 7 are kept, the model says yes with precision {explanation.precision:.2f}"
    )
    assert fresh_precision(RULE) == pytest.approx(31 / 32, abs=0.005)
    assert fresh_precision(RULE) >= 0.95
    measured = held_out_precision(explanation, IMAGE, predict, hide_color=0.0, num_samples=4000, seed=1)
    assert measured == pytest.approx(31 / 32, abs=0.01)
    for dropped in RULE:  # without either cell, the rule holds half as often
        assert fresh_precision(tuple(c for c in RULE if c != dropped)) < 0.5
    assert explanation.coverage == pytest.approx(0.25, abs=0.02)  # both cells kept by fair coins
    mask = explanation.mask()
    assert mask.sum() == 2 and mask.ravel()[list(RULE)].tolist() == [1, 1]


def test_the_search_is_the_same_for_the_same_seed_and_draws_anew_for_another():
    first, again, other = explain(seed=4), explain(seed=4), explain(seed=5)
    assert (first.anchor, first.precision, first.coverage, first.samples) == (
        again.anchor,
        again.precision,
        again.coverage,
        again.samples,
    )
    assert other.anchor == RULE and (other.precision, other.samples) != (first.precision, first.samples)


def test_a_wider_beam_finds_the_same_anchor_and_a_model_that_never_changes_its_mind_gets_the_empty_one():
    wide = AnchorExplainer(beam_width=3, epsilon=0.2).explain(IMAGE, predict, cell_size=1, hide_color=0.0, seed=0)
    assert wide.anchor == RULE
    constant = AnchorExplainer().explain(IMAGE, lambda b: np.tile([0.0, 1.0], (len(b), 1)), cell_size=1, seed=0)
    assert constant.anchor == () and constant.coverage == 1.0 and constant.valid
    assert constant.rule.startswith("whatever cells are kept, the model says 1 with precision 1.00")


def test_no_valid_anchor_below_the_size_limit_is_said_so():
    capped = explain(max_anchor_size=1)
    assert not capped.valid and len(capped.anchor) == 1 and capped.anchor[0] in RULE and capped.precision < 0.95


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"precision": 0.0}, ["precision must lie in (0, 1)", "0.0"]),
        ({"precision": 1.0}, ["precision must lie in (0, 1)"]),
        ({"precision": 0.03}, ["tolerance 0.05 must be below the precision 0.03"]),
        ({"cell_size": 9}, ["larger than the image"]),
        ({"cell_size": 0}, ["cell_size", "positive"]),
        ({"class_names": ["only one"]}, ["name the model's 2 classes, got 1"]),
        ({"max_anchor_size": 17}, ["max_anchor_size", "[1, 16]"]),
        ({"batch_size": 0}, ["batch_size must be an int >= 1"]),
    ],
)
def test_bad_input_is_refused(kwargs, words):
    with pytest.raises(ValueError) as caught:
        AnchorExplainer().explain(IMAGE, predict, **{"cell_size": 1, **kwargs})
    for word in words:
        assert word in str(caught.value)


def test_bad_images_predictions_and_settings_are_refused():
    with pytest.raises(ValueError, match=r"Anchors: image must be floating-point \(C, H, W\), got float64 \(4, 4\)"):
        AnchorExplainer().explain(IMAGE[0], predict, cell_size=1)
    with pytest.raises(ValueError, match="must return scores"):
        AnchorExplainer().explain(IMAGE, lambda b: np.zeros(len(b)), cell_size=1)
    for kwargs in ({"beam_width": 0}, {"delta": 1.0}, {"epsilon": 0.0}, {"tolerance": -0.1}):
        with pytest.raises(ValueError, match="AnchorExplainer: "):
            AnchorExplainer(**kwargs)
