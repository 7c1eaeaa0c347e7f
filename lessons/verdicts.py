"""The lessons' findings as functions of their numbers.

A lesson states a finding only when its numbers support it, and says so when a (quick) run is too
small to show anything. Every claim that depends on a threshold is decided here, by a function
that takes the measured numbers and returns the sentence, so that the tests can feed it numbers on
both sides of the threshold (tests/test_verdicts.py).
"""
from __future__ import annotations

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
