"""The lessons' verdicts follow their numbers: each threshold is tested from both sides."""

import numpy as np
import pytest

from lessons.heat import cam_heat, on_one_scale, share_inside
from lessons.verdicts import (
    accuracy_gain_verdict,
    attention_verdict,
    checkerboard_verdict,
    classifier_verdict,
    MEANINGFUL_GAIN,
    clearly_better,
    descent_verdict,
    detections_verdict,
    dice_verdict,
    heat_location,
    heat_location_verdict,
    heat_place,
    map_agreement,
    paired_score_verdict,
    perceptron_verdict,
    randomisation_verdict,
    ranking_verdict,
    regression_fit_verdict,
    residual_verdict,
    shortcut_verdict,
    silent_channel_verdict,
    stability_verdict,
    truth_table_verdict,
    untrained_comparison,
    width_verdict,
)

pytestmark = pytest.mark.lessons


@pytest.mark.parametrize(
    "accuracy, words",
    [
        (0.973, "reads them well: 97.3%"),
        (0.949, "learned something (94.9% correct, chance is 10%)"),
        (0.21, "learned something"),
        (0.19, "no better than guessing (19.0% correct"),
    ],
)
def test_classifier_verdict(accuracy, words):
    assert words in classifier_verdict(accuracy, num_classes=10)


# --- The explanation lessons: blackbox, saliency_maps, gradcam, lime, evaluating_explanations ---


@pytest.mark.parametrize(
    "share, area, where",
    [
        (0.47, 0.09, "object"),
        (0.136, 0.09, "object"),
        (0.134, 0.09, "spread"),
        (0.08, 0.09, "spread"),
        (0.061, 0.09, "spread"),
        (0.059, 0.09, "background"),
        (0.0, 0.09, "background"),
    ],
)
def test_heat_location_on_both_sides_of_each_threshold(share, area, where):
    assert heat_location(share, area) == where


def test_heat_location_verdict_words_follow_the_location():
    assert heat_location_verdict(0.47, 0.09) == (
        "falls on the animal more than the area share would give (47% of the heat "
        "on the animal, an area of 9% of the image: 5.2 times the area share)"
    )
    assert "about as the area share would give" in heat_location_verdict(0.08, 0.09)
    assert (
        "less than the area share would give, so mostly on the background (3% of the heat on the strokes"
        in heat_location_verdict(0.03, 0.09, thing="the strokes")
    )
    assert heat_place(0.47, 0.09) == "on the animal" and heat_place(0.03, 0.09) == "on the background"
    with pytest.raises(ValueError, match="area share"):
        heat_location(0.5, 0.0)


@pytest.mark.parametrize(
    "same, swapped, words",
    [
        (0.89, 0.5, "has not learned the task"),
        (
            1.0,
            0.0,
            "learned the shortcut: 100% correct with the training set's backgrounds, 0% with them swapped; it names",
        ),
        (1.0, 0.11, "no better than a coin toss"),
        (1.0, 0.5, "no better than a coin toss"),
        (0.98, 0.51, "depends partly on the background"),
        (0.98, 0.89, "depends partly on the background"),
        (0.98, 0.93, "does not depend on the background"),
    ],
)
def test_shortcut_verdict(same, swapped, words):
    assert words in shortcut_verdict(same, swapped)


def test_share_inside_measures_mass_on_the_mask_against_its_area():
    masks = np.zeros((2, 4, 4), dtype=bool)
    masks[:, :2, :2] = True  # a quarter of the image
    heat = np.ones((2, 4, 4))
    heat[1, :2, :2] = 3.0  # 12 of 24 units inside
    shares, areas = share_inside(heat, masks)
    np.testing.assert_allclose(shares, [0.25, 0.5])
    np.testing.assert_allclose(areas, [0.25, 0.25])
    assert share_inside(np.zeros((1, 4, 4)), masks[:1])[0][0] == 0.0
    with pytest.raises(ValueError, match=">= 0"):
        share_inside(-heat, masks)
    with pytest.raises(ValueError, match="one shape"):
        share_inside(heat[0], masks)


def test_one_scale_keeps_a_weak_map_weak():
    raw = np.stack([np.full((2, 2), 0.1), np.full((2, 2), 0.4)])
    heat = cam_heat(raw, 4, 4)
    scaled, top = on_one_scale(heat)
    assert heat.shape == (2, 4, 4) and top == pytest.approx(0.4)
    np.testing.assert_allclose(scaled[0], 0.25)
    np.testing.assert_allclose(scaled[1], 1.0)


@pytest.mark.parametrize(
    "share, untrained, words",
    [
        (0.41, 0.27, "well above an untrained network's (41% against 27%): the training put it there"),
        (0.40, 0.27, "higher than an untrained network's (40% against 27%), by a margin within"),
        (0.32, 0.27, "does not show what the model learned"),
        (0.19, 0.27, "lower than an untrained network's (19% against 27%), by a margin within"),
        (0.17, 0.27, "well below"),
    ],
)
def test_untrained_comparison(share, untrained, words):
    assert words in untrained_comparison(share, untrained)


@pytest.mark.parametrize(
    "agreements, words",
    [
        (
            [0.39, 0.76, 0.95, 0.986],
            "settles as the samples grow: seeds agree at 0.39 with 50 samples and at 0.99 with 3000",
        ),
        ([0.39, 0.76, 0.95, 0.90], "settles"),
        ([0.39, 0.76, 0.95, 0.89], "grows steadier with more samples but has not settled"),
        ([0.39, 0.36, 0.30, 0.39], "does not settle"),
    ],
)
def test_stability_verdict(agreements, words):
    assert stability_verdict([50, 200, 1000, 3000], agreements).startswith(words)


def test_stability_verdict_needs_a_count_per_agreement():
    with pytest.raises(ValueError, match="one agreement each"):
        stability_verdict([50, 200], [0.5])


def test_clearly_better_needs_more_than_the_spread_of_the_images():
    reference = np.array([0.75, 0.78, 0.74, 0.77])
    assert clearly_better(reference - 0.1, reference, lower_is_better=True)  # every image 0.1 lower
    assert not clearly_better(reference - 0.1, reference, lower_is_better=False)  # lower is worse here
    noisy = reference + np.array([-0.3, 0.3, -0.3, 0.28])  # mean −0.005, spread 0.3
    assert not clearly_better(noisy, reference, lower_is_better=True)
    assert not clearly_better([0.1], [0.9], lower_is_better=True)  # one image: nothing is clear


def test_clearly_better_needs_a_gain_a_reader_would_see_however_consistent():
    """A model stuck at chance moves every curve by ~10⁻⁴: each image's gain of one sign passes the
    t-test, the mean below MEANINGFUL_GAIN does not count; just above it, it does."""
    reference = np.array([0.111, 0.112, 0.110, 0.111, 0.113])
    tiny = np.array([1.0e-4, 1.7e-4, 1.2e-4, 1.5e-4, 1.1e-4])
    assert not clearly_better(reference + tiny, reference, lower_is_better=False)
    assert clearly_better(reference + tiny, reference, lower_is_better=False, min_gain=1e-4)
    gains = MEANINGFUL_GAIN + tiny
    assert clearly_better(reference + gains, reference, lower_is_better=False)
    assert not clearly_better(reference + gains - 2e-4, reference, lower_is_better=False)  # mean just below


def test_clearly_better_asks_more_of_three_images_than_of_thirty():
    """Gains of t = 2.6 standard errors: beyond the large-sample 2, short of Student's 4.3 for 3 images."""
    gains = np.array([0.1, 0.2, 0.05])
    reference = np.full(3, 0.8)
    assert not clearly_better(reference - gains, reference, lower_is_better=True)
    many = np.tile(gains, 10)  # the same spread over 30 images: t = 2.6 · √10
    assert clearly_better(np.full(30, 0.8) - many, np.full(30, 0.8), lower_is_better=True)
    near_two = np.array([0.1, -0.04] * 15)  # t = 2.3 on 30 images (29 degrees of freedom need 2.05): clear
    assert clearly_better(np.full(30, 0.8) - near_two, np.full(30, 0.8), lower_is_better=True)


def test_ranking_verdict_names_the_winner_only_when_it_is_clear():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.6, 0.9, 30)
    scores = {
        "saliency": base - 0.5,
        "LIME": base - 0.6,
        "Grad-CAM": base - 0.01 + rng.normal(0, 0.1, 30),
        "random": base,
    }
    text = ranking_verdict(scores, lower_is_better=True)
    assert text.startswith("LIME is best") and "clearly ahead of saliency" in text
    assert "clearly better than the random ranking: saliency, LIME; not clearly: Grad-CAM" in text
    scores["saliency"] = scores["LIME"] + rng.normal(0, 0.05, 30)
    assert "too close to tell apart" in ranking_verdict(scores, lower_is_better=True)


@pytest.mark.parametrize(
    "final, words",
    [
        (0.27, "change as the weights are destroyed (Spearman 0.27"),
        (0.49, "change as"),
        (0.5, "stay close to the originals"),
    ],
)
def test_randomisation_verdict(final, words):
    assert randomisation_verdict([0.6, 0.4, final], low=0.5).startswith(words)


# ----- the first half of the track: neuron … unet_segmentation (lessons-a) ----------------------


@pytest.mark.parametrize(
    "outputs, words",
    [
        ([0.03, 0.97, 0.97, 0.03], "it computes XOR: all 4 outputs lie on the right side of 0.5, the farthest 0.03"),
        ([0.49, 0.51, 0.51, 0.49], "it computes XOR"),
        ([0.35, 0.57, 0.58, 0.56], "does not compute XOR yet: 3 of the 4"),
        ([0.51, 0.51, 0.51, 0.49], "does not compute XOR yet: 3 of the 4"),
    ],
)
def test_truth_table_verdict(outputs, words):
    assert words in truth_table_verdict(outputs, [0, 1, 1, 0], "XOR")


@pytest.mark.parametrize(
    "mistakes, words",
    [
        ([3, 4, 2, 0, 0], "no mistake from epoch 4 on"),
        ([2, 0], "no mistake from epoch 2 on"),
        ([3, 2, 1], "still makes 1 mistake(s) in epoch 3"),
    ],
)
def test_perceptron_verdict(mistakes, words):
    assert words in perceptron_verdict(mistakes)


@pytest.mark.parametrize(
    "losses, words",
    [
        ([0.49, 0.28, 0.18], "fell from 0.49 to 0.18 and is still falling"),
        ([0.19, 0.1196, 0.1195], "fell from 0.19 to 0.1195 and has levelled off"),
        ([0.2, 0.1, 0.1011, 0.1010], "and has levelled off"),  # last step 0.1 % of the value
        ([0.2, 0.12, 0.1], "still falling"),  # last step 20 % of the value
        ([0.2, 0.25], "did not fall (0.2 → 0.25)"),
    ],
)
def test_descent_verdict(losses, words):
    assert words in descent_verdict(losses, "E")


def test_width_verdict_down_all_the_way_or_to_a_best_width():
    all_the_way = width_verdict({1: 0.6, 2: 0.24, 4: 0.08, 8: 0.02, 32: 0.01})
    assert "down to 0.010 with 32, the widest network" in all_the_way and "did no better" not in all_the_way
    best_in_between = width_verdict({1: 0.6, 2: 0.24, 4: 0.08, 8: 0.022, 32: 0.033})
    assert "down to 0.022 with 8; the wider networks did no better" in best_in_between
    assert "(32 units: 0.033)" in best_in_between


@pytest.mark.parametrize(
    "training, validation, words",
    [
        (0.266, 0.32, "underfits: even on its training points the error 0.2660 is 12×"),
        (0.046, 0.05, "underfits"),  # training just above 2 σ² = 0.045
        (0.044, 0.05, "fits only partly"),  # just below it, validation above 2 σ²
        (0.0449, 0.0449, "fits well: validation error 0.0449"),
        (0.0193, 0.0414, "fits well"),
        (0.0193, 0.046, "fits only partly"),
        (0.011, 0.40, "overfits: its training error 0.0110 is below the noise floor"),
        (0.012, 0.40, "fits only partly"),
    ],
)
def test_regression_fit_verdict(training, validation, words):
    assert words in regression_fit_verdict(training, validation, noise_floor=0.0225)


@pytest.mark.parametrize(
    "fires_on, words",
    [
        (0.0, "zero on this digit and on all 1000 test digits: a dead channel"),
        (0.001, "fires on 0.1% of the 1000 test digits: this digit lacks the pattern"),
        (0.42, "fires on 42.0% of the 1000"),
    ],
)
def test_silent_channel_verdict(fires_on, words):
    assert words in silent_channel_verdict("conv2 map 11", fires_on, 1000)


@pytest.mark.parametrize(
    "cheap, costly, words",
    [
        (0.955, 0.975, "bought accuracy: 97.5% against 95.5%, more than the ±1.6%"),  # 2·sqrt(2·0.965·0.035/1000)
        (0.965, 0.975, "no measurable accuracy: 97.5% against 96.5% is within the ±1.5%"),
        (0.975, 0.965, "no measurable accuracy"),
        (0.975, 0.955, "scored lower (95.5% against 97.5%, beyond the ±1.6%"),
        (0.13, 0.095, "no measurable accuracy: 9.5% against 13.0% is within the ±6.3% that 200"),
    ],
)
def test_accuracy_gain_verdict(cheap, costly, words):
    assert words in accuracy_gain_verdict(cheap, costly, test_images=200 if cheap == 0.13 else 1000)


@pytest.mark.parametrize(
    "residual, plain, words",
    [
        (0.30, 1.20, "with shortcuts the training loss fell to 0.3 against 1.2 without"),
        (0.89, 1.00, "with shortcuts"),
        (0.91, 1.00, "within 10% of each other"),
        (2.33, 2.30, "within 10% of each other"),
        (1.00, 0.89, "without shortcuts the training loss is lower (0.89 against 1)"),
    ],
)
def test_residual_verdict(residual, plain, words):
    assert words in residual_verdict(residual, plain)


def test_detections_verdict():
    one_each = np.array([[0.86, 0.0, 0.0], [0.0, 0.78, 0.0], [0.0, 0.0, 0.75]])
    assert "3 detection(s) that find 3 of the 3 objects at IoU ≥ 0.5, one box per object" in detections_verdict(
        one_each
    )
    duplicate = np.array([[0.86, 0.0], [0.6, 0.0], [0.0, 0.51]])
    assert "find 2 of the 2 objects at IoU ≥ 0.5, with 1 false or duplicate box(es)" in detections_verdict(duplicate)
    loose = np.array([[0.86, 0.0], [0.0, 0.49]])  # just under the match threshold
    assert (
        "find 1 of the 2 objects at IoU ≥ 0.5, with 1 false or duplicate box(es); 1 object(s) missed"
        in detections_verdict(loose)
    )


@pytest.mark.parametrize(
    "mean_dice, words",
    [
        (0.969, "Dice 0.969: its masks follow the tumours' outlines closely"),
        (0.899, "Dice 0.899: it finds the tumours, with rough outlines"),
        (0.70, "rough outlines"),
        (0.559, "Dice 0.559: its masks are still far from the tumours' outlines"),
    ],
)
def test_dice_verdict(mean_dice, words):
    assert words in dice_verdict(mean_dice)


def test_paired_score_verdict_counts_a_difference_only_beyond_its_noise():
    a = [0.70, 0.72, 0.68, 0.71, 0.69, 0.70]
    assert "B scores higher than A by 0.100" in paired_score_verdict(a, [x + 0.1 for x in a], "A", "B")
    assert "A scores higher than B by 0.100" in paired_score_verdict([x + 0.1 for x in a], a, "A", "B")
    noisy = [x + d for x, d in zip(a, [0.3, -0.3, 0.3, -0.25, 0.3, -0.3])]  # mean +0.008, spread ~0.3
    assert "score the same within the noise of 6 images" in paired_score_verdict(a, noisy, "A", "B")


@pytest.mark.parametrize(
    "tumour, head, words",
    [
        (0.85, 0.30, "0.85 on the tumours, 0.30 on the rest of the head: it opens most where the tumour is"),
        (0.45, 0.30, "it opens most where the tumour is"),
        (0.39, 0.30, "it does not single out the tumour"),
    ],
)
def test_attention_verdict_on_the_tumour(tumour, head, words):
    assert words in attention_verdict(tumour, head, outside=0.5, outside_variation=0.01, head_variation=0.2)


@pytest.mark.parametrize(
    "outside_variation, words",
    [
        (0.01, "outside the head it is 0.58, but the skip features it weighs there are nearly constant (std 0.01"),
        (0.049, "nearly constant"),  # just under a quarter of 0.2
        (0.051, "the skip features there vary (std 0.05 against 0.20 inside the head)"),
    ],
)
def test_attention_verdict_outside_the_head(outside_variation, words):
    assert words in attention_verdict(0.8, 0.3, outside=0.58, outside_variation=outside_variation, head_variation=0.2)


def test_checkerboard_verdict():
    assert "a 2×2 checkerboard: within a 2×2 block α varies by 0.12, more than the 0.05" in checkerboard_verdict(
        0.12, 0.05
    )
    assert "no 2×2 checkerboard to speak of" in checkerboard_verdict(0.04, 0.05)


@pytest.mark.parametrize(
    "correlation, words",
    [
        (0.95, "gives nearly the same maps (its maps correlate at 0.95 with Grad-CAM's)"),
        (0.85, "gives related but not the same maps"),
        (0.55, "gives related but not the same maps"),
        (0.45, "weighs positions differently (its maps correlate at 0.45"),
    ],
)
def test_map_agreement_on_both_sides_of_each_threshold(correlation, words):
    assert words in map_agreement("Grad-CAM", correlation)
