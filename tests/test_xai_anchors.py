"""Anchors and its KL-LUCB bandit: the KL confidence bounds against closed forms and their defining
equation, KL-LUCB on arms of known means, and the anchor of a synthetic model whose rule is known —
found exactly, precise on fresh perturbations, minimal, the same for the same seed."""

import numpy as np
import pytest

from minidl.xai import AnchorExplainer, held_out_precision
from minidl.xai.anchors import AnchorSearch
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


def two_rules(first_guards, second_guards):
    """Class 1 iff cell 3 and one of first_guards are kept, or cell 7 and one of second_guards: with
    more guards, the anchor {7} is the more precise of the two one-cell anchors."""

    def predict_two(batch):
        kept = batch[:, 0].reshape(len(batch), -1) != 0
        yes = (kept[:, 3] & kept[:, first_guards].any(axis=1)) | (kept[:, 7] & kept[:, second_guards].any(axis=1))
        return np.stack([~yes, yes], axis=1).astype(np.float64)

    return predict_two


# ----- the KL bounds ----------------------------------------------------------------------------
def test_kl_bounds_at_the_ends_have_closed_forms():
    level = np.array([0.01, 0.3, 2.0])
    # d(1, q) = −log q and d(0, q) = −log(1 − q): L(1) = e^−level, U(0) = 1 − e^−level
    np.testing.assert_allclose(kl_lower_bound(1.0, level), np.exp(-level), rtol=1e-10)
    np.testing.assert_allclose(kl_upper_bound(0.0, level), 1 - np.exp(-level), rtol=1e-10)
    assert (kl_upper_bound(0.0, level) >= 1 - np.exp(-level)).all()  # the outer end: never inside the interval
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
    assert bernoulli_kl(mean, upper) >= level  # U is the bisection's outer end: on or beyond the exact bound
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

    chosen = kl_lucb(positives.copy(), counts.copy(), pull, top=2, epsilon=0.05, delta=0.05, max_draws=10**6)
    np.testing.assert_array_equal(chosen, [1, 3])
    assert counts[2] < counts[4] and counts[2] < counts[3]  # 0.1 is out at once; 0.5 and 0.85 take longer
    assert exploration_rate(5, 10, 0.05) > exploration_rate(5, 1, 0.05) > np.log(1 / 0.05)


def test_exploration_rate_by_hand():
    # log(405.5 · 5 · 10^1.1 / 0.05) = 6.00512 + 1.60944 + 2.53284 + 2.99573 = 13.14313; + log 13.14313 = 15.71903
    assert exploration_rate(5, 10, 0.05) == pytest.approx(15.71903, abs=1e-5)


def test_kl_lucb_stops_at_its_draw_budget():
    draws = []

    def pull(arm):
        draws.append(arm)
        return 10, 20  # every arm at mean 0.5 against 0.5: the bounds never separate them

    chosen = kl_lucb(np.array([10.0, 10.0, 10.0]), np.array([20.0, 20.0, 20.0]), pull, 1, 0.01, 0.05, max_draws=200)
    assert len(chosen) == 1 and len(draws) == 10  # 5 rounds of 2 pulls of 20 draws


# ----- the anchor of a known rule --------------------------------------------------------------
def test_the_anchor_of_a_known_rule_is_found_exactly_precise_on_fresh_samples_and_minimal():
    explanation = explain(class_names=["no", "yes"])
    assert explanation.anchor == RULE and explanation.valid and explanation.target == 1
    assert explanation.precision >= 0.95 and explanation.precision_lower >= 0.90
    assert (
        explanation.rule == f"if cells 3 and 7 are kept, the model says yes with precision {explanation.precision:.2f}"
    )
    measured = held_out_precision(explanation, IMAGE, predict, hide_color=0.0, num_samples=4000, seed=1)
    assert measured == pytest.approx(31 / 32, abs=0.01)
    assert explanation.coverage == 0.25 and explanation.failure == ""  # both cells kept by fair coins: 2^−2
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
    assert capped.failure == "no anchor of at most 1 cells reached precision 0.95" and capped.failure in capped.rule


def test_a_search_that_cannot_settle_stops_at_its_sample_budget():
    # ε_τ = 10⁻⁶ with the anchor's precision 31/32 close to τ = 0.97: the interval would take millions of samples
    stuck = AnchorExplainer(beam_width=1, tolerance=1e-6).explain(
        IMAGE, predict, cell_size=1, hide_color=0.0, seed=0, precision=31 / 32, max_samples=5000
    )
    assert not stuck.valid and 5000 <= stuck.samples <= 5000 + 16 * 50
    assert stuck.failure == "the budget of 5000 model calls ran out before an anchor was found"
    assert stuck.rule.endswith(f"(not an anchor: {stuck.failure})")


def test_of_two_valid_anchors_of_one_size_the_more_precise_is_chosen_else_the_more_precise_candidate():
    # prec({3}) = 1 − (1/16)(1 − ½·63/64) ≈ 0.968, prec({7}) = 1 − (1/64)(1 − ½·15/16) ≈ 0.992;
    # every other cell below 0.75
    both_valid = two_rules([0, 1, 2, 4], [5, 6, 8, 9, 10, 11])
    chosen = AnchorExplainer(beam_width=2).explain(
        IMAGE, both_valid, cell_size=1, hide_color=0.0, seed=0, precision=0.9
    )
    assert chosen.valid and chosen.anchor == (7,)  # the beam is [(3,), (7,)]: the second entry
    # prec({3}) = 1 − (1/4)(1 − ½·7/8) ≈ 0.859 and prec({7}) = 1 − (1/8)(1 − ½·3/4) ≈ 0.922: neither reaches 0.99
    neither = two_rules([0, 1], [5, 6, 8])
    fallback = AnchorExplainer(beam_width=2).explain(
        IMAGE, neither, cell_size=1, hide_color=0.0, seed=0, precision=0.99, max_anchor_size=1
    )
    assert not fallback.valid and fallback.anchor == (7,)


class BernoulliArms:
    """A stand-in for AnchorSearch whose anchors are Bernoulli arms of known means: settle's
    stopping rule seen on every count it passes through."""

    count, batch_size = 16, 25

    def __init__(self, mean, seed, max_samples=10**9):
        self.mean, self.rng, self.asked, self.max_samples = mean, np.random.default_rng(seed), 0, max_samples
        self.positives, self.total = self.rng.binomial(self.batch_size, mean), self.batch_size
        self.history = [(self.positives, self.total)]

    @property
    def exhausted(self):
        return self.asked >= self.max_samples

    def statistics(self, anchor):
        return self.positives, self.total

    def draw(self, anchor):
        assert not self.exhausted, "drew beyond the sample budget"
        won = self.rng.binomial(self.batch_size, self.mean)
        self.positives, self.total, self.asked = self.positives + won, self.total + self.batch_size, self.asked + 25
        self.history.append((self.positives, self.total))
        return won, self.batch_size


@pytest.mark.parametrize("tau", [0.9, 0.95])
@pytest.mark.parametrize("mean", [0.8, 0.88, 0.93, 0.95, 0.97, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_settle_stops_exactly_when_the_interval_settles_on_one_side_of_tau(tau, mean, seed):
    explainer = AnchorExplainer(beam_width=2, delta=0.1, tolerance=0.05)
    beta = np.log(2 * 16 / 0.1)  # log(B K / δ)

    def verdict(positives, total):
        p = positives / total
        lower, upper = float(kl_lower_bound(p, beta / total)), float(kl_upper_bound(p, beta / total))
        if p >= tau and lower >= tau - 0.05:
            return True, p, lower
        if p < tau and upper < tau + 0.05:
            return False, p, lower
        return None

    arms = BernoulliArms(mean, seed)
    result = explainer.settle(arms, (3,), tau)
    assert all(verdict(*counts) is None for counts in arms.history[:-1])  # no earlier stop was due
    assert result == verdict(*arms.history[-1])


def test_settle_gives_up_at_the_sample_budget():
    arms = BernoulliArms(0.95, seed=0, max_samples=1000)  # p = τ: with ε_τ = 10⁻⁶ the interval never settles
    valid, estimate, _ = AnchorExplainer(tolerance=1e-6).settle(arms, (3,), 0.95)
    assert not valid and arms.asked == 1000 and estimate == arms.history[-1][0] / arms.history[-1][1]


def test_a_candidate_reuses_only_samples_drawn_under_its_subsets():
    search = AnchorSearch(IMAGE, np.arange(16).reshape(4, 4), 0.0, predict, 50, 10**6, np.random.default_rng(0))
    for anchor in [(), (3,), (0, 3), (0, 3)]:
        search.draw(anchor)
    positives, total = search.statistics((3, 7))
    expected = [0, 0]
    for drawn_under in [(), (3,)]:  # not (0, 3): cell 0 is not in the anchor, its samples are of D(·|{0, 3, 7})
        kept, held = search.drawn[drawn_under]
        covered = kept[:, 3] & kept[:, 7]
        expected = [expected[0] + int(held[covered].sum()), expected[1] + int(covered.sum())]
    assert [positives, total] == expected and search.drawn[(0, 3)][0][:, 7].any()


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"precision": 0.0}, ["precision must be a number in (0, 1)", "0.0"]),
        ({"precision": 1.0}, ["precision must be a number in (0, 1)"]),
        ({"precision": True}, ["precision must be a number in (0, 1), got True"]),
        ({"precision": "0.9"}, ["precision must be a number in (0, 1), got '0.9'"]),
        ({"precision": np.array([0.9, 0.9])}, ["precision must be a number in (0, 1), got array"]),
        ({"precision": 0.03}, ["tolerance 0.05 must be below the precision 0.03"]),
        ({"cell_size": 9}, ["not smaller than the image"]),
        ({"cell_size": 0}, ["cell_size", "positive"]),
        ({"class_names": ["only one"]}, ["name the model's 2 classes, got 1"]),
        ({"class_names": "ab"}, ["class_names must be a sequence of names", "'ab'"]),
        ({"class_names": 5}, ["class_names must be a sequence of names", "got 5"]),
        ({"max_anchor_size": 17}, ["max_anchor_size", "[1, 16]"]),
        ({"max_anchor_size": True}, ["max_anchor_size must be a positive int, got True"]),
        ({"batch_size": 0}, ["batch_size must be a positive int, got 0"]),
        ({"batch_size": True}, ["batch_size must be a positive int, got True"]),
        ({"max_samples": 2.5}, ["max_samples must be a positive int, got 2.5"]),
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
    for kwargs in ({"beam_width": 0}, {"beam_width": True}, {"delta": 1.0}, {"delta": "x"}, {"epsilon": 0.0}):
        name, value = next(iter(kwargs.items()))
        with pytest.raises(ValueError, match=f"AnchorExplainer: {name} must be a .* got {value!r}"):
            AnchorExplainer(**kwargs)
    explanation = explain()
    for kwargs in ({"num_samples": True}, {"batch_size": 2.5}):
        name, value = next(iter(kwargs.items()))
        with pytest.raises(ValueError, match=f"Anchors: {name} must be a positive int, got {value!r}"):
            held_out_precision(explanation, IMAGE, predict, 0.0, **kwargs)
