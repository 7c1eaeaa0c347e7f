"""How the lessons print numbers whose sign matters.

Two slips a reader trips over: a small negative value rounded to zero prints as "-0.00", and a
subtraction of a negative value prints as "a − -b". `fixed` prints the first as 0.00, `minus_term`
turns the second into "+ b".
"""

from __future__ import annotations


def fixed(value: float, digits: int = 2, plus: bool = False) -> str:
    """value with `digits` decimals, and no sign on a value that rounds to zero ("0.00", not "-0.00"
    or "+0.00"); plus=True writes the sign of a positive value too ("+0.42", for changes)."""
    text = f"{value:{'+' if plus else ''}.{digits}f}"
    return text.lstrip("+-") if float(text) == 0 else text


def minus_term(value: float, digits: int = 2) -> str:
    """The text "− value" of a subtraction, written as "+ |value|" when value is negative
    (rounded to `digits` decimals, so "− -0.0187" becomes "+ 0.0187" and "− -0.00" becomes "− 0.00")."""
    text = fixed(value, digits)
    return f"+ {text[1:]}" if text.startswith("-") else f"− {text}"
