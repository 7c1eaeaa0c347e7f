"""The lessons' findings as functions of their numbers.

A lesson states a finding only when its numbers support it, and says so when a (quick) run is too
small to show anything. Every claim that depends on a threshold is decided here, by a function
that takes the measured numbers and returns the sentence, so that the tests can feed it numbers on
both sides of the threshold (tests/test_verdicts.py).
"""

from __future__ import annotations

import numpy as np

from lessons.printed_numbers import fixed
from minidl.xai.student_t import regularized_incomplete_beta

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


def convergence_verdict(
    num_samples: list[int], errors: list[float], enumerated_error: float, exact_tolerance: float = 1e-10
) -> str:
    """Kernel SHAP's error against the exact Shapley values as the number of coalitions grows
    (errors measured at increasing num_samples), and its error once it enumerates every coalition."""
    falling = all(later < earlier for earlier, later in zip(errors, errors[1:]))
    trend = (
        f"its error fell at every step, from {errors[0]:.3g} at {num_samples[0]} coalitions to {errors[-1]:.3g} "
        f"at {num_samples[-1]}"
        if falling
        else f"its error did not fall at every step ({', '.join(f'{e:.3g}' for e in errors)} at "
        f"{', '.join(map(str, num_samples))} coalitions): more seeds would smooth the curve"
    )
    exact = (
        f"enumerating every coalition it equals the exact values (largest difference {enumerated_error:.1e})"
        if enumerated_error <= exact_tolerance
        else f"even enumerating every coalition it is off by {enumerated_error:.1e}: something is wrong"
    )
    return f"{trend}; {exact}"


def filter_removal_verdict(
    full: float, without_top: float, without_random: float, removed: int, ruined: float = 0.5, kept: float = 0.8
) -> str:
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
        return (
            f"'{name}' is significant (TCAV score {tcav_score:.2f}, p = {p_value:.2g}): moving towards it "
            f"{direction} the class score for most images"
        )
    return (
        f"'{name}' is not significant (TCAV score {tcav_score:.2f}, p = {p_value:.2g}): no evidence the class uses it"
    )


def control_concept_verdict(name: str, r2: float, p_value: float, permutations: int, alpha: float = 0.05) -> str:
    """A control concept (a random measure) must not be encoded: its held-out R² must be no better
    than the R² of the same measure shuffled across the images (a permutation test with
    `permutations` shuffles, p-value p_value). Br is no evidence here: it is 0 whenever R² ≤ 0."""
    numbers = f"held-out R² {fixed(r2)}, p = {p_value:.2g} against {permutations} shuffles of it"
    if p_value >= alpha:
        return f"the control concept '{name}' is not encoded ({numbers}), as a random measure should be"
    return (
        f"the control concept '{name}' IS encoded ({numbers}): the regression finds more in a random "
        "measure than in its shuffles, so something links it to the images and the other scores deserve doubt too"
    )


def relevance_verdict(name: str, r2: float, br: float, score: str, near_zero: float = 0.1) -> str:
    """What a regression concept vector says about one concept measure: not encoded by the layer
    (held-out R² below near_zero), encoded but not followed by the score (|Br| below near_zero), or
    followed upwards or downwards."""
    if r2 < near_zero:
        return f"the layer does not encode '{name}' (held-out R² {fixed(r2)})"
    if abs(br) < near_zero:
        return f"the layer encodes '{name}' (R² {fixed(r2)}) but the {score} does not follow it (Br {fixed(br)})"
    return f"the {score} {'rises' if br > 0 else 'falls'} along '{name}' (R² {fixed(r2)}, Br {fixed(br)})"


# --- The explanation lessons: blackbox, saliency_maps, gradcam, lime, evaluating_explanations ---

CONCENTRATION = 1.5  # heat share / area share from which a map singles an object out (its inverse: avoids it)


def heat_location(share: float, area: float, factor: float = CONCENTRATION) -> str:
    """ "object" when the object's share of the heat is at least `factor` times its share of the
    image area, "background" when it is at most 1 / factor times it, else "spread"."""
    if not 0 < area < 1:
        raise ValueError(f"heat_location: the object's area share must lie in (0, 1), got {area}")
    ratio = share / area
    return "object" if ratio >= factor else "background" if ratio <= 1 / factor else "spread"


def heat_place(share: float, area: float, thing: str = "the animal", factor: float = CONCENTRATION) -> str:
    """heat_location in three words, for a title: "on the animal", "on the background", "spread over the image"."""
    return {"object": f"on {thing}", "background": "on the background", "spread": "spread over the image"}[
        heat_location(share, area, factor)
    ]


def heat_location_verdict(share: float, area: float, thing: str = "the animal", factor: float = CONCENTRATION) -> str:
    """Where a map's heat lies, in words, from the share of its mass on `thing` and `thing`'s share
    of the image; completes "the heat ...". A map spread evenly gives share ≈ area."""
    where = heat_location(share, area, factor)
    numbers = (
        f"{share:.0%} of the heat on {thing}, an area of {area:.0%} of the image: "
        f"{share / area:.1f} times the area share"
    )
    if where == "object":
        return f"falls on {thing} more than the area share would give ({numbers})"
    if where == "background":
        return f"falls on {thing} less than the area share would give, so mostly on the background ({numbers})"
    return f"falls on {thing} about as the area share would give, without singling it out ({numbers})"


def shortcut_verdict(same_accuracy: float, swapped_accuracy: float, good: float = 0.9) -> str:
    """What two test accuracies of a two-class model say about a shortcut, on images made like the
    training ones (same_accuracy) and on images whose backgrounds are swapped; completes "the model
    ...". Chance is 50 %; far below it, the model names the background instead of the animal."""
    numbers = (
        f"{same_accuracy:.0%} correct with the training set's backgrounds, {swapped_accuracy:.0%} with them swapped"
    )
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
    return (
        f"{relation} an untrained network's ({numbers}), by a margin within a factor {factor:g}: random "
        "weights come this close, so this number does not show what the model learned"
    )


def stability_verdict(counts: list[int], agreements: list[float], settled: float = 0.9) -> str:
    """How LIME's answer depends on its random samples: the mean correlation of its weights across
    seeds (agreements) for growing numbers of samples (counts). It has settled when the seeds agree
    at `settled` or more with the largest count. Completes "LIME's answer ..."."""
    if len(counts) != len(agreements) or len(counts) < 2:
        raise ValueError(
            f"stability_verdict: need two or more counts with one agreement each, got {counts}, {agreements}"
        )
    numbers = (
        f"seeds agree at {agreements[0]:.2f} with {counts[0]} samples and at {agreements[-1]:.2f} with {counts[-1]}"
    )
    if agreements[-1] >= settled:
        return f"settles as the samples grow: {numbers}"
    if agreements[-1] > agreements[0]:
        return f"grows steadier with more samples but has not settled: {numbers}"
    return f"does not settle with more samples: {numbers}"


# A mean gain below a hundredth of an area's range [0, 1] is not a difference a reader would see on a
# curve, however consistent: a model stuck at chance moves every curve by ~10⁻⁴, for any ranking,
# and with every image's gain of one sign the t-test alone would call that clear.
MEANINGFUL_GAIN = 0.01


def clearly_better(
    values, reference, lower_is_better: bool, level: float = 0.025, min_gain: float = MEANINGFUL_GAIN
) -> bool:
    """Per-image scores of two rankings on the same images: is the mean improvement of `values` over
    `reference` at least `min_gain` and more than the luck of a few digits? A one-sided paired
    Student t-test at `level`: 0.025 is the familiar two standard errors on many images, and asks
    for 4.3 of them on 3 images (2 degrees of freedom), where the normal rule would call a lucky trio
    clear. The p-value is ½·I_{ν/(ν+t²)}(ν/2, ½) with ν = n − 1 (the incomplete beta of
    minidl.xai.student_t). With fewer than two images nothing is clear."""
    values, reference = np.asarray(values, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    gain = reference - values if lower_is_better else values - reference
    if gain.size < 2 or not gain.mean() >= min_gain:
        return False
    mean, spread = gain.mean(), gain.std(ddof=1)
    if spread == 0:
        return bool(mean > 0)
    t = mean / (spread / np.sqrt(gain.size))
    dof = gain.size - 1
    return bool(t > 0 and 0.5 * regularized_incomplete_beta(dof / (dof + t * t), dof / 2, 0.5) < level)


def ranking_verdict(scores: dict[str, list[float]], lower_is_better: bool, baseline: str = "random") -> str:
    """Which explanation wins a deletion (lower is better) or insertion (higher) test, from the
    per-image AUCs of each method, and which ones beat the baseline clearly (clearly_better)."""
    means = {name: float(np.mean(values)) for name, values in scores.items()}
    order = sorted(means, key=means.get, reverse=not lower_is_better)
    best, second = order[0], order[1]
    if clearly_better(scores[best], scores[second], lower_is_better):
        lead = f"{best} is best (mean AUC {means[best]:.3f}), clearly ahead of {second} ({means[second]:.3f})"
    else:
        lead = (
            f"{best} ({means[best]:.3f}) and {second} ({means[second]:.3f}) come first, too close to tell "
            "apart over these digits"
        )
    methods = [name for name in scores if name != baseline]
    winners = [name for name in methods if clearly_better(scores[name], scores[baseline], lower_is_better)]
    others = [name for name in methods if name not in winners]
    beaten = f"clearly better than the {baseline} ranking: {', '.join(winners) or 'none'}" + (
        f"; not clearly: {', '.join(others)}" if others else ""
    )
    return f"{lead}; {beaten}"


CHANGED_BELOW = 0.5  # Spearman correlation with the original map below which a map has changed


def randomisation_verdict(correlations: list[float], low: float = CHANGED_BELOW) -> str:
    """The cascading-randomisation check of one method: Spearman correlations of its maps with the
    original ones as the layers are re-initialised from the top. It passes when, with every layer
    re-initialised, the correlation has fallen below `low`. Completes "its maps ..."."""
    final = correlations[-1]
    if final < low:
        return (
            f"change as the weights are destroyed (Spearman {final:.2f} with the original once every layer is "
            "re-initialised): they depend on what the model learned"
        )
    return (
        f"stay close to the originals even with every layer re-initialised (Spearman {final:.2f}): they show "
        "the image more than the model"
    )


# ----- the first half of the track: neuron … unet_segmentation (lessons-a) ----------------------
def truth_table_verdict(outputs, targets, name: str) -> str:
    """Whether a network with outputs in [0, 1] computes a Boolean function; its answer for an
    input is 1 when y > 0.5. outputs, targets: (N,)."""
    answers = [float(y) > 0.5 for y in outputs]
    right = sum(answer == bool(t) for answer, t in zip(answers, targets))
    worst = max(abs(float(y) - float(t)) for y, t in zip(outputs, targets))
    if right == len(answers):
        return (
            f"it computes {name}: all {right} outputs lie on the right side of 0.5, "
            f"the farthest {worst:.2f} from its target"
        )
    return f"it does not compute {name} yet: {right} of the {len(answers)} outputs lie on the right side of 0.5"


def perceptron_verdict(mistakes: list[int]) -> str:
    """The perceptron moves its line only after a mistake: once an epoch has none, it has stopped."""
    if 0 in mistakes:
        first = mistakes.index(0) + 1
        return (
            f"the perceptron makes no mistake from epoch {first} on, and so stops changing: "
            "it has found a separating line"
        )
    return (
        f"the perceptron still makes {mistakes[-1]} mistake(s) in epoch {len(mistakes)}: its line keeps moving "
        "and has not separated the classes yet"
    )


def descent_verdict(losses: list[float], what: str, settled: float = 0.01) -> str:
    """Whether a loss fell over training, and whether it has settled: its last step changed it by
    less than `settled` (1 %) of its value."""
    first, last = losses[0], losses[-1]
    if last >= first:
        return f"{what} did not fall ({first:.4g} → {last:.4g})"
    still_falling = len(losses) > 1 and losses[-2] - last > settled * last
    return f"{what} fell from {first:.4g} to {last:.4g}" + (
        " and is still falling" if still_falling else " and has levelled off"
    )


def width_verdict(errors: dict[int, float]) -> str:
    """How the error of a one-hidden-layer fit changes with the number of hidden units, trained
    with one budget of steps: down all the way, or down to a best width and no better after it."""
    widths = sorted(errors)
    best = min(widths, key=errors.get)
    text = (
        f"one unit is one smooth step (error {errors[widths[0]]:.2f}); more units bring the curve closer, "
        f"down to {errors[best]:.3f} with {best}"
    )
    wider = [w for w in widths if w > best]
    if not wider:
        return text + ", the widest network"
    return (
        text
        + "; the wider networks did no better with the same number of training steps ("
        + ", ".join(f"{w} units: {errors[w]:.3f}" for w in wider)
        + "): the theorem promises that good weights exist, not that a given number of steps finds them"
    )


def regression_fit_verdict(training_mse: float, validation_mse: float, noise_floor: float) -> str:
    """Underfitting, overfitting or a good fit, read from the two errors against the noise floor σ²
    (the mean squared error of the true curve itself): underfitting when even the training error
    is above 2 σ²; overfitting when the training error is below σ²/2, which only fitting the noise
    can reach, while the validation error is above 2 σ²; a good fit when validation is within 2 σ²."""
    if training_mse > 2 * noise_floor:
        return (
            f"underfits: even on its training points the error {training_mse:.4f} is "
            f"{training_mse / noise_floor:.0f}× the noise floor {noise_floor:.4f}"
        )
    if training_mse < noise_floor / 2 and validation_mse > 2 * noise_floor:
        return (
            f"overfits: its training error {training_mse:.4f} is below the noise floor {noise_floor:.4f}, "
            f"which only fitting the noise can reach, while on new points it is {validation_mse:.4f}"
        )
    if validation_mse <= 2 * noise_floor:
        return f"fits well: validation error {validation_mse:.4f}, within 2× of the noise floor {noise_floor:.4f}"
    return (
        f"fits only partly: training error {training_mse:.4f}, validation error {validation_mse:.4f}, "
        f"noise floor {noise_floor:.4f}"
    )


def silent_channel_verdict(channel: str, fires_on: float, images: int) -> str:
    """Why a feature map is all zero on one image: a dead channel (zero on every image: its ReLU
    passes nothing, so no gradient reaches its filter and it cannot learn again), or a pattern
    this image lacks (the channel fires on a fraction `fires_on` of the images)."""
    if fires_on == 0:
        return (
            f"{channel} is zero on this digit and on all {images} test digits: a dead channel — its ReLU "
            "passes nothing, so no gradient reaches its filter and it cannot learn again"
        )
    return (
        f"{channel} is zero on this digit but fires on {fires_on:.1%} of the {images} test digits: "
        "this digit lacks the pattern it detects"
    )


def binomial_noise(p: float, samples: int) -> float:
    """Twice the standard error of a share p measured on `samples` draws, 2·sqrt(p(1 − p)/n)."""
    return 2 * (p * (1 - p) / samples) ** 0.5


def accuracy_difference_noise(first: float, second: float, test_images: int) -> float:
    """Twice the standard error of a difference of two accuracies measured on `test_images` images,
    2·sqrt(2·p(1 − p)/n) with p their mean (binomial sampling noise): a smaller difference does not count."""
    return binomial_noise((first + second) / 2, test_images) * 2**0.5


def accuracy_gain_verdict(cheap: float, costly: float, test_images: int) -> str:
    """What a costlier model's test accuracy bought over a cheaper one's; a difference counts only
    beyond accuracy_difference_noise."""
    noise = accuracy_difference_noise(cheap, costly, test_images)
    if costly - cheap > noise:
        return (
            f"the extra compute bought accuracy: {costly:.1%} against {cheap:.1%}, more than the "
            f"±{noise:.1%} that {test_images} test images can tell apart"
        )
    if cheap - costly > noise:
        return (
            f"the costlier model scored lower ({costly:.1%} against {cheap:.1%}, beyond the ±{noise:.1%} "
            f"noise of {test_images} test images): compute alone does not buy accuracy"
        )
    return (
        f"the extra compute bought no measurable accuracy: {costly:.1%} against {cheap:.1%} is within the "
        f"±{noise:.1%} that {test_images} test images can tell apart"
    )


def residual_verdict(residual_loss: float, plain_loss: float, margin: float = 0.1) -> str:
    """Whether residual shortcuts made the same deep network train better: a final training loss
    lower by more than `margin` (10 %) of the other counts, a smaller difference does not."""
    if residual_loss < (1 - margin) * plain_loss:
        return (
            f"with shortcuts the training loss fell to {residual_loss:.3g} against {plain_loss:.3g} without: "
            "the gradient reaches the early layers through the shortcuts, and the depth trains"
        )
    if plain_loss < (1 - margin) * residual_loss:
        return (
            f"without shortcuts the training loss is lower ({plain_loss:.3g} against {residual_loss:.3g}): "
            "at this depth and training length the shortcuts did not help"
        )
    return (
        f"the training losses with and without shortcuts ({residual_loss:.3g} and {plain_loss:.3g}) are "
        f"within {margin:.0%} of each other: in a run of this length the shortcuts make no difference"
    )


def detections_verdict(matches, match_iou: float = 0.5) -> str:
    """How the boxes kept after NMS cover the true objects. matches: (kept boxes, objects) IoU
    matrix. An object counts as found when a kept box overlaps it at IoU ≥ match_iou; a kept box
    that finds no object, or one already found, is an extra (a false or duplicate detection)."""
    found = {int(row.argmax()) for row in matches if row.max() >= match_iou}
    extra = len(matches) - len(found)
    objects = matches.shape[1]
    text = f"{len(matches)} detection(s) that find {len(found)} of the {objects} objects at IoU ≥ {match_iou}"
    if len(found) == objects and extra == 0:
        return text + ", one box per object"
    return (
        text
        + (f", with {extra} false or duplicate box(es)" if extra else "")
        + (f"; {objects - len(found)} object(s) missed" if len(found) < objects else "")
    )


def dice_verdict(mean_dice: float, close: float = 0.9, rough: float = 0.7) -> str:
    """How well predicted masks match the true ones, by their mean Dice coefficient: above `close`
    (0.9) the outlines agree closely, above `rough` (0.7) the tumours are found with rough outlines."""
    if mean_dice >= close:
        return f"Dice {mean_dice:.3f}: its masks follow the tumours' outlines closely"
    if mean_dice >= rough:
        return f"Dice {mean_dice:.3f}: it finds the tumours, with rough outlines"
    return f"Dice {mean_dice:.3f}: its masks are still far from the tumours' outlines"


def paired_score_verdict(scores_a, scores_b, name_a: str, name_b: str) -> str:
    """Which of two models scores higher on the same images (e.g. Dice per image): a difference of
    the means counts only beyond twice the standard error of the mean per-image difference."""
    differences = [b - a for a, b in zip(scores_a, scores_b)]
    n = len(differences)
    mean = sum(differences) / n
    spread = (sum((d - mean) ** 2 for d in differences) / max(n - 1, 1)) ** 0.5
    noise = 2 * spread / n**0.5
    if abs(mean) <= noise:
        return (
            f"{name_a} and {name_b} score the same within the noise of {n} images "
            f"(difference {fixed(mean, 3, plus=True)}, ±{noise:.3f})"
        )
    better, worse = (name_b, name_a) if mean > 0 else (name_a, name_b)
    return f"{better} scores higher than {worse} by {abs(mean):.3f} on average over {n} images (±{noise:.3f})"


def attention_verdict(
    tumour: float, head: float, outside: float, outside_variation: float, head_variation: float, margin: float = 0.1
) -> str:
    """Where an attention gate opens, from its mean α on the tumour, the rest of the head and the
    background outside it: it singles out the tumour when α there exceeds the rest of the head's by
    more than `margin`. The variations (std of the skip features over the pixels of a region)
    say whether α outside the head matters: when the features there vary less than a quarter as
    much as inside, the gate passes an almost constant signal there, whatever α is."""
    text = f"the gate's mean α is {tumour:.2f} on the tumours, {head:.2f} on the rest of the head"
    if tumour > head + margin:
        text += ": it opens most where the tumour is"
    else:
        text += ": it does not single out the tumour"
    text += f"; outside the head it is {outside:.2f}"
    if outside_variation < head_variation / 4:
        return text + (
            f", but the skip features it weighs there are nearly constant (std {outside_variation:.2f} "
            f"against {head_variation:.2f} inside the head), so it passes little information either way"
        )
    return text + (
        f", and the skip features there vary (std {outside_variation:.2f} against {head_variation:.2f} "
        "inside the head): the gate lets background detail through"
    )


def checkerboard_verdict(block_spread: float, neighbour_step: float) -> str:
    """Whether an up-sampled map shows the 2×2 checkerboard of a stride-2 up-convolution: the four
    pixels of a 2×2 block (each set by its own weight of the kernel) differ more, on average
    (block_spread, max − min in a block), than neighbouring blocks' means do (neighbour_step)."""
    if block_spread > neighbour_step:
        return (
            f"a 2×2 checkerboard: within a 2×2 block α varies by {block_spread:.2f}, more than the "
            f"{neighbour_step:.2f} between neighbouring blocks — each pixel of a block gets its own weight "
            "of the stride-2 up-convolution (Odena et al. 2016)"
        )
    return (
        f"no 2×2 checkerboard to speak of: within a 2×2 block α varies by {block_spread:.2f}, no more than "
        f"the {neighbour_step:.2f} between neighbouring blocks"
    )


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


LARGE_LOG_ODDS_EFFECT = 1.0  # a change of the log-odds by more than 1 (odds × e) counts as a large effect


def missed_effect_verdict(
    name: str, p_value: float, global_effect: float, alpha: float = 0.05, large: float = LARGE_LOG_ODDS_EFFECT
) -> str:
    """Whether TCAV missed an effect that a global test shows: its test for concept `name` is not
    significant while changing the concept in the images moves the class log-odds by `global_effect`.
    Returns "" when there is nothing to add (TCAV significant, or the global effect small)."""
    if p_value < alpha or abs(global_effect) <= large:
        return ""
    return (
        f"TCAV missed what the global test shows: changing '{name}' moves the log-odds by "
        f"{fixed(global_effect, plus=True)}, "
        "yet the directional derivatives along its CAV are not significantly different from random ones "
        "(a saturated score barely varies between images, so the per-CAV scores sit near 0 or 1)"
    )


# --- The Husky-vs-Wolf model's name, and what LIME's hiding changes (blackbox, gradcam, lime) ---


def learned_shortcut(same_accuracy: float, swapped_accuracy: float, good: float = 0.9) -> bool:
    """True exactly when shortcut_verdict says "learned the shortcut": at least `good` correct on
    images made like the training ones, and no better than chance (50 %) with the backgrounds swapped."""
    return same_accuracy >= good and swapped_accuracy <= 0.5


def learned_without_shortcut(same_accuracy: float, swapped_accuracy: float, good: float = 0.9) -> bool:
    """True exactly when shortcut_verdict says "does not depend on the background": at least `good`
    correct with the training set's backgrounds and with them swapped."""
    return same_accuracy >= good and swapped_accuracy >= good


def comparison_premise(biased: tuple[float, float], fair: tuple[float, float], good: float = 0.9) -> str | None:
    """Why comparing the explanations of the model trained on the confounded images with those of the
    model trained on random backgrounds would show nothing, or None when it can: the first must have
    learned the shortcut and the second the task without it. Each pair: (accuracy with the training
    set's backgrounds, accuracy with them swapped)."""
    missing = []
    if not learned_shortcut(*biased, good):
        missing.append(f"the model trained on the biased data {shortcut_verdict(*biased, good)}")
    if not learned_without_shortcut(*fair, good):
        missing.append(f"the model trained on random backgrounds {shortcut_verdict(*fair, good)}")
    return "; ".join(missing) if missing else None


def biased_model_name(same_accuracy: float, swapped_accuracy: float, good: float = 0.9) -> str:
    """What a lesson may call the model trained on the confounded Husky-vs-Wolf images: "the
    shortcut model" only when its own test accuracies show the shortcut (learned_shortcut); a
    short run may not have learned it at all."""
    if learned_shortcut(same_accuracy, swapped_accuracy, good):
        return "the shortcut model"
    return "the model trained on the biased data"


HIDING_CONTRAST = 3.0  # one part's mean change at most 1/3 of another's: hiding "barely changes" it, by comparison


def hiding_change_verdict(
    part_change: float, rest_change: float, part: str, rest: str, factor: float = HIDING_CONTRAST
) -> str:
    """How much LIME's hiding (its superpixels set to the hide colour) changes the pixels of one
    part of the image against the rest: the mean absolute change of each part's pixels. Completes
    "hiding with this colour ..."."""
    numbers = f"mean absolute change {part_change:.2f} on {part}, {rest_change:.2f} on {rest}"
    if part_change * factor <= rest_change:
        return f"barely changes {part} beside {rest} ({numbers}): hiding {part} leaves it much as it was"
    if rest_change * factor <= part_change:
        return f"changes {part} far more than {rest} ({numbers})"
    return f"changes {part} about as much as {rest}, within a factor {factor:g} ({numbers})"


def separation_verdict(
    method: str,
    first: str,
    first_share: float,
    first_area: float,
    second: str,
    second_share: float,
    second_area: float,
    thing: str = "the animal",
) -> str:
    """Whether an explanation method tells two models apart by where its heat lies: heat_place of
    each model's mean share of the heat on `thing`, against `thing`'s mean share of the image (nan
    when all of a model's maps are 0 everywhere, see heat.mean_share_with_heat)."""
    if np.isnan(first_share) or np.isnan(second_share):
        return f"{method} cannot tell {first} from {second} by where its heat lies: one has no heat at all"
    first_place, second_place = heat_place(first_share, first_area, thing), heat_place(second_share, second_area, thing)
    numbers = (
        f"{first_share:.1%} of its heat on {thing} covering {first_area:.1%}, against {second_share:.1%} on "
        f"{thing} covering {second_area:.1%}"
    )
    if first_place == second_place:
        return f"{method} does not separate {first} from {second}: its heat is {first_place} for both ({numbers})"
    return f"{method} separates {first} from {second}: {first_place} against {second_place} ({numbers})"


def unchanged_cells_verdict(unchanged: int, count: int, noise_level: float) -> str:
    """LIME's superpixels that already have the hide colour everywhere: hiding them changes no
    pixel, so the model cannot respond and their weights (largest |β| noise_level) are the fit's
    noise. Completes a sentence."""
    if unchanged == 0:
        return f"none of the {count} superpixels has the hide colour everywhere, so no weight here is pure noise"
    return (
        f"{unchanged} of the {count} superpixels have the hide colour everywhere already: hiding them changes "
        f"nothing, so their weights, up to |β| = {noise_level:.2g}, are the fit's noise"
    )


def maps_place(share: float, area: float, empty: int, total: int, thing: str = "the animal") -> str:
    """heat_place over `total` maps of which `empty` are 0 everywhere (share and area: the means
    over the others, nan when none is left; see heat.mean_share_with_heat). For one map, total = 1.
    Completes "where the heat lies: ..." (a map without heat lies nowhere: "no heat anywhere")."""
    if empty == total:
        return "no heat anywhere" if total == 1 else f"no heat anywhere (all {total} maps are 0)"
    place = heat_place(share, area, thing)
    return f"{place} ({total - empty} of {total} maps have heat)" if empty else place


def maps_location_verdict(share: float, area: float, empty: int, total: int, thing: str = "the animal") -> str:
    """heat_location_verdict over `total` maps of which `empty` are 0 everywhere and left out
    (share and area: the means over the others); completes "the heat ..."."""
    if empty == total:
        return f"is 0 everywhere on all {total} images: there is no heat to place"
    text = heat_location_verdict(share, area, thing)
    if empty:
        return f"{text}, over the {total - empty} of {total} maps that have heat ({empty} are 0 everywhere)"
    return text


# --- ante_hoc: models explainable by construction against post-hoc explanations ---------------
EXACT_TO = 1e-4  # relative gap below which a map adds up to the score (float32 rounding is ~1e-7)


def transparency_price(name: str, accuracy: float, opaque_name: str, opaque_accuracy: float, test_images: int) -> str:
    """What a transparent model's test accuracy costs against an opaque one's, beyond the noise of
    `test_images` test images (accuracy_difference_noise); completes "<name> ..."."""
    noise = accuracy_difference_noise(accuracy, opaque_accuracy, test_images)
    numbers = f"{accuracy:.1%} against {opaque_name}'s {opaque_accuracy:.1%}"
    if opaque_accuracy - accuracy > noise:
        return (
            f"pays {100 * (opaque_accuracy - accuracy):.1f} points for its transparency ({numbers}, beyond the "
            f"±{noise:.1%} that {test_images} test images can tell apart)"
        )
    if accuracy - opaque_accuracy > noise:
        return f"pays nothing and even does better ({numbers}, beyond the ±{noise:.1%} noise)"
    return (
        f"pays no measurable price ({numbers}, within the ±{noise:.1%} that {test_images} test images can tell apart)"
    )


def adds_up_verdict(gaps: dict[str, float], exact_to: float = EXACT_TO) -> str:
    """Whether ante-hoc explanations are their models' own computation, from the largest relative gap
    between each model's score and what its explanation adds up to (explanation name → gap)."""
    numbers = ", ".join(f"{name} {gap:.1e}" for name, gap in gaps.items())
    off = [name for name, gap in gaps.items() if not gap <= exact_to]  # a NaN gap is off too
    if not off:
        return (
            f"each map adds up to its model's score (largest relative gaps: {numbers}): it is the model's computation"
        )
    return f"not every map adds up to its model's score ({', '.join(off)} off by more than {exact_to:g}: {numbers})"


def recovers_cam_verdict(difference: float, positions: int, exact_to: float = EXACT_TO) -> str:
    """Whether Grad-CAM on a GAP network's last layer gives CAM's map back divided by the number of
    positions h·w (Selvaraju et al. 2017, §3.1), from the largest difference of the two maps
    relative to CAM's largest |value|. Completes "Grad-CAM on the GAP network's last layer ..."."""
    numbers = f"largest relative difference {difference:.0e}"
    if difference <= exact_to:
        return f"gives the CAM back times 1/{positions} ({numbers})"
    return f"does not give the CAM back times 1/{positions} ({numbers}, more than {exact_to:g})"


def agreement_verdict(correlations: dict[tuple[str, str], float], same: float = 0.9, low: float = 0.5) -> str:
    """How far the maps of several explanations agree, from the mean Spearman rank correlation of
    each pair: the closest and the farthest pair, and how many pairs give nearly the same ranking
    (at least `same`) or rank the cells differently (below `low`)."""
    if not correlations:
        raise ValueError("agreement_verdict: need at least one pair of maps")
    order = sorted(correlations, key=correlations.get)
    farthest, closest = order[0], order[-1]
    alike = sum(rho >= same for rho in correlations.values())
    apart = sum(rho < low for rho in correlations.values())
    return (
        f"the closest pair is {' and '.join(closest)} (Spearman {correlations[closest]:.2f}), the farthest "
        f"{' and '.join(farthest)} ({correlations[farthest]:.2f}); {alike} of the {len(correlations)} pairs rank "
        f"the cells nearly alike (≥ {same}), {apart} rank them differently (< {low})"
    )


def random_ranking_wins(
    deletion: list[float], insertion: list[float], random_deletion: list[float], random_insertion: list[float]
) -> tuple[str, ...]:
    """The tests, of deletion (lower is better) and insertion (higher), in which one explanation's
    per-image areas are clearly better (clearly_better) than those of a random ranking of the same model."""
    return tuple(
        test
        for test, values, baseline, lower in (
            ("deletion", deletion, random_deletion, True),
            ("insertion", insertion, random_insertion, False),
        )
        if clearly_better(values, baseline, lower)
    )


def faithfulness_verdict(wins: dict[str, tuple[str, ...]]) -> str:
    """The explanations grouped by the tests in which they beat a random ranking of their own model
    (random_ranking_wins: explanation name → the tests won)."""
    groups = {
        "in both tests": [name for name, won in wins.items() if len(won) == 2],
        "in deletion only": [name for name, won in wins.items() if won == ("deletion",)],
        "in insertion only": [name for name, won in wins.items() if won == ("insertion",)],
        "in neither test": [name for name, won in wins.items() if not won],
    }
    return "clearly better than a random ranking of their own model " + "; ".join(
        f"{group}: {', '.join(names)}" for group, names in groups.items() if names
    )


# --- rules (Anchors) ---------------------------------------------------------------------------


def held_out_verdict(precisions, threshold: float, tolerance: float, samples: int, rejected: int = 0) -> str:
    """Whether the anchors the search accepted keep their promise on fresh perturbations (`samples`
    per anchor, none of which the search saw): their mean precision must reach τ and each one
    τ − tolerance (the tolerance with which the search accepts an anchor), both up to the binomial
    noise of the fresh samples, binomial_noise(p, n) with p the value compared with and n the
    samples behind the number (samples for one anchor, samples × anchors for the mean). rejected:
    the searches that found no anchor, left out of precisions and counted. Completes "on fresh
    perturbations the anchors ..."."""
    precisions = np.asarray(precisions, dtype=np.float64)
    if precisions.size == 0:
        return f"cannot be checked: none of the {rejected} searches found an anchor"
    floor = threshold - tolerance
    one_noise = binomial_noise(floor, samples)
    mean_noise = binomial_noise(threshold, samples * precisions.size)
    below = int((precisions < floor - one_noise).sum())
    reached = int((precisions >= threshold).sum())
    numbers = (
        f"mean precision {precisions.mean():.3f}, lowest {precisions.min():.3f}; {reached} of {precisions.size} "
        f"at or above τ = {threshold:g}; sampling noise ±{mean_noise:.3f} on the mean, ±{one_noise:.3f} on each"
    )
    if rejected:
        numbers += f"; the {rejected} search{'es' if rejected > 1 else ''} that found no anchor left out"
    if precisions.mean() >= threshold - mean_noise and below == 0:
        return f"keep their promise ({numbers})"
    if precisions.mean() >= threshold - mean_noise:
        return (
            f"keep it on average but not each one: {below} fall{'s' if below == 1 else ''} more than "
            f"{tolerance:g} below τ, beyond the sampling noise ({numbers})"
        )
    return f"fall short of it: their mean precision is below τ by more than the sampling noise ({numbers})"


def anchor_location_verdict(share: float, area: float, empty: int, total: int, thing: str = "the animal") -> str:
    """Where the anchors of `total` images lie, from the mean share of their cells' pixels inside
    `thing` and `thing`'s mean share of the image, both averaged over the non-empty anchors only
    (`empty` of them are empty: such an anchor needs no cell at all), with heat_location's factor.
    Completes "the anchors ..."."""
    if empty == total:
        return (
            f"are all empty: on each of the {total} images the answer holds with the cells kept or hidden at "
            "random, so no place in the image is needed for it"
        )
    where = heat_location(share, area)
    numbers = f"{share:.0%} of their cells' area on {thing}, which covers {area:.0%} of the image"
    left_out = f"; {empty} of the {total} are empty, the answer holding whatever cells are kept" if empty else ""
    if where == "object":
        return f"sit on {thing} ({numbers}){left_out}"
    if where == "background":
        return f"sit on the background, not on {thing} ({numbers}){left_out}"
    return f"do not single out {thing} or the background ({numbers}){left_out}"


OVERLAP_FACTOR = 2.0  # an overlap with LIME's top cells at least twice what random cells give is "beyond chance"


def overlap_verdict(overlap: float, chance: float, factor: float = OVERLAP_FACTOR) -> str:
    """How far the anchors' cells are LIME's top cells (as many as the anchor has): the mean share
    of the anchor's cells among them, against the share random cells would get (chance = k / K).
    Completes "the anchors' cells ..."."""
    numbers = f"{overlap:.0%} of them are among LIME's top cells, against {chance:.0%} for random cells"
    if overlap >= 0.5 and overlap >= factor * chance:
        return f"are mostly LIME's top cells ({numbers}): the two methods point at the same places"
    if overlap >= factor * chance:
        return f"meet LIME's top cells more than chance, but mostly differ from them ({numbers})"
    return f"do not meet LIME's top cells clearly more than chance ({numbers}; less than {factor:g} times as many)"
