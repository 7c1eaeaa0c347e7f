"""The XAI lessons' verdicts (shapley, concepts, ante_hoc, rules) follow their numbers: each threshold
from both sides."""

import pytest

from lessons.verdicts import (
    EXACT_TO,
    adds_up_verdict,
    agreement_verdict,
    faithfulness_verdict,
    random_ranking_wins,
    recovers_cam_verdict,
    transparency_price,
    anchor_location_verdict,
    concept_verdict,
    control_concept_verdict,
    convergence_verdict,
    filter_removal_verdict,
    held_out_verdict,
    missed_effect_verdict,
    overlap_verdict,
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


# --- blackbox, gradcam, lime: the Husky-vs-Wolf model's name and what LIME's hiding changes ---


@pytest.mark.parametrize(
    "same, swapped, shortcut",
    [(1.0, 0.0, True), (0.9, 0.5, True), (0.89, 0.0, False), (0.95, 0.51, False), (0.45, 0.52, False)],
)
def test_biased_model_name_follows_the_shortcut_verdict(same, swapped, shortcut):
    from lessons.verdicts import biased_model_name, learned_shortcut, shortcut_verdict

    assert learned_shortcut(same, swapped) is shortcut
    assert shortcut_verdict(same, swapped).startswith("learned the shortcut") is shortcut
    assert (biased_model_name(same, swapped) == "the shortcut model") is shortcut
    if not shortcut:
        assert "shortcut" not in biased_model_name(same, swapped)


@pytest.mark.parametrize(
    "biased, fair, missing",
    [
        ((1.0, 0.0), (0.99, 0.98), []),
        ((1.0, 0.0), (0.49, 0.48), ["random backgrounds has not learned the task"]),  # the 2-core run
        ((1.0, 0.0), (0.7, 0.94), ["random backgrounds has not learned the task"]),
        ((1.0, 0.0), (0.95, 0.6), ["random backgrounds depends partly on the background"]),
        ((0.95, 0.9), (0.99, 0.98), ["biased data does not depend on the background"]),
        ((0.5, 0.5), (0.5, 0.5), ["biased data has not learned", "random backgrounds has not learned"]),
    ],
)
def test_the_comparison_of_the_two_models_needs_a_shortcut_and_a_model_without_one(biased, fair, missing):
    """blackbox compares the explanations of the two models only when the first took the shortcut and
    the second learned the task without it; otherwise it names what is missing."""
    from lessons.verdicts import comparison_premise

    text = comparison_premise(biased, fair)
    if not missing:
        assert text is None
        return
    for words in missing:
        assert words in text


@pytest.mark.parametrize(
    "part, rest, words",
    [
        (0.05, 0.33, "barely changes the animal beside the background"),
        (0.11, 0.33, "barely changes the animal"),
        (0.12, 0.33, "about as much as"),
        (0.33, 0.12, "about as much as"),
        (0.33, 0.11, "far more than"),
    ],
)
def test_hiding_change_verdict_on_both_sides_of_the_factor(part, rest, words):
    from lessons.verdicts import hiding_change_verdict

    text = hiding_change_verdict(part, rest, "the animal", "the background")
    assert words in text
    assert f"{part:.2f} on the animal, {rest:.2f} on the background" in text


def test_separation_verdict():
    from lessons.verdicts import separation_verdict

    same = separation_verdict("LIME", "model A", 0.035, 0.094, "model B", 0.060, 0.094)
    assert same.startswith("LIME does not separate model A from model B: its heat is on the background for both")
    assert "3.5% of its heat on the animal covering 9.4%, against 6.0%" in same
    apart = separation_verdict("Grad-CAM", "model A", 0.08, 0.094, "model B", 0.47, 0.094)
    assert apart.startswith("Grad-CAM separates model A from model B: spread over the image against on the animal")
    empty = separation_verdict("Grad-CAM", "model A", 0.08, 0.094, "model B", float("nan"), float("nan"))
    assert "cannot tell model A from model B" in empty


def test_maps_place_and_verdict_leave_out_maps_without_heat():
    from lessons.verdicts import maps_location_verdict, maps_place

    assert maps_place(0.47, 0.09, 0, 20) == "on the animal"
    assert maps_place(0.47, 0.09, 8, 20) == "on the animal (12 of 20 maps have heat)"
    assert maps_place(float("nan"), float("nan"), 1, 1) == "no heat anywhere"
    assert maps_place(float("nan"), float("nan"), 4, 4) == "no heat anywhere (all 4 maps are 0)"
    assert maps_location_verdict(0.03, 0.09, 0, 20).startswith("falls on the animal less than")
    assert "over the 12 of 20 maps that have heat (8 are 0 everywhere)" in maps_location_verdict(0.47, 0.09, 8, 20)
    assert "0 everywhere on all 4 images" in maps_location_verdict(float("nan"), float("nan"), 4, 4)


def test_mean_share_with_heat_leaves_out_empty_maps():
    import numpy as np

    from lessons.heat import mean_share_with_heat

    masks = np.zeros((3, 4, 4), dtype=bool)
    masks[:, :2, :2] = True  # a quarter of each image
    heat = np.zeros((3, 4, 4))
    heat[0] = 1.0  # spread evenly: share 1/4
    heat[1, 0, 0] = 2.0  # all inside: share 1
    share, area, empty = mean_share_with_heat(heat, masks)
    assert (share, area, empty) == (0.625, 0.25, 1)
    share, area, empty = mean_share_with_heat(np.zeros((3, 4, 4)), masks)
    assert np.isnan(share) and np.isnan(area) and empty == 3


def test_unchanged_cells_verdict():
    from lessons.verdicts import unchanged_cells_verdict

    assert "24 of the 49 superpixels" in unchanged_cells_verdict(24, 49, 0.0012)
    assert "up to |β| = 0.0012" in unchanged_cells_verdict(24, 49, 0.0012)
    assert "no weight here is pure noise" in unchanged_cells_verdict(0, 49, 0.0)


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


# --- ante_hoc -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transparent, opaque, words",
    [
        (0.905, 0.975, "pays 7.0 points for its transparency (90.5% against LeNet-5's 97.5%, beyond the ±2.1%"),
        (0.965, 0.975, "pays no measurable price (96.5% against LeNet-5's 97.5%, within the ±1.5%"),
        (0.975, 0.965, "pays no measurable price"),
        (0.975, 0.955, "pays nothing and even does better (97.5% against LeNet-5's 95.5%, beyond the ±1.6%"),
    ],
)
def test_transparency_price_on_both_sides_of_the_noise(transparent, opaque, words):
    # the noise is 2·sqrt(2·p(1 − p)/1000), p the mean accuracy: ±2.1 % at p = 0.94
    assert words in transparency_price("linear model", transparent, "LeNet-5", opaque, 1000)


def test_adds_up_verdict_on_both_sides_of_the_tolerance():
    assert "each map adds up to its model's score (largest relative gaps: linear 2.0e-07, CAM 1.0e-04)" in (
        adds_up_verdict({"linear": 2e-7, "CAM": EXACT_TO})
    )
    text = adds_up_verdict({"linear": 2e-7, "CAM": 2 * EXACT_TO})
    assert (
        "not every map adds up to its model's score (CAM off by more than 0.0001: linear 2.0e-07, CAM 2.0e-04)" in text
    )


def test_adds_up_verdict_counts_a_nan_gap_as_off():
    assert "not every map adds up to its model's score (CAM off by more than 0.0001" in adds_up_verdict(
        {"linear": 2e-7, "CAM": float("nan")}
    )


def test_recovers_cam_verdict_on_both_sides_of_the_tolerance():
    assert recovers_cam_verdict(2.2e-8, 49) == "gives the CAM back times 1/49 (largest relative difference 2e-08)"
    assert recovers_cam_verdict(EXACT_TO, 49).startswith("gives the CAM back")
    assert recovers_cam_verdict(2 * EXACT_TO, 49) == (
        "does not give the CAM back times 1/49 (largest relative difference 2e-04, more than 0.0001)"
    )
    assert recovers_cam_verdict(float("nan"), 16).startswith("does not give the CAM back times 1/16")


def test_agreement_verdict_names_the_closest_and_farthest_pairs_and_counts_each_side():
    pairs = {("CAM", "LIME"): 0.2, ("CAM", "SHAP"): 0.5, ("LIME", "SHAP"): 0.9}
    text = agreement_verdict(pairs, same=0.9, low=0.5)
    assert "the closest pair is LIME and SHAP (Spearman 0.90), the farthest CAM and LIME (0.20)" in text
    assert "1 of the 3 pairs rank the cells nearly alike (≥ 0.9), 1 rank them differently (< 0.5)" in text
    shifted = agreement_verdict({pair: rho - 0.01 for pair, rho in pairs.items()}, same=0.9, low=0.5)
    assert "0 of the 3 pairs rank the cells nearly alike (≥ 0.9), 2 rank them differently (< 0.5)" in shifted
    with pytest.raises(ValueError, match="at least one pair"):
        agreement_verdict({})


@pytest.mark.parametrize(
    "deletion, insertion, wins",
    [
        ([0.10, 0.12, 0.11, 0.09], [0.60, 0.62, 0.58, 0.61], ("deletion", "insertion")),
        ([0.10, 0.12, 0.11, 0.09], [0.40, 0.42, 0.38, 0.41], ("deletion",)),
        ([0.30, 0.32, 0.31, 0.29], [0.60, 0.62, 0.58, 0.61], ("insertion",)),
        ([0.30, 0.32, 0.31, 0.29], [0.40, 0.42, 0.38, 0.41], ()),
    ],
)
def test_random_ranking_wins_against_the_same_models_random_ranking(deletion, insertion, wins):
    random_deletion, random_insertion = [0.30, 0.31, 0.29, 0.30], [0.40, 0.41, 0.39, 0.40]
    assert random_ranking_wins(deletion, insertion, random_deletion, random_insertion) == wins


def test_faithfulness_verdict_groups_the_maps_by_the_tests_they_win():
    text = faithfulness_verdict({"CAM": ("deletion", "insertion"), "LIME": ("deletion", "insertion"), "Grad-CAM": ()})
    assert (
        text
        == "clearly better than a random ranking of their own model in both tests: CAM, LIME; in neither test: Grad-CAM"
    )
    assert "in deletion only: A; in insertion only: B" in faithfulness_verdict(
        {"A": ("deletion",), "B": ("insertion",)}
    )


def test_held_out_verdict_on_both_sides_of_the_threshold_and_the_tolerance():
    # 1000 samples: ±2·sqrt(0.9·0.1/1000) = ±0.019 on each anchor, ±2·sqrt(0.95·0.05/3000) = ±0.008 on the mean of 3
    kept = held_out_verdict([0.99, 1.0, 0.92], 0.95, 0.05, 1000)
    assert kept == (
        "keep their promise (mean precision 0.970, lowest 0.920; 2 of 3 at or above τ = 0.95; "
        "sampling noise ±0.008 on the mean, ±0.019 on each)"
    )
    assert "keep their promise" in held_out_verdict([0.99, 1.0, 0.89], 0.95, 0.05, 1000)  # 0.89 is within the noise
    assert "keep it on average but not each one: 1 falls more than 0.05 below τ" in held_out_verdict(
        [0.99, 1.0, 0.87], 0.95, 0.05, 1000
    )
    assert held_out_verdict([0.96, 0.94, 0.935], 0.95, 0.05, 1000).startswith("keep their promise")  # mean 0.945
    assert held_out_verdict([0.96, 0.93, 0.92], 0.95, 0.05, 1000).startswith("fall short of it")  # mean 0.937
    assert held_out_verdict([0.96, 0.93, 0.92], 0.95, 0.05, 100).startswith("keep their promise")  # ±0.025 on the mean


def test_held_out_verdict_leaves_out_the_searches_that_found_no_anchor():
    assert held_out_verdict([0.99], 0.95, 0.05, 300, rejected=2).endswith(
        "; the 2 searches that found no anchor left out)"
    )
    assert "the 1 search that found no anchor left out" in held_out_verdict([0.99], 0.95, 0.05, 300, rejected=1)
    assert held_out_verdict([], 0.95, 0.05, 300, rejected=4) == (
        "cannot be checked: none of the 4 searches found an anchor"
    )


@pytest.mark.parametrize(
    "share, area, empty, words",
    [
        (0.0, 0.1, 2, "sit on the background, not on the animal (0% of their cells' area on the animal"),
        (0.3, 0.1, 0, "sit on the animal (30%"),
        (0.12, 0.1, 0, "do not single out the animal or the background"),
        (float("nan"), float("nan"), 4, "are all empty: on each of the 4 images"),
    ],
)
def test_anchor_location_verdict(share, area, empty, words):
    text = anchor_location_verdict(share, area, empty, 4)
    assert words in text
    assert ("2 of the 4 are empty" in text) == (empty == 2)


@pytest.mark.parametrize(
    "overlap, chance, words",
    [
        (0.74, 0.07, "are mostly LIME's top cells (74% of them"),
        (0.4, 0.07, "more than chance, but mostly differ"),
        (0.6, 0.4, "not meet LIME's top cells clearly more than chance"),
        (0.1, 0.07, "less than 2 times as many"),
    ],
)
def test_overlap_verdict_on_both_sides_of_its_thresholds(overlap, chance, words):
    assert words in overlap_verdict(overlap, chance)
