"""The lessons' findings as functions of their numbers.

A lesson states a finding only when its numbers support it, and says so when a (quick) run is too
small to show anything. Every claim that depends on a threshold is decided here, by a function
that takes the measured numbers and returns the sentence, so that the tests can feed it numbers on
both sides of the threshold (tests/test_verdicts.py).
"""
from __future__ import annotations

import numpy as np

QUICK_RUN_NOTE = "this was a quick run, too short to train the model: run the lesson without --quick to see it work"


def classifier_verdict(accuracy: float, num_classes: int, good: float = 0.95) -> str:
    """How well a classifier reads held-out data, against chance (1 / num_classes) and a bar for
    "reads them well" (default 95 %)."""
    chance = 1.0 / num_classes
    if accuracy >= good:
        return f"it reads them well: {accuracy:.1%} correct"
    if accuracy >= 2 * chance:
        return f"it learned something ({accuracy:.1%} correct, chance is {chance:.0%}) but is far from reliable"
    return f"it is no better than guessing ({accuracy:.1%} correct, chance is {chance:.0%})"


def convergence_verdict(num_samples: list[int], errors: list[float], enumerated_error: float,
                        exact_tolerance: float = 1e-10) -> str:
    """Kernel SHAP's error against the exact Shapley values as the number of coalitions grows
    (errors measured at increasing num_samples), and its error once it enumerates every coalition."""
    falling = all(later < earlier for earlier, later in zip(errors, errors[1:]))
    trend = (f"its error fell at every step, from {errors[0]:.3g} at {num_samples[0]} coalitions to {errors[-1]:.3g} "
             f"at {num_samples[-1]}" if falling else
             f"its error did not fall at every step ({', '.join(f'{e:.3g}' for e in errors)} at "
             f"{', '.join(map(str, num_samples))} coalitions): more seeds would smooth the curve")
    exact = (f"enumerating every coalition it equals the exact values (largest difference {enumerated_error:.1e})"
             if enumerated_error <= exact_tolerance else
             f"even enumerating every coalition it is off by {enumerated_error:.1e}: something is wrong")
    return f"{trend}; {exact}"


def filter_removal_verdict(full: float, without_top: float, without_random: float, removed: int,
                           ruined: float = 0.5, kept: float = 0.8) -> str:
    """Removing the `removed` filters with the highest Neuron Shapley values against removing as
    many random ones (mean accuracy over several draws). "Ruins" means the accuracy fell below
    `ruined` × full, "keeps" that it stayed above `kept` × full."""
    top = f"removing the {removed} most valuable filters takes the accuracy from {full:.1%} to {without_top:.1%}"
    random = f"removing {removed} random filters leaves {without_random:.1%} on average"
    if without_top < ruined * full and without_random > kept * full:
        return f"{top}, while {random}: a few filters carry the model"
    if without_top < without_random:
        return f"{top} and {random}: the top filters matter more, but the gap is not the dramatic one of the paper"
    return f"{top} and {random}: here the values did not single out the filters that matter"


def concept_verdict(name: str, tcav_score: float, p_value: float, alpha: float = 0.05) -> str:
    """TCAV's finding for one concept: significant (two-sided t-test against random CAVs) or not."""
    if p_value < alpha:
        direction = "raises" if tcav_score > 0.5 else "lowers"
        return (f"'{name}' is significant (TCAV score {tcav_score:.2f}, p = {p_value:.2g}): moving towards it "
                f"{direction} the class score for most images")
    return f"'{name}' is not significant (TCAV score {tcav_score:.2f}, p = {p_value:.2g}): no evidence the class uses it"


def control_concept_verdict(name: str, r2: float, br: float, near_zero: float = 0.1) -> str:
    """A control concept (a random measure) should not be encoded (held-out R² ≈ 0) nor relevant (Br ≈ 0)."""
    if r2 < near_zero and abs(br) < near_zero:
        return f"the control concept '{name}' scores near zero (R² {r2:.2f}, Br {br:.2f}), as a random measure should"
    return (f"the control concept '{name}' does NOT score near zero (R² {r2:.2f}, Br {br:.2f}): with this little data "
            "the regression finds structure in noise, so the other scores deserve doubt too")


def relevance_verdict(name: str, r2: float, br: float, score: str, near_zero: float = 0.1) -> str:
    """What a regression concept vector says about one concept measure: not encoded by the layer
    (held-out R² below near_zero), encoded but not followed by the score (|Br| below near_zero), or
    followed upwards or downwards."""
    if r2 < near_zero:
        return f"the layer does not encode '{name}' (held-out R² {r2:.2f})"
    if abs(br) < near_zero:
        return f"the layer encodes '{name}' (R² {r2:.2f}) but the {score} does not follow it (Br {br:.2f})"
    return f"the {score} {'rises' if br > 0 else 'falls'} along '{name}' (R² {r2:.2f}, Br {br:.2f})"


# --- The explanation lessons: blackbox, saliency_maps, gradcam, lime, evaluating_explanations ---

CONCENTRATION = 1.5  # heat share / area share from which a map singles an object out (its inverse: avoids it)


def heat_location(share: float, area: float, factor: float = CONCENTRATION) -> str:
    """"object" when the object's share of the heat is at least `factor` times its share of the
    image area, "background" when it is at most 1 / factor times it, else "spread"."""
    if not 0 < area < 1:
        raise ValueError(f"heat_location: the object's area share must lie in (0, 1), got {area}")
    ratio = share / area
    return "object" if ratio >= factor else "background" if ratio <= 1 / factor else "spread"


def heat_place(share: float, area: float, thing: str = "the animal", factor: float = CONCENTRATION) -> str:
    """heat_location in three words, for a title: "on the animal", "on the background", "spread over the image"."""
    return {"object": f"on {thing}", "background": "on the background",
            "spread": "spread over the image"}[heat_location(share, area, factor)]


def heat_location_verdict(share: float, area: float, thing: str = "the animal",
                          factor: float = CONCENTRATION) -> str:
    """Where a map's heat lies, in words, from the share of its mass on `thing` and `thing`'s share
    of the image; completes "the heat ...". A map spread evenly gives share ≈ area."""
    where = heat_location(share, area, factor)
    numbers = (f"{share:.0%} of the heat on {thing}, an area of {area:.0%} of the image: "
               f"{share / area:.1f} times the area share")
    if where == "object":
        return f"falls on {thing} more than the area share would give ({numbers})"
    if where == "background":
        return f"falls on {thing} less than the area share would give, so mostly on the background ({numbers})"
    return f"falls on {thing} about as the area share would give, without singling it out ({numbers})"


def shortcut_verdict(same_accuracy: float, swapped_accuracy: float, good: float = 0.9) -> str:
    """What two test accuracies of a two-class model say about a shortcut, on images made like the
    training ones (same_accuracy) and on images whose backgrounds are swapped; completes "the model
    ...". Chance is 50 %; far below it, the model names the background instead of the animal."""
    numbers = f"{same_accuracy:.0%} correct with the training set's backgrounds, {swapped_accuracy:.0%} with them swapped"
    if same_accuracy < good:
        return f"has not learned the task, not even with the training set's backgrounds ({numbers})"
    if swapped_accuracy <= 1 - good:
        return f"learned the shortcut: {numbers}; it names the background, not the animal"
    if swapped_accuracy <= 0.5:
        return f"learned the shortcut: {numbers}, no better than a coin toss"
    if swapped_accuracy >= good:
        return f"does not depend on the background: {numbers}"
    return f"depends partly on the background: {numbers}"


def untrained_comparison(share: float, untrained_share: float, factor: float = CONCENTRATION) -> str:
    """A trained model's share of heat on an object against an untrained network's (same
    architecture, random weights): only a clear difference shows something the training put there.
    Completes "the trained model's share is ..."."""
    numbers = f"{share:.0%} against {untrained_share:.0%}"
    if share >= factor * untrained_share:
        return f"well above an untrained network's ({numbers}): the training put it there"
    if share * factor <= untrained_share:
        return f"well below an untrained network's ({numbers})"
    relation = "higher than" if share > untrained_share else "lower than" if share < untrained_share else "equal to"
    return (f"{relation} an untrained network's ({numbers}), by a margin within a factor {factor:g}: random "
            "weights come this close, so this number does not show what the model learned")


def stability_verdict(counts: list[int], agreements: list[float], settled: float = 0.9) -> str:
    """How LIME's answer depends on its random samples: the mean correlation of its weights across
    seeds (agreements) for growing numbers of samples (counts). It has settled when the seeds agree
    at `settled` or more with the largest count. Completes "LIME's answer ..."."""
    if len(counts) != len(agreements) or len(counts) < 2:
        raise ValueError(f"stability_verdict: need two or more counts with one agreement each, got {counts}, {agreements}")
    numbers = (f"seeds agree at {agreements[0]:.2f} with {counts[0]} samples and at {agreements[-1]:.2f} "
               f"with {counts[-1]}")
    if agreements[-1] >= settled:
        return f"settles as the samples grow: {numbers}"
    if agreements[-1] > agreements[0]:
        return f"grows steadier with more samples but has not settled: {numbers}"
    return f"does not settle with more samples: {numbers}"


def clearly_better(values, reference, lower_is_better: bool, z: float = 2.0) -> bool:
    """Per-image scores of two rankings on the same images: is the mean improvement of `values` over
    `reference` larger than z standard errors of the paired differences (so not the luck of a few
    digits)? With fewer than two images nothing is clear."""
    values, reference = np.asarray(values, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    gain = reference - values if lower_is_better else values - reference
    if gain.size < 2:
        return False
    return bool(gain.mean() > z * gain.std(ddof=1) / np.sqrt(gain.size))


def ranking_verdict(scores: dict[str, list[float]], lower_is_better: bool, baseline: str = "random") -> str:
    """Which explanation wins a deletion (lower is better) or insertion (higher) test, from the
    per-image AUCs of each method, and which ones beat the baseline clearly (clearly_better)."""
    means = {name: float(np.mean(values)) for name, values in scores.items()}
    order = sorted(means, key=means.get, reverse=not lower_is_better)
    best, second = order[0], order[1]
    if clearly_better(scores[best], scores[second], lower_is_better):
        lead = f"{best} is best (mean AUC {means[best]:.3f}), clearly ahead of {second} ({means[second]:.3f})"
    else:
        lead = (f"{best} ({means[best]:.3f}) and {second} ({means[second]:.3f}) come first, too close to tell "
                "apart over these digits")
    methods = [name for name in scores if name != baseline]
    winners = [name for name in methods if clearly_better(scores[name], scores[baseline], lower_is_better)]
    others = [name for name in methods if name not in winners]
    beaten = (f"clearly better than the {baseline} ranking: {', '.join(winners) or 'none'}"
              + (f"; not clearly: {', '.join(others)}" if others else ""))
    return f"{lead}; {beaten}"


CHANGED_BELOW = 0.5  # Spearman correlation with the original map below which a map has changed


def randomisation_verdict(correlations: list[float], low: float = CHANGED_BELOW) -> str:
    """The cascading-randomisation check of one method: Spearman correlations of its maps with the
    original ones as the layers are re-initialised from the top. It passes when, with every layer
    re-initialised, the correlation has fallen below `low`. Completes "its maps ..."."""
    final = correlations[-1]
    if final < low:
        return (f"change as the weights are destroyed (Spearman {final:.2f} with the original once every layer is "
                "re-initialised): they depend on what the model learned")
    return (f"stay close to the originals even with every layer re-initialised (Spearman {final:.2f}): they show "
            "the image more than the model")


SAME_MAPS_ABOVE = 0.9  # Pearson correlation of two methods' maps above which they give nearly the same map


def map_agreement(other: str, correlation: float, high: float = SAME_MAPS_ABOVE, low: float = CHANGED_BELOW) -> str:
    """How far a second method's maps follow the first's, from their mean Pearson correlation;
    completes "<other method> ..."."""
    numbers = f"its maps correlate at {correlation:.2f} with {other}'s"
    if correlation >= high:
        return f"gives nearly the same maps ({numbers})"
    if correlation < low:
        return f"weighs positions differently ({numbers})"
    return f"gives related but not the same maps ({numbers})"
