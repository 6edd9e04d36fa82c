"""Marking a student's answers: rounding, diagnoses, planes and point sets."""

from __future__ import annotations

from fractions import Fraction

import pytest

from scratchnet.errors import ConfigError
from scratchnet.theory import compare, marking, original
from scratchnet.theory.numbers import fmt, to_fraction


@pytest.mark.parametrize(
    ("given", "correct", "ok"),
    [
        ("16.3219", Fraction(61207, 3750), True),
        ("16.3213", Fraction(61207, 3750), False),
        ("0.1", Fraction(1, 10), True),
        (0.1, Fraction(1, 10), True),
        ("1/3", Fraction(1, 3), True),
        ("0.33", Fraction(1, 3), True),
        ("0.34", Fraction(1, 3), False),
        ("0.7071", 0.70710678, True),
    ],
)
def test_agrees_at_written_precision(given, correct, ok):
    assert compare.agrees(given, correct) is ok


def test_numbers():
    assert fmt(Fraction(1, 8)) == "0.125"
    assert fmt(Fraction(1, 3)) == "0.3333333333..."
    assert fmt(Fraction(-2, 3), 3) == "-0.667..."
    assert to_fraction("0.1") == Fraction(1, 10)
    with pytest.raises(ConfigError, match="lr"):
        to_fraction("abc", name="lr")


def test_dropped_factor_two_is_diagnosed():
    trace = original.backprop_trace()
    wrong = float(trace.gradient("w2") / 2)
    marks = marking.mark_backprop(trace, {"grad_w2": f"{wrong:.6f}", "new_w2": "0.21714667"})
    assert marks[0].verdict == "wrong" and "factor 2" in marks[0].why
    assert marks[1].verdict == "correct"


def test_sum_instead_of_mean_is_diagnosed():
    marks = marking.mark_backprop(original.backprop_trace(), {"mse": "48.9656"})
    assert "sum of squared errors" in marks[0].why and marks[0].verdict == "wrong"


def test_unknown_answer_name_raises():
    with pytest.raises(ConfigError, match="unknown quantity 'grad_w9'"):
        marking.mark_backprop(original.backprop_trace(), {"grad_w9": 1})


@pytest.mark.parametrize(
    ("w", "b", "verdict", "phrase"),
    [
        ([-2, -2], 3, "correct", "canonical"),
        ([-1, -1], 1.5, "wrong", "scaled by 0.5"),
        ([2, 2], -3, "wrong", "orientation flipped"),
        ([1, 1], 1.5, "wrong", "different hyperplane"),
    ],
)
def test_mark_plane(w, b, verdict, phrase):
    c = marking.mark_plane(w, b, [Fraction(-2), Fraction(-2)], Fraction(3))
    assert c.verdict == verdict and phrase in c.why


def test_mark_point_set_names_missing_and_extra():
    c = marking.mark_point_set("sv", [[1, 0], [2, 2]], [[1, 0], [0, 1]])
    assert c.verdict == "wrong" and "missing: (0, 1)" in c.why and "(2, 2)" in c.why


def test_half_margin_is_diagnosed():
    c = marking.mark_svm(original.svm_fit(), {"margin": "0.3536"})[0]
    assert c.verdict == "wrong" and "1/||w||" in c.why
