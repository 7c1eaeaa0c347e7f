"""Anchors (Ribeiro, Singh & Guestrin, "Anchors: High-precision model-agnostic explanations", AAAI
2018) for images, over the same grid superpixels as LIME.

LIME says how much each superpixel pushes the class score; an anchor says which superpixels are
enough: a set A of cells such that, kept while the other cells are hidden at random, the model
still gives the answer it gives on the intact image x, with probability at least τ:

    prec(A) = P_{z ~ D(·|A)} [f(z) = f(x)] ≥ τ,      cov(A) = P_{z ~ D} [every cell of A kept in z].

D is LIME's perturbation distribution: each cell kept by a fair coin, hidden otherwise (it shows
hide_color, or its own mean colour); D(·|A) the same with the cells of A always kept. Under fair
coins the coverage is exactly 2^−|A|, so the anchor of highest coverage is a smallest one, and
between anchors of the same size the more precise one is chosen. The rule reads "if cells 5, 9 and
12 are kept, the model says 7 with precision 0.96".

The search is the paper's Algorithm 2:

1. beam search: start from the empty anchor; each round extends each of the B anchors kept by one
   more cell; the first round with a valid anchor ends the search (later rounds' anchors are
   larger, so their coverage is lower);
2. B-best candidates: KL-LUCB (minidl/xai/kl_lucb.py) picks the B candidates of highest precision
   with probability 1 − δ, up to ε, sampling D(·|A) only for the candidates still in doubt;
3. validity: each chosen anchor is sampled until its confidence interval [L, U] settles on one side
   of τ. The paper's Algorithm 2 accepts when L > τ; like the authors' code (anchor-exp's
   epsilon_stop), this search allows a tolerance ε_τ: an anchor is valid when p̂ ≥ τ and
   L ≥ τ − ε_τ, invalid when p̂ < τ and U < τ + ε_τ.

A sample of D(·|S) in which every cell of A ⊇ S happens to be kept is a sample of D(·|A): the
other cells are still fair coins. So each candidate starts with the samples its ancestors in the
search paid for, and the model is asked far fewer questions. The search stops, with no valid
anchor, once the model has been asked about max_samples perturbed images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from minidl.progress import progress
from minidl.rng import generator_for
from minidl.shapes import positive_int
from minidl.xai.kl_lucb import kl_lower_bound, kl_lucb, kl_upper_bound
from minidl.xai.perturbation import (
    PredictFn,
    check_image_and_segments,
    hidden_image,
    pick_target,
    predict_coalitions,
)

Anchor = tuple[int, ...]  # cells kept, in increasing order
Verdict = tuple[bool, float, float]  # (valid, p̂, L) of one anchor
BATCH_SIZE = 50  # perturbed images per question to the model, in the search and in held_out_precision
MAX_SAMPLES = 500_000  # the search's budget of perturbed images (the lesson's digits need 4,000-50,000)


@dataclass
class AnchorExplanation:
    anchor: Anchor  # the cells kept by the rule, in increasing order
    precision: float  # p̂: share of the samples of D(·|anchor) in which the model's answer held
    precision_lower: float  # L, the KL lower bound of the precision used to accept the anchor
    coverage: float  # 2^−|anchor|: the share of the perturbations of D in which every cell of the anchor is kept
    target: int  # the model's answer on the intact image
    rule: str
    valid: bool  # False when no anchor was found: the most precise candidate of the last round
    failure: str  # why no anchor was found ("" when valid): the size limit or the sample budget
    segments: np.ndarray  # (H, W) superpixel labels 0..K−1
    samples: int  # perturbed images the model was asked about

    def mask(self) -> np.ndarray:
        """(H, W) ints: 1 on the anchor's cells, 0 elsewhere (as minidl.viz.lime_overlay takes it)."""
        return np.isin(self.segments, self.anchor).astype(np.int64)


def anchor_rule(anchor: Anchor, answer: str, precision: float) -> str:
    """ "if cells 5, 9 and 12 are kept, the model says 7 with precision 0.96"."""
    said = f"the model says {answer} with precision {precision:.2f}"
    if not anchor:
        return f"whatever cells are kept, {said}"
    cells = str(anchor[0]) if len(anchor) == 1 else f"{', '.join(map(str, anchor[:-1]))} and {anchor[-1]}"
    return f"if cell{'s' if len(anchor) > 1 else ''} {cells} {'are' if len(anchor) > 1 else 'is'} kept, {said}"


def rule_coverage(anchor: Anchor) -> float:
    """cov(A) = P_{z ~ D}[every cell of A kept] = 2^−|A|: the cells are kept by independent fair coins."""
    return 0.5 ** len(anchor)


def open_unit(op: str, name: str, value: float) -> float:
    """value as a float, when it is a real number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 < value < 1:
        raise ValueError(f"{op}: {name} must be a number in (0, 1), got {value!r}")
    return float(value)


def sample_rule(
    image: np.ndarray,
    hidden: np.ndarray,
    segments: np.ndarray,
    anchor: Anchor,
    target: int,
    predict_fn: PredictFn,
    samples: int,
    batch_size: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(kept (samples, K) bool, held (samples,) bool): samples of D(·|anchor) — the anchor's cells
    kept, every other cell kept by a fair coin — and whether the model's top class on each is target."""
    kept = rng.integers(0, 2, (samples, int(segments.max()) + 1))
    kept[:, list(anchor)] = 1
    scores = predict_coalitions("Anchors", image, hidden, segments, kept, predict_fn, batch_size)
    return kept.astype(bool), scores.argmax(axis=1) == target


class AnchorSearch:
    """One explanation's state: the samples drawn so far, grouped by the anchor they were drawn
    under (D(·|S), with S the key), and how many of the max_samples allowed were asked about."""

    def __init__(
        self,
        image: np.ndarray,
        segments: np.ndarray,
        hide_color: float | None,
        predict_fn: PredictFn,
        batch_size: int,
        max_samples: int,
        rng: np.random.Generator,
    ):
        self.image, self.segments, self.predict_fn = image, segments, predict_fn
        self.hidden = hidden_image(image, segments, hide_color)
        self.count, self.batch_size, self.max_samples, self.rng = int(segments.max()) + 1, batch_size, max_samples, rng
        self.scores = predict_coalitions(
            "Anchors", image, self.hidden, segments, np.ones((1, self.count), np.int64), predict_fn, batch_size
        )[0]
        self.target = pick_target("Anchors", self.scores, None)
        self.drawn: dict[Anchor, tuple[np.ndarray, np.ndarray]] = {}  # S -> (kept (n, K) bool, answer held (n,))
        self.asked = 0

    @property
    def exhausted(self) -> bool:
        return self.asked >= self.max_samples

    def draw(self, anchor: Anchor) -> tuple[int, int]:
        """Ask the model about batch_size samples of D(·|anchor); (answers that held, samples)."""
        kept, held = sample_rule(
            self.image, self.hidden, self.segments, anchor, self.target, self.predict_fn,
            self.batch_size, self.batch_size, self.rng,
        )  # fmt: skip
        self.asked += len(kept)
        old_kept, old_held = self.drawn.get(anchor, (np.zeros((0, self.count), bool), np.zeros(0, bool)))
        self.drawn[anchor] = (np.concatenate([old_kept, kept]), np.concatenate([old_held, held]))
        return int(held.sum()), len(held)

    def statistics(self, anchor: Anchor) -> tuple[int, int]:
        """(answers that held, samples) over every sample of D(·|anchor) drawn so far: those drawn
        under a subset S of the anchor in which all of its cells are kept."""
        cells, positives, total = set(anchor), 0, 0
        for drawn_under, (kept, held) in self.drawn.items():
            if cells.issuperset(drawn_under):
                covered = kept[:, list(anchor)].all(axis=1)
                positives, total = positives + int(held[covered].sum()), total + int(covered.sum())
        return positives, total


def held_out_precision(
    explanation: AnchorExplanation,
    image: np.ndarray,
    predict_fn: PredictFn,
    hide_color: float | None = None,
    num_samples: int = 1000,
    seed: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> float:
    """prec(A) measured again on num_samples fresh samples of D(·|A), none of which the search saw
    (hide_color as in the explanation): does the anchor keep its promise? Its binomial noise is
    about ±2·sqrt(p(1 − p) / num_samples)."""
    image, segments = check_image_and_segments("Anchors", image, 1, explanation.segments)
    num_samples = positive_int("Anchors", "num_samples", num_samples)
    batch_size = positive_int("Anchors", "batch_size", batch_size)
    hidden = hidden_image(image, segments, hide_color)
    _, held = sample_rule(
        image, hidden, segments, explanation.anchor, explanation.target, predict_fn,
        num_samples, batch_size, generator_for(seed),
    )  # fmt: skip
    return float(held.mean())


class AnchorExplainer:
    """explanation = AnchorExplainer().explain(image, predict_fn, cell_size=4, precision=0.95, seed=0);
    explanation.rule, .anchor, .precision, .coverage.

    beam_width B: anchors kept from one round to the next; delta δ: the confidence bounds fail
    with probability at most δ; epsilon ε: KL-LUCB's tolerance when it ranks the candidates;
    tolerance ε_τ: how far below τ the lower bound of an accepted anchor may lie (the stopping rule
    of the authors' code; the paper's Algorithm 2 has none)."""

    def __init__(self, beam_width: int = 2, delta: float = 0.1, epsilon: float = 0.1, tolerance: float = 0.05):
        self.beam_width = positive_int("AnchorExplainer", "beam_width", beam_width)
        self.delta = open_unit("AnchorExplainer", "delta", delta)
        self.epsilon = open_unit("AnchorExplainer", "epsilon", epsilon)
        self.tolerance = open_unit("AnchorExplainer", "tolerance", tolerance)

    def explain(
        self,
        image: np.ndarray,
        predict_fn: PredictFn,
        cell_size: int = 4,
        precision: float = 0.95,
        seed: int | None = None,
        segments: np.ndarray | None = None,
        hide_color: float | None = None,
        class_names: Sequence[str] | None = None,
        max_anchor_size: int | None = None,
        batch_size: int = BATCH_SIZE,
        max_samples: int = MAX_SAMPLES,
    ) -> AnchorExplanation:
        """The anchor of image (C, H, W) for predict_fn's answer on it (the top class of its scores
        (n, classes) for images (n, C, H, W)), at precision threshold τ = precision. The model is
        asked batch_size perturbed images at a time, and about max_samples at most: a search that
        has not found an anchor by then stops and says so (valid False, failure). seed None draws
        from minidl's global generator."""
        image, segments = check_image_and_segments("Anchors", image, cell_size, segments)
        precision = open_unit("Anchors", "precision", precision)
        if not self.tolerance < precision:
            raise ValueError(f"Anchors: the tolerance {self.tolerance} must be below the precision {precision}")
        count = int(segments.max()) + 1
        batch_size = positive_int("Anchors", "batch_size", batch_size)
        max_samples = positive_int("Anchors", "max_samples", max_samples)
        max_anchor_size = (
            count if max_anchor_size is None else positive_int("Anchors", "max_anchor_size", max_anchor_size)
        )
        if max_anchor_size > count:
            raise ValueError(f"Anchors: max_anchor_size must be an int in [1, {count}], got {max_anchor_size!r}")
        if class_names is not None and (
            isinstance(class_names, str) or not isinstance(class_names, (Sequence, np.ndarray))
        ):
            raise ValueError(f"Anchors: class_names must be a sequence of names, one per class, got {class_names!r}")
        search = AnchorSearch(image, segments, hide_color, predict_fn, batch_size, max_samples, generator_for(seed))
        if class_names is not None and len(class_names) != len(search.scores):
            raise ValueError(
                f"Anchors: class_names must name the model's {len(search.scores)} classes, got {len(class_names)} names"
            )
        anchor, (valid, estimate, lower) = self.beam_search(search, precision, max_anchor_size)
        answer = str(class_names[search.target]) if class_names is not None else str(search.target)
        if valid:
            failure = ""
        elif search.exhausted:
            failure = f"the budget of {max_samples} model calls ran out before an anchor was found"
        else:
            failure = f"no anchor of at most {max_anchor_size} cells reached precision {precision:g}"
        rule = anchor_rule(anchor, answer, estimate) + (f" (not an anchor: {failure})" if failure else "")
        return AnchorExplanation(
            anchor, estimate, lower, rule_coverage(anchor), search.target, rule, valid, failure, segments, search.asked
        )

    def beam_search(self, search: AnchorSearch, threshold: float, max_size: int) -> tuple[Anchor, Verdict]:
        """The paper's Algorithm 2: (anchor, (valid, p̂, L)), the valid anchor of highest coverage (the
        smallest; the most precise of those), else the most precise candidate of the last round."""
        search.draw(())
        empty = self.settle(search, (), threshold)
        if empty[0] or search.exhausted:
            return (), empty
        beam: list[Anchor] = [()]
        rounds = progress(range(1, max_size + 1), "Anchors", unit="round")
        for size in rounds:
            candidates = sorted({tuple(sorted({*anchor, cell})) for anchor in beam for cell in range(search.count)})
            candidates = [c for c in candidates if len(c) == size]
            beam = [candidates[i] for i in self.best_candidates(search, candidates)]
            verdicts = {anchor: self.settle(search, anchor, threshold) for anchor in beam}
            valid = [anchor for anchor in beam if verdicts[anchor][0]]
            rounds.set_postfix(samples=search.asked)
            if valid:  # all of coverage 2^−size, above any later round's
                best = max(valid, key=lambda anchor: verdicts[anchor][1])
                return best, verdicts[best]
            if search.exhausted:
                break
        fallback = max(beam, key=lambda anchor: verdicts[anchor][1])
        return fallback, verdicts[fallback]

    def best_candidates(self, search: AnchorSearch, candidates: list[Anchor]) -> np.ndarray:
        """Indices of the B candidates of highest precision, by KL-LUCB within what is left of the
        sample budget; a candidate with fewer than batch_size samples from its ancestors first gets
        a batch of its own."""
        positives, counts = np.zeros(len(candidates)), np.zeros(len(candidates))
        for i, anchor in enumerate(candidates):
            positives[i], counts[i] = search.statistics(anchor)
            if counts[i] < search.batch_size:
                won, drawn = search.draw(anchor)
                positives[i], counts[i] = positives[i] + won, counts[i] + drawn
        return kl_lucb(
            positives,
            counts,
            lambda i: search.draw(candidates[i]),
            self.beam_width,
            self.epsilon,
            self.delta,
            max_draws=max(search.max_samples - search.asked, 0),
        )

    def settle(self, search: AnchorSearch, anchor: Anchor, threshold: float) -> Verdict:
        """(valid, p̂, L) once [L, U] lies on one side of τ with tolerance ε_τ, or invalid when the
        sample budget runs out first. The bounds use β = log(B K / δ): a union bound over the at
        most B anchors tested in each of at most K rounds."""
        beta = np.log(self.beam_width * search.count / self.delta)
        positives, total = search.statistics(anchor)
        while True:
            mean = positives / total
            lower = float(kl_lower_bound(mean, beta / total))
            if mean >= threshold and lower >= threshold - self.tolerance:
                return True, mean, lower
            if mean < threshold and kl_upper_bound(mean, beta / total) < threshold + self.tolerance:
                return False, mean, lower
            if search.exhausted:
                return False, mean, lower
            won, drawn = search.draw(anchor)
            positives, total = positives + won, total + drawn
