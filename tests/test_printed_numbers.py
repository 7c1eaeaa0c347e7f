"""The lessons print signs a reader can trust: no "-0.00", no "− -0.0187"."""

import pytest

from lessons.printed_numbers import fixed, minus_term

pytestmark = pytest.mark.lessons


@pytest.mark.parametrize(
    "value, digits, text",
    [
        (-0.004, 2, "0.00"),
        (-0.0, 2, "0.00"),
        (0.004, 2, "0.00"),
        (-0.005001, 2, "-0.01"),
        (-0.76, 2, "-0.76"),
        (1.25, 1, "1.2"),
        (-0.00004, 4, "0.0000"),
        (-0.0187, 4, "-0.0187"),
    ],
)
def test_fixed_drops_the_sign_of_a_rounded_zero_only(value, digits, text):
    assert fixed(value, digits) == text


@pytest.mark.parametrize(
    "value, digits, text",
    [(-0.0187, 4, "+ 0.0187"), (0.0187, 4, "− 0.0187"), (-0.001, 2, "− 0.00"), (0.0, 2, "− 0.00"), (-3.5, 1, "+ 3.5")],
)
def test_minus_term_turns_the_subtraction_of_a_negative_into_an_addition(value, digits, text):
    assert minus_term(value, digits) == text


@pytest.mark.parametrize(
    "value, text", [(0.42, "+0.42"), (-0.42, "-0.42"), (-0.001, "0.00"), (0.004, "0.00"), (38.03, "+38.03")]
)
def test_fixed_with_plus_signs_changes_but_not_a_rounded_zero(value, text):
    assert fixed(value, plus=True) == text
