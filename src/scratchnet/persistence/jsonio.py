"""Strict JSON for model-file headers: UTF-8, bounded nesting and numbers, nothing the writer
would not write.

:func:`json.loads` alone accepts ``NaN`` and ``Infinity``, integers of any length (then a
``ValueError`` deep in ``int``), duplicate keys (the last wins) and nesting until a
``RecursionError``. Here each of these is an :class:`Invalid` saying what was found.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from scratchnet.persistence.common import Invalid

MAX_DEPTH = 16
MAX_CONTAINERS = 4096
MAX_NUMBER_CHARS = 40
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def loads(raw: bytes) -> Any:
    """Parse UTF-8 JSON text strictly.

    Parameters
    ----------
    raw : bytes
        The encoded document.

    Returns
    -------
    The decoded value (dict, list, str, int, float, bool or None).

    Raises
    ------
    Invalid
        On bad UTF-8, bad JSON, nesting deeper than ``MAX_DEPTH`` or more than
        ``MAX_CONTAINERS`` lists and objects, a number longer than
        ``MAX_NUMBER_CHARS`` characters or not finite, ``NaN``/``Infinity``, a repeated key.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the header is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    _check_structure(text)
    try:
        return json.loads(
            text,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise Invalid(f"the header is not valid JSON: {exc}") from None


def _check_structure(text: str) -> None:
    """Bounded nesting and number of lists and objects, counted outside strings."""
    outside = _STRING.sub("", text)
    containers = outside.count("[") + outside.count("{")
    if containers > MAX_CONTAINERS:
        raise Invalid(f"the header JSON holds {containers} lists and objects (at most "
                      f"{MAX_CONTAINERS})")  # fmt: skip
    depth = 0
    for match in _BRACKET.finditer(outside):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise Invalid(f"the header JSON nests deeper than {MAX_DEPTH} levels")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise Invalid(f"the header holds an integer of {len(text)} characters")
    return int(text)


def _float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise Invalid(f"the header holds a number that is not finite: {text[:MAX_NUMBER_CHARS]}")
    return value


def _constant(name: str) -> Any:
    raise Invalid(f"the header holds {name}, which is not a number JSON allows")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise Invalid(f"the header repeats the key {repeated[:40]!r}")
    return result


def dumps(value: Any) -> bytes:
    """Encode ``value`` as compact UTF-8 JSON; ``ValueError`` on NaN or infinity."""
    return json.dumps(value, allow_nan=False, separators=(",", ":")).encode("utf-8")
