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
    assert "scores near zero (R² 0.02, Br -0.05)" in control_concept_verdict("random", 0.02, -0.05)
    assert "does NOT score near zero" in control_concept_verdict("random", 0.15, 0.0)
    assert "does NOT score near zero" in control_concept_verdict("random", 0.0, -0.12)


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
