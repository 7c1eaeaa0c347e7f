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
