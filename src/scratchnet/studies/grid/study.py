"""The grid study: one cell per combination of the config's ``[grid]``, each one network of
the named engine trained through :func:`scratchnet.run.train.train_and_record`.

A cell's folder holds ``history.json`` and ``model.npz``; the summary writes ``results``
(``.md``/``.csv``/``.json``), a figure of curves per ``[record] curves`` key
(``curves_<key>.png``) and the heatmap (``heatmap.png``); the view puts them in the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scratchnet import engines
from scratchnet.engines.base import TRAIN_CURVE
from scratchnet.numbers import MISSING, significant
from scratchnet.studies.grid import summary
from scratchnet.studies.grid.config import NAME, GridConfig, parse
from scratchnet.sweep.cells import Cell
from scratchnet.views import FigureView, StudyView, TableView


class GridStudy:
    """A grid of trainings defined by a config file alone
    (:mod:`scratchnet.studies.grid.config`)."""

    name = NAME

    def parse_config(self, table: dict, where: str) -> GridConfig:
        return parse(table, where)

    def cells(self, config: GridConfig) -> list[Cell]:
        return [Cell(cell_key(params), params) for params in config.combinations()]

    def run_cell(self, config: GridConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        """Train the cell's network on the prepared data; its metrics."""
        from scratchnet.data.prepare_cache import prepared
        from scratchnet.run.train import model_epochs, train_and_record

        data = prepared(config.data)
        engine = engines.get(config.engine)
        model = engine.estimator(config.task, {**config.params, **cell.params})
        parts = {
            "train": (data.X_train, data.y_train),
            "val": (data.X_val, data.y_val),
            "test": (data.X_test, data.y_test),
        }
        if config.task == "regress":  # an autoencoder: the target is the input
            parts = {name: (X, X) for name, (X, _) in parts.items()}
        _, metrics = train_and_record(engine, model, parts, cell_dir, epochs=model_epochs(model))
        return {**metrics, "sizes": dict(data.sizes)}

    def describe(self, config: GridConfig, record: dict) -> str:
        shown = ", ".join(
            f"{name} {significant(record['metrics'].get(name), missing=MISSING)}"
            for name in config.metrics[:3]
        )
        return f"{record['key']}: {shown} ({record['seconds']:.1f} s)"

    def summarize(self, config: GridConfig, results: list[dict], out_dir: Path) -> None:
        summary.write(config, results, Path(out_dir))

    def view(self, config: GridConfig) -> StudyView:
        figures = [
            FigureView(
                summary.curves_file(key), f"{key} per epoch, every cell (train, val; {TRAIN_CURVE})"
            )
            for key in config.curves
        ]
        if config.heatmap:
            rows, cols = config.names
            caption = f"{config.heatmap} by {rows} (rows) and {cols} (columns)"
            figures.append(FigureView(summary.HEATMAP, caption))
        intro = config.description or f"A grid over {', '.join(config.names)}."
        return StudyView(config.title, intro, (TableView(summary.TABLE),), tuple(figures))


def cell_key(params: dict[str, Any]) -> str:
    """A folder name from a cell's parameters, e.g. ``lr_0.001__weight_decay_0.01``."""
    return "__".join(f"{name}_{value_text(value)}" for name, value in params.items())


def value_text(value: Any) -> str:
    """A parameter value as folder-name characters (letters, digits, ``_``, ``-``, ``.``)."""
    if isinstance(value, list | tuple):
        return "x".join(value_text(v) for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)


STUDY = GridStudy()
