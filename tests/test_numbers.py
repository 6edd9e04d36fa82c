"""Numbers as text: the one set of rules every table and report uses."""

import math

from scratchnet.numbers import MISSING, fixed, parse, readable, readable_text, significant


def test_parse_reads_numbers_and_nothing_else():
    assert parse("1.5") == 1.5 and parse(2) == 2.0
    assert parse("") is None and parse(None) is None and parse("relu") is None


def test_fixed_gives_decimals_and_a_mark_for_what_is_missing():
    assert fixed(96.2349) == "96.23" and fixed(2.30251, 4) == "2.3025"
    assert fixed(None) == MISSING and fixed(math.nan, missing="-") == "-"
    assert fixed(3) == "3" and fixed("complete") == "complete"


def test_significant_keeps_four_digits_of_floats_only():
    assert significant(0.000123456) == "0.0001235" and significant(123456.0) == "1.235e+05"
    assert significant(None) == "" and significant(7) == "7"


def test_readable_switches_to_significant_digits_below_one():
    assert readable(87.666) == "87.67" and readable(-1.0) == "-1.00"
    assert readable(0.91234) == "0.9123" and readable(0.91234, ".3f") == "0.912"
    assert readable_text("87.666") == "87.67" and readable_text("12") == "12"
    assert readable_text("-3") == "-3" and readable_text("relu") == "relu"
