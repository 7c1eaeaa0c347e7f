"""Anchors (Ribeiro, Singh & Guestrin, "Anchors: High-precision model-agnostic explanations", AAAI
2018) for images, over the same grid superpixels as LIME.

LIME says how much each superpixel pushes the class score; an anchor says which superpixels are
enough: a set A of cells such that, kept while the other cells are hidden at random, the model
still gives the answer it gives on the intact image x, with probability at least τ:

    prec(A) = P_{z ~ D(·|A)} [f(z) = f(x)] ≥ τ,      cov(A) = P_{z ~ D} [every cell of A kept in z].

D is LIME's perturbation distribution: each cell kept by a fair coin, hidden otherwise (it shows
hide_color, or its own mean colour); D(·|A) the same with the cells of A always kept. The coverage
is the share of all perturbations the rule applies to, estimated on a fixed sample of D; under fair
coins it is 2^−|A| on average, so the anchor of highest coverage is a smallest one. The rule reads
"if cells 5, 9 and 12 are kept, the model says 7 with precision 0.96".

The search is the paper's Algorithm 2:

1. beam search: start from the empty anchor; each round extends each of the B anchors kept by one
   more cell, and drops the candidates whose coverage cannot beat the best valid anchor so far;
2. B-best candidates: KL-LUCB (minidl/xai/kl_lucb.py) picks the B candidates of highest precision
   with probability 1 − δ, up to ε, sampling D(·|A) only for the candidates still in doubt;
3. validity: each chosen anchor is sampled until its confidence interval [L, U] settles on one side
   of τ, with the paper's tolerance ε_τ: it is valid when p̂ ≥ τ and L ≥ τ − ε_τ, invalid when
   p̂ < τ and U < τ + ε_τ. The valid anchor of highest coverage is the answer.

A sample of D(·|S) in which every cell of A ⊇ S happens to be kept is a sample of D(·|A): the
other cells are still fair coins. So each candidate starts with the samples its ancestors in the
search paid for, and the model is asked far fewer questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from minidl.progress import progress
from minidl.rng import generator_for
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


@dataclass
class AnchorExplanation:
    anchor: Anchor  # the cells kept by the rule, in increasing order
    precision: float  # p̂: share of the samples of D(·|anchor) in which the model's answer held
    precision_lower: float  # L, the KL lower bound of the precision used to accept the anchor
    coverage: float  # share of the samples of D in which every cell of the anchor is kept
    target: int  # the model's answer on the intact image
    rule: str
    valid: bool  # False when no anchor reached the threshold: the best candidate of the last round
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


class AnchorSearch:
    """One explanation's state: the samples drawn so far, grouped by the anchor they were drawn
    under (D(·|S), with S the key), and the fixed sample of D that measures coverage."""

    def __init__(
        self,
        image: np.ndarray,
        segments: np.ndarray,
        hide_color: float | None,
        predict_fn: PredictFn,
        batch_size: int,
        coverage_samples: int,
        rng: np.random.Generator,
    ):
        self.image, self.segments, self.predict_fn = image, segments, predict_fn
        self.hidden = hidden_image(image, segments, hide_color)
        self.count, self.batch_size, self.rng = int(segments.max()) + 1, batch_size, rng
        self.scores = self.predict(np.ones((1, self.count), np.int64))[0]
        self.target = pick_target("Anchors", self.scores, None)
        self.coverage_sample = rng.integers(0, 2, (coverage_samples, self.count)).astype(bool)
        self.drawn: dict[Anchor, tuple[np.ndarray, np.ndarray]] = {}  # S -> (kept (n, K) bool, answer held (n,))
        self.asked = 0

    def predict(self, coalitions: np.ndarray) -> np.ndarray:
        return predict_coalitions(
            "Anchors", self.image, self.hidden, self.segments, coalitions, self.predict_fn, self.batch_size
        )

    def coverage(self, anchor: Anchor) -> float:
        return float(self.coverage_sample[:, list(anchor)].all(axis=1).mean())

    def draw(self, anchor: Anchor) -> tuple[int, int]:
        """Ask the model about batch_size samples of D(·|anchor); (answers that held, samples)."""
        kept = self.rng.integers(0, 2, (self.batch_size, self.count))
        kept[:, list(anchor)] = 1
        held = self.predict(kept).argmax(axis=1) == self.target
        self.asked += len(kept)
        old_kept, old_held = self.drawn.get(anchor, (np.zeros((0, self.count), bool), np.zeros(0, bool)))
        self.drawn[anchor] = (np.concatenate([old_kept, kept.astype(bool)]), np.concatenate([old_held, held]))
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
    batch_size: int = 100,
) -> float:
    """prec(A) measured again on num_samples fresh samples of D(·|A), none of which the search saw
    (hide_color as in the explanation): does the anchor keep its promise?"""
    image, segments = check_image_and_segments("Anchors", image, 1, explanation.segments)
    if not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"Anchors: num_samples must be a positive int, got {num_samples!r}")
    kept = generator_for(seed).integers(0, 2, (num_samples, int(segments.max()) + 1))
    kept[:, list(explanation.anchor)] = 1
    hidden = hidden_image(image, segments, hide_color)
    answers = predict_coalitions("Anchors", image, hidden, segments, kept, predict_fn, batch_size).argmax(axis=1)
    return float((answers == explanation.target).mean())


class AnchorExplainer:
    """explanation = AnchorExplainer().explain(image, predict_fn, cell_size=4, precision=0.95, seed=0);
    explanation.rule, .anchor, .precision, .coverage.

    beam_width B: anchors kept from one round to the next; delta δ: the confidence bounds fail
    with probability at most δ; epsilon ε: KL-LUCB's tolerance when it ranks the candidates;
    tolerance ε_τ: how far below τ the lower bound of an accepted anchor may lie (the paper's
    stopping rule)."""

    def __init__(self, beam_width: int = 2, delta: float = 0.1, epsilon: float = 0.1, tolerance: float = 0.05):
        if not isinstance(beam_width, (int, np.integer)) or isinstance(beam_width, bool) or beam_width < 1:
            raise ValueError(f"AnchorExplainer: beam_width must be a positive int, got {beam_width!r}")
        for name, value in (("delta", delta), ("epsilon", epsilon), ("tolerance", tolerance)):
            if not 0 < value < 1:
                raise ValueError(f"AnchorExplainer: {name} must lie in (0, 1), got {value!r}")
        self.beam_width, self.delta, self.epsilon, self.tolerance = int(beam_width), delta, epsilon, tolerance

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
        batch_size: int = 50,
        coverage_samples: int = 10_000,
    ) -> AnchorExplanation:
        """The anchor of image (C, H, W) for predict_fn's answer on it (the top class of its scores
        (n, classes) for images (n, C, H, W)), at precision threshold τ = precision. The model is
        asked batch_size perturbed images at a time; seed None draws from minidl's global generator."""
        image, segments = check_image_and_segments("Anchors", image, cell_size, segments)
        if not 0 < precision < 1:
            raise ValueError(f"Anchors: precision must lie in (0, 1), got {precision!r}")
        if not self.tolerance < precision:
            raise ValueError(f"Anchors: the tolerance {self.tolerance} must be below the precision {precision}")
        count = int(segments.max()) + 1
        max_anchor_size = count if max_anchor_size is None else max_anchor_size
        for name, value, low in (("batch_size", batch_size, 1), ("coverage_samples", coverage_samples, 1)):
            if not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"Anchors: {name} must be an int >= {low}, got {value!r}")
        if not isinstance(max_anchor_size, (int, np.integer)) or not 1 <= max_anchor_size <= count:
            raise ValueError(f"Anchors: max_anchor_size must be an int in [1, {count}], got {max_anchor_size!r}")
        search = AnchorSearch(
            image, segments, hide_color, predict_fn, batch_size, coverage_samples, generator_for(seed)
        )
        if class_names is not None and len(class_names) != len(search.scores):
            raise ValueError(
                f"Anchors: class_names must name the model's {len(search.scores)} classes, got {len(class_names)} names"
            )
        anchor, (valid, estimate, lower) = self.beam_search(search, precision, max_anchor_size)
        answer = str(class_names[search.target]) if class_names is not None else str(search.target)
        return AnchorExplanation(
            anchor,
            estimate,
            lower,
            search.coverage(anchor),
            search.target,
            anchor_rule(anchor, answer, estimate),
            valid,
            segments,
            search.asked,
        )

    def beam_search(self, search: AnchorSearch, threshold: float, max_size: int) -> tuple[Anchor, Verdict]:
        """The paper's Algorithm 2: (anchor, (valid, p̂, L)), the valid anchor of highest coverage, else
        the best candidate of the last round."""
        search.draw(())
        empty = self.settle(search, (), threshold)
        if empty[0]:
            return (), empty
        beam, best, best_coverage = [()], None, -1.0
        rounds = progress(range(1, max_size + 1), "Anchors", unit="round")
        for size in rounds:
            candidates = sorted({tuple(sorted({*anchor, cell})) for anchor in beam for cell in range(search.count)})
            candidates = [c for c in candidates if len(c) == size and search.coverage(c) > best_coverage]
            if not candidates:
                break
            beam = [candidates[i] for i in self.best_candidates(search, candidates)]
            for anchor in beam:
                verdict = self.settle(search, anchor, threshold)
                if verdict[0] and search.coverage(anchor) > best_coverage:
                    best, best_coverage = (anchor, verdict), search.coverage(anchor)
            rounds.set_postfix(best=best[0] if best else "none yet", samples=search.asked)
        if best is not None:
            return best
        fallback = max(beam, key=lambda anchor: np.divide(*search.statistics(anchor)))
        return fallback, self.settle(search, fallback, threshold)

    def best_candidates(self, search: AnchorSearch, candidates: list[Anchor]) -> np.ndarray:
        """Indices of the B candidates of highest precision, by KL-LUCB; a candidate with fewer
        than batch_size samples from its ancestors first gets a batch of its own."""
        positives, counts = np.zeros(len(candidates)), np.zeros(len(candidates))
        for i, anchor in enumerate(candidates):
            positives[i], counts[i] = search.statistics(anchor)
            if counts[i] < search.batch_size:
                won, drawn = search.draw(anchor)
                positives[i], counts[i] = positives[i] + won, counts[i] + drawn
        return kl_lucb(
            positives, counts, lambda i: search.draw(candidates[i]), self.beam_width, self.epsilon, self.delta
        )

    def settle(self, search: AnchorSearch, anchor: Anchor, threshold: float) -> Verdict:
        """(valid, p̂, L) once [L, U] lies on one side of τ with tolerance ε_τ. The bounds use
        β = log(B K / δ): a union bound over the at most B anchors tested in each of at most K rounds."""
        beta = np.log(self.beam_width * search.count / self.delta)
        positives, total = search.statistics(anchor)
        while True:
            mean = positives / total
            lower = float(kl_lower_bound(mean, beta / total))
            if mean >= threshold and lower >= threshold - self.tolerance:
                return True, mean, lower
            if mean < threshold and kl_upper_bound(mean, beta / total) < threshold + self.tolerance:
                return False, mean, lower
            won, drawn = search.draw(anchor)
            positives, total = positives + won, total + drawn
