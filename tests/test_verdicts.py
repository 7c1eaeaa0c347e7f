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
