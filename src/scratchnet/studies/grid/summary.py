"""The grid study's table and figures, from its cells' files only.

``results.md/.csv/.json``: one row per cell (its grid values, then the recorded metrics,
epochs and training seconds; a failed cell says so); ``curves_<key>.png``: train and
validation curves of every cell (rows: the combinations of all grid keys but the last;
columns: the last key's values); ``heatmap.png``: the chosen metric over a two-key grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.run.train import HISTORY
from scratchnet.runfiles import read_json
from scratchnet.studies.grid.config import GridConfig
from scratchnet.sweep import figures, tables

TABLE = "results"
HEATMAP = "heatmap.png"


def curves_file(key: str) -> str:
    """The figure of the per-epoch ``key`` curves."""
    return f"curves_{key}.png"


def write(config: GridConfig, results: list[dict], out_dir: Path) -> None:
    """Write the table and the figures into ``out_dir`` (nothing while no cell finished)."""
    if not results:
        return
    rows = [_row(config, record) for record in results]
    columns = (*config.names, "status", *config.metrics, "epochs", "fit s")
    tables.write_table(
        out_dir,
        TABLE,
        tuple(dict.fromkeys(columns)),
        rows,
        title=config.title,
        notes=_notes(config, results),
        digits={name: 4 for name in config.metrics},
    )
    labels = {record["key"]: _labels(config, record["params"]) for record in results}
    for key in config.curves:
        _curves(config, results, labels, key, out_dir)
    if config.heatmap:
        _heatmap(config, rows, out_dir)


def _row(config: GridConfig, record: dict) -> dict[str, Any]:
    row: dict[str, Any] = {name: _text(record["params"][name]) for name in config.names}
    row["status"] = record["status"]
    if record["status"] == "complete":
        metrics = record["metrics"]
        row.update({name: metrics.get(name) for name in config.metrics})
        row.update(epochs=metrics["epochs"], **{"fit s": metrics["fit_seconds"]})
    return row


def _notes(config: GridConfig, results: list[dict]) -> list[str]:
    fixed = ", ".join(f"{key}={value!r}" for key, value in config.params.items())
    sizes = next((r["metrics"]["sizes"] for r in results if r["status"] == "complete"), {})
    shown = ", ".join(
        f"{part} {sizes[part]:,}" for part in ("train", "val", "test") if part in sizes
    )
    return [
        f"{config.engine} {config.task}; fixed: {fixed or 'the defaults'}",
        f"data: {config.data.dataset} ({shown or 'sizes unknown'}; {config.data.scaling})",
        f"{len(results)} of {len(config.combinations())} cells finished",
    ]


def _labels(config: GridConfig, params: dict) -> tuple[str, str]:
    """(row, column) of a cell in the curve grid."""
    *rest, last = config.names
    row = ", ".join(f"{name}={_text(params[name])}" for name in rest) or config.title
    return row, f"{last}={_text(params[last])}"


def _curves(config, results, labels, key: str, out_dir: Path) -> None:
    histories, notes = {}, {}
    for record in results:
        cell = labels[record["key"]]
        if record["status"] == "complete":
            histories[cell] = read_json(out_dir / "cells" / record["key"] / HISTORY).value
        else:
            histories[cell], notes[cell] = record.get("history") or {}, "failed"
    rows = list(dict.fromkeys(row for row, _ in labels.values()))
    cols = list(dict.fromkeys(col for _, col in labels.values()))
    figure = figures.curve_grid(
        histories, rows, cols, keys=(key, f"val_{key}"), ylabel=key,
        title=f"{config.title}: {key} per epoch", notes=notes, log=key in ("loss", "mse"),
    )  # fmt: skip
    figures.save(figure, out_dir / curves_file(key))


def _heatmap(config: GridConfig, rows: list[dict], out_dir: Path) -> None:
    (row_name, row_values), (col_name, col_values) = config.grid
    by_cell = {(row[row_name], row[col_name]): row.get(config.heatmap) for row in rows}
    values = np.array(
        [[_nan(by_cell.get((_text(r), _text(c)))) for c in col_values] for r in row_values]
    )
    figure = figures.heatmap(
        values,
        [f"{row_name}={_text(v)}" for v in row_values],
        [f"{col_name}={_text(v)}" for v in col_values],
        fmt="{:.4g}",
        label=config.heatmap,
        title=f"{config.title}: {config.heatmap}",
    )
    figures.save(figure, out_dir / HEATMAP)


def _text(value: Any) -> str:
    """A grid value as the table shows it."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(_text, value)) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _nan(value: Any) -> float:
    return np.nan if value is None else float(value)
