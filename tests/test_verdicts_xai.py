"""The XAI lessons' verdicts (shapley, concepts) follow their numbers: each threshold from both sides."""

import pytest

from lessons.verdicts import (
    concept_verdict,
    control_concept_verdict,
    convergence_verdict,
    filter_removal_verdict,
    missed_effect_verdict,
    relevance_verdict,
)

pytestmark = pytest.mark.lessons


def test_convergence_verdict():
    assert "fell at every step, from 0.5 at 10 coalitions to 0.05 at 1000" in convergence_verdict(
        [10, 100, 1000], [0.5, 0.2, 0.05], 1e-13
    )
    assert "did not fall at every step" in convergence_verdict([10, 100, 1000], [0.5, 0.6, 0.05], 1e-13)
    assert "equals the exact values" in convergence_verdict([10, 100], [0.5, 0.2], 1e-11)
    assert "something is wrong" in convergence_verdict([10, 100], [0.5, 0.2], 1e-9)


@pytest.mark.parametrize(
    "full, top, random, words",
    [
        (0.98, 0.40, 0.95, "a few filters carry the model"),
        (0.98, 0.50, 0.95, "the gap is not the dramatic one"),
        (0.98, 0.40, 0.78, "the gap is not the dramatic one"),
        (0.98, 0.96, 0.95, "did not single out"),
    ],
)
def test_filter_removal_verdict(full, top, random, words):
    assert words in filter_removal_verdict(full, top, random, removed=3)


def test_concept_verdict():
    assert "'snow' is significant (TCAV score 0.90, p = 0.001): moving towards it raises" in concept_verdict(
        "snow", 0.9, 0.001
    )
    assert "lowers" in concept_verdict("grass", 0.1, 0.001)
    assert "'grass' is not significant" in concept_verdict("grass", 0.1, 0.05)


def test_control_concept_verdict():
    # The verdict rests on the permutation test of R², not on Br (which is 0 whenever R² <= 0).
    assert "'random' is not encoded (held-out R² 0.02, p = 0.6 against 50 shuffles of it)" in (
        control_concept_verdict("random", 0.02, 0.6, 50)
    )
    assert "is not encoded" in control_concept_verdict("random", 0.15, 0.05, 50)
    assert "IS encoded (held-out R² 0.15, p = 0.049" in control_concept_verdict("random", 0.15, 0.049, 50)
    assert "held-out R² 0.00," in control_concept_verdict("random", -0.001, 0.9, 50)  # no "-0.00"


def test_relevance_verdict():
    assert "does not encode 'size' (held-out R² 0.05)" in relevance_verdict("size", 0.05, 3.0, "score")
    assert "encodes 'size' (R² 0.50) but the score does not follow it (Br 0.05)" in relevance_verdict(
        "size", 0.5, 0.05, "score"
    )
    assert "the score rises along 'size' (R² 0.50, Br 0.40)" in relevance_verdict("size", 0.5, 0.4, "score")
    assert "the score falls along 'size'" in relevance_verdict("size", 0.5, -0.4, "score")


@pytest.mark.parametrize(
    "p_value, effect, missed",
    [
        (0.51, 38.0, True),
        (0.51, 1.01, True),
        (0.51, 1.0, False),
        (0.51, -5.0, True),
        (0.049, 38.0, False),
    ],
)
def test_missed_effect_verdict_on_both_sides_of_each_threshold(p_value, effect, missed):
    text = missed_effect_verdict("snow", p_value, effect)
    assert bool(text) is missed
    if missed:
        assert f"{effect:+.2f}" in text


# --- concepts: the control concept's permutation test, no negative zero ---


def test_control_concept_verdict_reports_a_control_the_layer_encodes():
    """From both sides on real regressions: numbers that are a linear function of the activations
    must fail the control check, independent random numbers must pass it."""
    import numpy as np

    from minidl.xai import r2_permutation_test

    rng = np.random.default_rng(0)
    acts = rng.normal(size=(90, 12))
    leaky = acts @ rng.normal(size=12) + 0.5 * rng.normal(size=90)
    for measure, words in ((leaky, "IS encoded"), (rng.normal(size=90), "is not encoded")):
        test = r2_permutation_test(acts, measure, alpha=1.0, seed=0, permutations=30)
        assert words in control_concept_verdict("random number", test.r2, test.p_value, 30)


def test_relevance_verdict_prints_no_negative_zero():
    assert "does not follow it (Br 0.00)" in relevance_verdict("size", 0.5, -0.001, "score")
    assert "held-out R² 0.00)" in relevance_verdict("size", -0.004, 0.0, "score")
