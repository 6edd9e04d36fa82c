"""Read the theory exercises' inputs and a student's answers from TOML (or JSON) files.

A backprop config holds ``x``, ``y``, ``learning_rate`` and one ``[[layers]]`` table per layer
with ``weights`` (a number, or a list of rows), ``bias`` and ``activation``; an ``[answers]``
table may hold the student's answers. Answer files map quantity names to values; write decimals
as strings (``mse = "16.3213"``) to keep the places you wrote.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from scratchnet import schema
from scratchnet.errors import ConfigError
from scratchnet.fileio import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Parse a ``.toml`` or ``.json`` file into a dict; ConfigError naming the file if invalid."""
    path = Path(path)
    text = read_text(path, ConfigError)
    kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # the decode errors, 5,000-digit ints, nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"{path}: not valid {kind}: {reason}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of names and values")
    return data


def read_answers(path: str | Path) -> dict[str, Any]:
    """Answers from a file: its ``[answers]`` table if present, else the whole file."""
    data = read_mapping(path)
    answers = data.get("answers", data)
    if not isinstance(answers, dict):
        raise ConfigError(f"{path}: 'answers' must be a table")
    return answers


#: A number, written as a number or as text ("0.1", "1/3").
_NUMBER = schema.either(schema.number(), schema.text())
#: A number, a list of numbers (one per sample or unit), or a list of rows.
_VALUES = schema.either(_NUMBER, schema.array(schema.either(_NUMBER, schema.array(_NUMBER))))
#: The schema of a backprop config file (``explain backprop --config``).
BACKPROP_SCHEMA = schema.table(
    required=("layers",),
    x=_VALUES,
    y=_VALUES,
    learning_rate=_NUMBER,
    layers=schema.array(
        schema.table(
            required=("weights", "bias", "activation"),
            weights=_VALUES,
            bias=_VALUES,
            activation=schema.text(),
        ),
        1,
    ),
    answers=schema.Spec("table"),  # any names: marking reports the unknown ones
)


def backprop_settings(path: str | Path) -> dict[str, Any]:
    """A backprop config as keyword lists: x, y, learning_rate, weights, biases, activations."""
    data = read_mapping(path)
    schema.validate(data, BACKPROP_SCHEMA, str(path))
    out: dict[str, Any] = {"weights": [], "biases": [], "activations": []}
    for layer in data["layers"]:
        out["weights"].append(layer["weights"])
        out["biases"].append(layer["bias"])
        out["activations"].append(layer["activation"])
    for key in ("x", "y", "learning_rate"):
        if key in data:
            out[key] = data[key]
    return out


def read_points_csv(path: str | Path) -> tuple[list[list[str]], list[str]]:
    """Points from a CSV with the label in the last column (a header row is skipped)."""
    points, labels = [], []
    rows = csv.reader(io.StringIO(read_text(path, ConfigError), newline=""))
    try:
        for n, row in enumerate(rows, 1):
            cells = [c.strip() for c in row if c.strip()]
            if not cells or (n == 1 and not _numeric(cells[0])):
                continue
            if len(cells) < 2:
                raise ConfigError(f"{path}: line {n} needs coordinates and a label")
            points.append(cells[:-1])
            labels.append(cells[-1])
    except csv.Error as exc:
        raise ConfigError(f"{path}: line {rows.line_num}: not valid CSV: {exc}") from None
    if not points:
        raise ConfigError(f"{path}: no points")
    return points, labels


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
