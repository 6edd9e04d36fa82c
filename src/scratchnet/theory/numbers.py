"""Exact numbers: parse user values into :class:`~fractions.Fraction` and print them as decimals.

The theory modules compute with ``Fraction`` wherever the math allows, so every printed digit is
right; :func:`fmt` turns a value into a short decimal string for tables.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from numbers import Rational, Real

from scratchnet.errors import ConfigError

Number = Fraction | float

#: Largest magnitude a value may have, and smallest non-zero one: the exercises compute
#: exactly, then print, plot and write JSON in float64, which must hold every result.
MAX_MAGNITUDE = Fraction(10**12)
MIN_MAGNITUDE = Fraction(1, 10**12)
#: Longest literal read; longer text is refused before any conversion (bounded effort).
MAX_LITERAL = 64
_LITERAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?(/[+]?\d+)?")


def to_fraction(value: object, *, name: str = "value") -> Fraction:
    """Parse ``value`` (int, Fraction, decimal string, ``"1/3"`` or float) into a Fraction.

    Floats are read through their shortest ``repr`` so that ``0.1`` means one tenth.

    Raises
    ------
    ConfigError
        If the value is not a finite number, is written with more than :data:`MAX_LITERAL`
        characters or a 5-digit exponent, or is outside ``1e-12 <= |value| <= 1e12`` (zero
        is fine); the message names ``name``.
    """
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, int) and value.bit_length() > 64:
        return _in_range(Fraction(MAX_MAGNITUDE * 2), name, "a huge integer")
    if isinstance(value, Rational):
        return _in_range(Fraction(value), name, value)
    if isinstance(value, Real):
        if not math.isfinite(float(value)):
            raise ConfigError(f"{name}: expected a finite number, got {value!r}")
        return _in_range(Fraction(repr(float(value))), name, value)
    if isinstance(value, str):
        return _in_range(_parse_literal(value, name), name, value)
    raise ConfigError(f"{name}: expected a number, got {_short(value)}")


def _parse_literal(value: str, name: str) -> Fraction:
    """A decimal, ``1e-3`` or ``1/3`` literal, checked by shape and length before conversion."""
    text = value.strip().replace("\u2212", "-")
    if len(text) > MAX_LITERAL or not _LITERAL.fullmatch(text):
        raise ConfigError(
            f"{name}: expected a number such as 0.5, 1e-3 or 1/3 (at most {MAX_LITERAL} "
            f"characters), got {_short(value)}"
        )
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{name}: expected a number, got {_short(value)}") from None


def _in_range(value: Fraction, name: str, given: object) -> Fraction:
    if value and not MIN_MAGNITUDE <= abs(value) <= MAX_MAGNITUDE:
        raise ConfigError(
            f"{name}: {_short(given)} is out of range; values must be 0 or between 1e-12 and "
            "1e12 in magnitude"
        )
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def decimals_of(value: object) -> int | None:
    """Number of decimal places in a value as written (``"0.0264"`` -> 4); None if not decimal."""
    if isinstance(value, Fraction | bool):
        return None
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        exponent = Decimal(text).as_tuple().exponent
    except InvalidOperation:
        return None
    return max(0, -exponent) if isinstance(exponent, int) else None


def is_terminating(value: Fraction) -> bool:
    """Whether ``value`` has a finite decimal expansion (denominator of only 2s and 5s)."""
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def fmt(value: Number, digits: int = 10) -> str:
    """A decimal string: exact if it terminates within ``digits`` places, else rounded with '...'.

    Floats are printed with ``digits`` significant digits.
    """
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    if is_terminating(value):
        text = _decimal_text(value, 60)
        if len(text.split(".")[1]) <= digits:
            return text
    return _decimal_text(value, digits) + "..."


def _decimal_text(value: Fraction, places: int) -> str:
    """``value`` rounded half-away-from-zero to ``places`` decimals, trailing zeros dropped."""
    sign = "-" if value < 0 else ""
    scaled = abs(value) * 10**places
    units = int(scaled + Fraction(1, 2))
    whole, frac = divmod(units, 10**places)
    frac_text = f"{frac:0{places}d}".rstrip("0") if places else ""
    text = f"{whole}.{frac_text}" if frac_text else str(whole)
    return "0" if text == "0" else sign + text


def round_to(value: Fraction, places: int) -> Fraction:
    """``value`` rounded half-away-from-zero to ``places`` decimal places, exactly."""
    return Fraction(_decimal_text(Fraction(value), places))


def as_float(value: Number) -> float:
    """A plain float (for JSON and plots)."""
    return float(value)
