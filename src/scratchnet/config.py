"""Config files (TOML): reading them and checking their keys against what they configure.

Every error names the file and the key, and says what was expected.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scratchnet import schema
from scratchnet.errors import ConfigError
from scratchnet.fileio import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file; a missing, non-UTF-8 or malformed file raises ConfigError naming it."""
    return parse_toml(read_toml_text(path), path)


def read_toml_text(path: str | os.PathLike[str]) -> str:
    """The text of a config file; ConfigError naming it if it is missing or not UTF-8."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    return read_text(path, ConfigError)


def parse_toml(text: str, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse TOML ``text`` read from ``path``; ConfigError naming the file if it is invalid."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config file {path} nests arrays or tables too deeply") from None


def check_keys(table: Mapping[str, Any], allowed: set[str] | list[str], where: str) -> None:
    """Raise ConfigError for the first key of ``table`` not in ``allowed``."""
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"valid keys: {', '.join(sorted(allowed))}"
        )


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` merged in, tables recursively (a new dict)."""
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_quick(table: Mapping[str, Any], quick: bool, where: str) -> dict[str, Any]:
    """Drop a config's ``[quick]`` table; with ``quick``, first merge it over the rest.

    ``[quick]`` holds the overrides (data subsets, fewer epochs) that make a study run in
    seconds with the same code: ``scratchnet sweep --quick`` and ``reproduce --quick``.
    """
    table = dict(table)
    overrides = table.pop("quick", {})
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{where}: [quick] must be a table of overrides")
    return merge(table, overrides) if quick else table


#: Specs of the estimator parameters whose default (None, a name) does not say their type.
_ESTIMATOR_SPECS = {
    "layers": schema.array(schema.integer(1), 2),
    "N": schema.integer(2),
    "activations": schema.either(schema.text(), schema.array(schema.text(), 1)),
    "weight_decay": schema.number(0),
    "validation_fraction": schema.number(0, 1),
    "random_state": schema.seed(),
    "batch_size": schema.either(schema.integer(1), schema.text("auto")),
    "tol": schema.number(0),
    "dropout": schema.either(schema.number(0, 1), schema.array(schema.number(0, 1), 1)),
    "class_weight": schema.text("balanced"),  # a {label: weight} table: from Python only
    "batch_norm": schema.either(schema.flag(), schema.array(schema.flag(), 1)),
    "batch_norm_momentum": schema.number(0, 1),
}


def estimator_schema(exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, schema.Spec]:
    """The spec of every estimator parameter (types, finiteness, plain ranges), from the
    constructor's defaults; the estimator checks the rest (names, combinations) in ``fit``."""
    from scratchnet.estimators import NeuralNetwork

    specs = {}
    for name, default in NeuralNetwork().get_params().items():
        if name not in exclude:
            specs[name] = _ESTIMATOR_SPECS.get(name) or schema.like(default)
    return specs


def estimator_param_names() -> list[str]:
    """The constructor parameters every scratchnet estimator accepts."""
    from scratchnet.estimators import NeuralNetwork

    return sorted(NeuralNetwork().get_params())


def dataclass_from(cls: type, table: Mapping[str, Any], where: str) -> Any:
    """Build dataclass ``cls`` from ``table``, refusing unknown keys and mistyped values."""
    fields = {field.name: field for field in dataclasses.fields(cls)}
    check_keys(table, fields, where)
    values = {}
    for name, value in table.items():
        expected = _default_type(fields[name])
        if expected is not None and not _conforms(value, expected):
            raise ConfigError(f"{where}: {name} must be {expected.__name__}, got {value!r}")
        values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def _default_type(field: dataclasses.Field) -> type | None:
    if field.default is dataclasses.MISSING or field.default is None:
        return None
    return type(field.default)


def _conforms(value: Any, expected: type) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is tuple:
        return isinstance(value, list | tuple)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)
