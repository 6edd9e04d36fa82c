"""Config schemas: what every key of a config file must hold, declared once as data.

A schema is a :class:`Spec` tree: tables map key names to the spec of their value. One
function, :func:`validate`, checks a parsed TOML document against it before anything reads the
values, so every study and command refuses a bad file the same way, before anything is
created on disk: wrong types (a table replaced by a number, a string where a number belongs),
values out of range (``-inf``, NaN, a negative size), unknown keys and missing required ones.
Each error is a :class:`~scratchnet.errors.ConfigError` naming the file and the key path
(``model.layers``, ``data.ratios[2]``) and saying what was expected::

    DATA = table(dataset=text("mnist", "fashion-mnist"), ratios=array(number(0, 1), 3, 3))
    validate(document, table(data=DATA, required=("data",)), "study.toml")
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scratchnet.errors import ConfigError

#: Largest seed NumPy's generators take, plus one.
SEED_LIMIT = 2**32


@dataclass(frozen=True)
class Spec:
    """What one config value must be.

    ``kind`` is one of ``int``, ``float`` (ints accepted; always finite), ``str``, ``bool``,
    ``list`` (items checked against ``item``, length within ``min_len``..``max_len``),
    ``table`` (keys checked against ``keys``; ``None`` accepts any keys) or ``either`` (the
    first of ``options`` that fits). ``low``/``high`` bound numbers (inclusive);
    ``choices`` lists the allowed strings.
    """

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    item: Spec | None = None
    min_len: int = 0
    max_len: int | None = None
    keys: Mapping[str, Spec] | None = None
    required: tuple[str, ...] = ()
    options: tuple[Spec, ...] = field(default=())

    def describe(self) -> str:
        """What the spec accepts, in words (for error messages)."""
        if self.kind == "either":
            return " or ".join(option.describe() for option in self.options)
        if self.kind == "str":
            return f"one of {', '.join(map(repr, self.choices))}" if self.choices else "a string"
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a finite number"
            return noun + _bounds_text(self.low, self.high)
        if self.kind == "list":
            items = f", each {self.item.describe()}" if self.item and self.item.kind else ""
            return _length_text(self.min_len, self.max_len) + items
        return {"bool": "true or false", "table": "a table"}[self.kind]


def integer(low: int | None = None, high: int | None = None) -> Spec:
    """An integer (not a bool) within ``low``..``high``."""
    return Spec("int", low, high)


def number(low: float | None = None, high: float | None = None) -> Spec:
    """A finite number (int or float) within ``low``..``high``."""
    return Spec("float", low, high)


def text(*choices: str) -> Spec:
    """A string, one of ``choices`` if given."""
    return Spec("str", choices=choices)


def flag() -> Spec:
    """A boolean."""
    return Spec("bool")


def array(item: Spec, min_len: int = 0, max_len: int | None = None) -> Spec:
    """A list whose items match ``item``."""
    return Spec("list", item=item, min_len=min_len, max_len=max_len)


def table(required: tuple[str, ...] = (), **keys: Spec) -> Spec:
    """A table with exactly these keys (those in ``required`` must be present)."""
    return Spec("table", keys=keys, required=required)


def either(*options: Spec) -> Spec:
    """A value matching any of ``options``."""
    return Spec("either", options=options)


def seed() -> Spec:
    """A random seed NumPy accepts: an integer from 0 to 2**32 - 1."""
    return integer(0, SEED_LIMIT - 1)


def like(default: Any) -> Spec:
    """The spec of a value shaped like ``default`` (for settings declared by their default)."""
    if isinstance(default, bool):
        return flag()
    if isinstance(default, int):
        return integer()
    if isinstance(default, float):
        return number()
    if isinstance(default, str):
        return text()
    if isinstance(default, list | tuple):
        return array(like(default[0]) if default else Spec("either", options=()), 1)
    raise TypeError(f"no spec for a default of type {type(default).__name__}")


def validate(value: Any, spec: Spec, where: str, path: str = "") -> None:
    """Check ``value`` against ``spec``; ConfigError naming ``where`` and the key path if not.

    Parameters
    ----------
    value : any
        A parsed TOML value (the whole document for a file's schema).
    spec : Spec
    where : str
        The file (or ``"command line"``) named in messages.
    path : str
        The key path of ``value`` within the document (empty for the document).
    """
    if spec.kind == "either":
        if spec.options and not any(_fits(value, option) for option in spec.options):
            _fail(value, spec, where, path)
        for option in spec.options:
            if _fits(value, option):
                return validate(value, option, where, path)
        return None
    if not _fits(value, spec):
        _fail(value, spec, where, path)
    if spec.kind == "table":
        _validate_table(value, spec, where, path)
    elif spec.kind == "list" and spec.item is not None:
        for index, item in enumerate(value):
            validate(item, spec.item, where, f"{path}[{index}]")
    return None


def _validate_table(value: Mapping[str, Any], spec: Spec, where: str, path: str) -> None:
    prefix = f"{path}." if path else ""
    missing = [key for key in spec.required if key not in value]
    if missing:
        raise ConfigError(f"{where}: missing key {prefix}{missing[0]}")
    if spec.keys is None:
        return
    for key, item in value.items():
        if key in spec.keys:
            validate(item, spec.keys[key], where, prefix + key)
    unknown = sorted(set(value) - set(spec.keys))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {prefix}{unknown[0]}; valid keys"
            f"{' in ' + path if path else ''}: {', '.join(sorted(spec.keys))}"
        )


def _fits(value: Any, spec: Spec) -> bool:
    """Whether ``value`` has the type and range ``spec`` asks for (items not checked)."""
    kind = spec.kind
    if kind == "either":
        return any(_fits(value, option) for option in spec.options)
    if kind in ("int", "float"):
        types = int if kind == "int" else int | float
        if isinstance(value, bool) or not isinstance(value, types):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return (spec.low is None or value >= spec.low) and (spec.high is None or value <= spec.high)
    if kind == "str":
        return isinstance(value, str) and (not spec.choices or value in spec.choices)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list) and _length_ok(len(value), spec)
    return isinstance(value, Mapping)


def _length_ok(n: int, spec: Spec) -> bool:
    return n >= spec.min_len and (spec.max_len is None or n <= spec.max_len)


def _fail(value: Any, spec: Spec, where: str, path: str) -> None:
    shown = repr(value) if not isinstance(value, Mapping) else "a table"
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise ConfigError(f"{where}: {path or 'the file'} must be {spec.describe()}, got {shown}")


def _bounds_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {_num(low)} to {_num(high)}"
    if low is not None:
        return f" >= {_num(low)}"
    return f" <= {_num(high)}" if high is not None else ""


def _num(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _length_text(min_len: int, max_len: int | None) -> str:
    if max_len is not None:
        return f"a list of {min_len if min_len == max_len else f'{min_len} to {max_len}'} items"
    if min_len > 1:
        return f"a list of at least {min_len} items"
    return "a non-empty list" if min_len else "a list"
