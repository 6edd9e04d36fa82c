"""A small declarative schema for JSON values: each field is one line of ``key: Spec``.

>>> Record({"version": OneOf(1, 2), "sizes": ListOf(Int(1, 10), 2, 5)}).check(
...     {"version": 2, "sizes": [3, 4]}, "header")

Every spec's :meth:`Spec.check` raises :class:`Invalid` naming the value's place (``where``,
e.g. ``header['layer_sizes'][2]``), what it is, and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scratchnet.persistence.common import Invalid

_JSON_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}  # fmt: skip


def describe(value: Any) -> str:
    """A short description of a JSON value for an error message."""
    text = repr(value)
    kind = _JSON_NAMES.get(type(value), type(value).__name__)
    return f"{kind} {text[:60]}{'...' if len(text) > 60 else ''}"


class Spec:
    """One expected JSON value."""

    def check(self, value: Any, where: str) -> None:
        """Raise :class:`Invalid` unless ``value`` fits; ``where`` names its place."""
        raise NotImplementedError

    def _fail(self, value: Any, where: str, expected: str) -> None:
        raise Invalid(f"{where} is {describe(value)}; expected {expected}")


@dataclass(frozen=True)
class Int(Spec):
    """An integer (not a boolean) in ``[low, high]``."""

    low: int
    high: int

    def check(self, value: Any, where: str) -> None:
        if type(value) is not int or not self.low <= value <= self.high:
            self._fail(value, where, f"an integer from {self.low} to {self.high}")


@dataclass(frozen=True)
class Float(Spec):
    """A finite number (integer or not, not a boolean) in ``[low, high]``."""

    low: float = -math.inf
    high: float = math.inf

    def check(self, value: Any, where: str) -> None:
        ok = type(value) in (int, float) and math.isfinite(value)
        if not ok or not self.low <= value <= self.high:
            self._fail(value, where, f"a finite number from {self.low} to {self.high}")


@dataclass(frozen=True)
class Bool(Spec):
    """``true`` or ``false``."""

    def check(self, value: Any, where: str) -> None:
        if type(value) is not bool:
            self._fail(value, where, "true or false")


@dataclass(frozen=True)
class Text(Spec):
    """A string of at most ``max_len`` characters."""

    max_len: int = 256

    def check(self, value: Any, where: str) -> None:
        if type(value) is not str or len(value) > self.max_len:
            self._fail(value, where, f"a string of at most {self.max_len} characters")


class OneOf(Spec):
    """One of the given values (compared with their types: ``1`` is not ``true``)."""

    def __init__(self, *choices: Any) -> None:
        self.choices = choices

    def check(self, value: Any, where: str) -> None:
        if not any(type(value) is type(c) and value == c for c in self.choices):
            self._fail(value, where, f"one of {', '.join(map(repr, self.choices))}")


@dataclass(frozen=True)
class ListOf(Spec):
    """A list of ``min_len`` to ``max_len`` items, each fitting ``item``."""

    item: Spec
    min_len: int = 0
    max_len: int = 1 << 20

    def check(self, value: Any, where: str) -> None:
        if type(value) is not list or not self.min_len <= len(value) <= self.max_len:
            self._fail(value, where, f"a list of {self.min_len} to {self.max_len} items")
        for index, item in enumerate(value):
            self.item.check(item, f"{where}[{index}]")


@dataclass(frozen=True)
class MapOf(Spec):
    """An object of at most ``max_len`` keys (strings of up to 64 characters) -> ``value``."""

    value: Spec
    max_len: int = 256

    def check(self, value: Any, where: str) -> None:
        if type(value) is not dict or len(value) > self.max_len:
            self._fail(value, where, f"an object of at most {self.max_len} keys")
        for key, item in value.items():
            Text(64).check(key, f"a key of {where}")
            self.value.check(item, f"{where}[{key!r}]")


@dataclass(frozen=True)
class AnyJSON(Spec):
    """Any JSON value (its size is already bounded by the header's; its depth by the parser)."""

    def check(self, value: Any, where: str) -> None:
        return None


@dataclass(frozen=True)
class Record(Spec):
    """An object with exactly the keys of ``fields`` (those in ``optional`` may be missing)."""

    fields: dict[str, Spec]
    optional: frozenset[str] = field(default_factory=frozenset)

    def check(self, value: Any, where: str) -> None:
        if type(value) is not dict:
            self._fail(value, where, "an object")
        missing = sorted(set(self.fields) - set(value) - self.optional)
        unknown = sorted(set(value) - set(self.fields))
        problems = [f"lacks the keys {missing}"] if missing else []
        if unknown:
            problems.append(f"has unknown keys {[key[:40] for key in unknown[:5]]}")
        if problems:
            raise Invalid(f"{where} {' and '.join(problems)}")
        for key, spec in self.fields.items():
            if key in value:
                spec.check(value[key], f"{where}[{key!r}]")


@dataclass(frozen=True)
class Rule:
    """A rule across fields: ``holds(record)`` must be true; ``keys`` are shown when not.

    A key may be dotted (``params.layers``) to show a nested value.
    """

    text: str
    keys: tuple[str, ...]
    holds: Callable[[dict], bool]


def check_rules(record: dict, rules: list[Rule], where: str) -> None:
    """Raise :class:`Invalid` naming the first rule ``record`` breaks and the values involved."""
    for rule in rules:
        if not rule.holds(record):
            values = ", ".join(f"{key}={repr(_lookup(record, key))[:80]}" for key in rule.keys)
            raise Invalid(f"{where} breaks the rule '{rule.text}': {values}")


def _lookup(record: dict, dotted: str) -> Any:
    """``record['a']['b']`` for ``'a.b'``; None where a key is missing."""
    value: Any = record
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value
