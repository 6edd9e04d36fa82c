"""Numbers as text: the one set of rules every table, report and progress line uses.

>>> fixed(96.2349), fixed(None), significant(0.000123456), readable(0.91234)
('96.23', '–', '0.0001235', '0.9123')
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "–"  # a number that is absent, or does not parse


def parse(text: Any) -> float | None:
    """``text`` as a float, or None when it is absent or not a number (``"1.5"`` -> 1.5)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def fixed(value: Any, digits: int = 2, missing: str = MISSING) -> str:
    """A float with ``digits`` decimals; ``missing`` for None and NaN; anything else as is."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def significant(value: Any, digits: int = 4, missing: str = "") -> str:
    """A float to ``digits`` significant digits; ``missing`` for None; anything else as is."""
    if value is None:
        return missing
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def readable(value: float, small: str = ".4g") -> str:
    """Two decimals from 1 up, else the format spec ``small`` (``0.91234`` -> ``0.9123``)."""
    return f"{value:.2f}" if abs(value) >= 1 else format(value, small)


def readable_text(text: str) -> str:
    """A number read from a table as :func:`readable` shows it; integers and words as they are
    (``"87.666"`` -> ``"87.67"``, ``"12"`` -> ``"12"``, ``"relu"`` -> ``"relu"``)."""
    value = parse(text)
    if value is None or text.lstrip("-").isdigit():
        return text
    return readable(value)
