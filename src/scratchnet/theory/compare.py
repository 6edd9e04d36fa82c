"""Mark a given answer (the original's or a student's) against the exact value; say why it differs.

A decimal answer counts as right when it is the correct value rounded to the places it shows
(``16.3219`` for ``16.32186...``), so students are not punished for rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from scratchnet.theory.numbers import Number, decimals_of, fmt, round_to, to_fraction

CORRECT = "correct"
WRONG = "wrong"
NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Comparison:
    """One quantity: the given value (as written), the correct one, a verdict and the reason."""

    quantity: str
    given: str
    correct: str
    verdict: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def agrees(given: Any, correct: Number) -> bool:
    """Whether ``given`` equals ``correct`` to the decimal places written in ``given``."""
    value = to_fraction(given, name="answer")
    places = decimals_of(given)
    if isinstance(correct, float):
        tolerance = Fraction(5, 10 ** (places + 1)) if places is not None else Fraction(0)
        return abs(float(value) - correct) <= float(tolerance) + 1e-12 * max(1.0, abs(correct))
    if places is None:
        return value == correct
    return value == round_to(correct, places) or abs(value - correct) <= Fraction(
        5, 10 ** (places + 1)
    )


def check_value(
    quantity: str,
    given: Any,
    correct: Number,
    *,
    explanations: Sequence[tuple[Number, str]] = (),
    note: str = "",
) -> Comparison:
    """Compare one answer; if wrong, use the first explanation whose value it matches.

    Parameters
    ----------
    quantity : str
        Name shown in tables.
    given : str, number or None
        The answer as written; ``None`` means not given.
    correct : Fraction or float
        The exact value.
    explanations : sequence of (value, reason)
        Values a known mistake would produce, tried in order.
    note : str
        Appended to the reason either way (e.g. a remark about the working).
    """
    correct_text = fmt(correct)
    if given is None:
        return Comparison(quantity, "-", correct_text, NOT_GIVEN, note or "no answer given")
    given_text = given if isinstance(given, str) else repr(given)
    if agrees(given, correct):
        places = decimals_of(given)
        why = f"matches to the {places} decimal places given" if places else "matches"
        return Comparison(quantity, given_text, correct_text, CORRECT, _join(why, note))
    for value, reason in explanations:
        if agrees(given, value):
            return Comparison(quantity, given_text, correct_text, WRONG, _join(reason, note))
    value = to_fraction(given, name=quantity)
    difference = (
        value - Fraction(correct) if not isinstance(correct, float) else float(value) - correct
    )
    places = decimals_of(given)
    rounded = (
        f" (to {places} decimals: {fmt(round_to(Fraction(correct), places))})" if places else ""
    )
    why = f"arithmetic slip: off by {fmt(difference, 6)}; correct is {correct_text}{rounded}"
    return Comparison(quantity, given_text, correct_text, WRONG, _join(why, note))


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if second else first


def summary(comparisons: Sequence[Comparison]) -> dict[str, int]:
    """Counts per verdict."""
    counts: dict[str, int] = {}
    for c in comparisons:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    return counts
