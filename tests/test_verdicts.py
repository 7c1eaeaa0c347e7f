"""The lessons' verdicts follow their numbers: each threshold is tested from both sides."""
import pytest

from lessons.verdicts import classifier_verdict

pytestmark = pytest.mark.lessons


@pytest.mark.parametrize("accuracy, words", [
    (0.973, "reads them well: 97.3%"),
    (0.949, "learned something (94.9% correct, chance is 10%)"),
    (0.21, "learned something"),
    (0.19, "no better than guessing (19.0% correct"),
])
def test_classifier_verdict(accuracy, words):
    assert words in classifier_verdict(accuracy, num_classes=10)


# --- The explanation lessons: blackbox, saliency_maps, gradcam, lime, evaluating_explanations ---

import numpy as np

from lessons.heat import cam_heat, on_one_scale, share_inside
from lessons.verdicts import (clearly_better, heat_location, heat_location_verdict, heat_place, map_agreement,
                              randomisation_verdict, ranking_verdict, shortcut_verdict, stability_verdict,
                              untrained_comparison)


@pytest.mark.parametrize("share, area, where", [
    (0.47, 0.09, "object"), (0.136, 0.09, "object"), (0.134, 0.09, "spread"),
    (0.08, 0.09, "spread"), (0.061, 0.09, "spread"), (0.059, 0.09, "background"), (0.0, 0.09, "background"),
])
def test_heat_location_on_both_sides_of_each_threshold(share, area, where):
    assert heat_location(share, area) == where


def test_heat_location_verdict_words_follow_the_location():
    assert heat_location_verdict(0.47, 0.09) == ("falls on the animal more than the area share would give (47% of the heat "
                                                 "on the animal, an area of 9% of the image: 5.2 times the area share)")
    assert "about as the area share would give" in heat_location_verdict(0.08, 0.09)
    assert "less than the area share would give, so mostly on the background (3% of the heat on the strokes" in heat_location_verdict(
        0.03, 0.09, thing="the strokes")
    assert heat_place(0.47, 0.09) == "on the animal" and heat_place(0.03, 0.09) == "on the background"
    with pytest.raises(ValueError, match="area share"):
        heat_location(0.5, 0.0)


@pytest.mark.parametrize("same, swapped, words", [
    (0.89, 0.5, "has not learned the task"),
    (1.0, 0.0, "learned the shortcut: 100% correct with the training set's backgrounds, 0% with them swapped; it names"),
    (1.0, 0.11, "no better than a coin toss"),
    (1.0, 0.5, "no better than a coin toss"),
    (0.98, 0.51, "depends partly on the background"),
    (0.98, 0.89, "depends partly on the background"),
    (0.98, 0.93, "does not depend on the background"),
])
def test_shortcut_verdict(same, swapped, words):
    assert words in shortcut_verdict(same, swapped)


def test_share_inside_measures_mass_on_the_mask_against_its_area():
    masks = np.zeros((2, 4, 4), dtype=bool)
    masks[:, :2, :2] = True                               # a quarter of the image
    heat = np.ones((2, 4, 4))
    heat[1, :2, :2] = 3.0                                 # 12 of 24 units inside
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


@pytest.mark.parametrize("share, untrained, words", [
    (0.41, 0.27, "well above an untrained network's (41% against 27%): the training put it there"),
    (0.40, 0.27, "higher than an untrained network's (40% against 27%), by a margin within"),
    (0.32, 0.27, "does not show what the model learned"),
    (0.19, 0.27, "lower than an untrained network's (19% against 27%), by a margin within"),
    (0.17, 0.27, "well below"),
])
def test_untrained_comparison(share, untrained, words):
    assert words in untrained_comparison(share, untrained)


@pytest.mark.parametrize("agreements, words", [
    ([0.39, 0.76, 0.95, 0.986], "settles as the samples grow: seeds agree at 0.39 with 50 samples and at 0.99 with 3000"),
    ([0.39, 0.76, 0.95, 0.90], "settles"),
    ([0.39, 0.76, 0.95, 0.89], "grows steadier with more samples but has not settled"),
    ([0.39, 0.36, 0.30, 0.39], "does not settle"),
])
def test_stability_verdict(agreements, words):
    assert stability_verdict([50, 200, 1000, 3000], agreements).startswith(words)


def test_stability_verdict_needs_a_count_per_agreement():
    with pytest.raises(ValueError, match="one agreement each"):
        stability_verdict([50, 200], [0.5])


def test_clearly_better_needs_more_than_the_spread_of_the_images():
    reference = np.array([0.75, 0.78, 0.74, 0.77])
    assert clearly_better(reference - 0.1, reference, lower_is_better=True)       # every image 0.1 lower
    assert not clearly_better(reference - 0.1, reference, lower_is_better=False)  # lower is worse here
    noisy = reference + np.array([-0.3, 0.3, -0.3, 0.28])                         # mean −0.005, spread 0.3
    assert not clearly_better(noisy, reference, lower_is_better=True)
    assert not clearly_better([0.1], [0.9], lower_is_better=True)                  # one image: nothing is clear


def test_ranking_verdict_names_the_winner_only_when_it_is_clear():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.6, 0.9, 30)
    scores = {"saliency": base - 0.5, "LIME": base - 0.6, "Grad-CAM": base - 0.01 + rng.normal(0, 0.1, 30),
              "random": base}
    text = ranking_verdict(scores, lower_is_better=True)
    assert text.startswith("LIME is best") and "clearly ahead of saliency" in text
    assert "clearly better than the random ranking: saliency, LIME; not clearly: Grad-CAM" in text
    scores["saliency"] = scores["LIME"] + rng.normal(0, 0.05, 30)
    assert "too close to tell apart" in ranking_verdict(scores, lower_is_better=True)


@pytest.mark.parametrize("final, words", [(0.27, "change as the weights are destroyed (Spearman 0.27"),
                                          (0.49, "change as"), (0.5, "stay close to the originals")])
def test_randomisation_verdict(final, words):
    assert randomisation_verdict([0.6, 0.4, final], low=0.5).startswith(words)


@pytest.mark.parametrize("correlation, words", [
    (0.95, "gives nearly the same maps (its maps correlate at 0.95 with Grad-CAM's)"),
    (0.85, "gives related but not the same maps"),
    (0.55, "gives related but not the same maps"),
    (0.45, "weighs positions differently (its maps correlate at 0.45"),
])
def test_map_agreement_on_both_sides_of_each_threshold(correlation, words):
    assert words in map_agreement("Grad-CAM", correlation)
