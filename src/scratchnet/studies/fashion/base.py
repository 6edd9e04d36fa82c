"""The steps the Fashion-MNIST studies share: one base class holds them.

A study names its defaults, its tables and its figures; :class:`FashionStudy` parses its config
(:mod:`scratchnet.studies.fashion.config`), lists its (engine, recipe, activation) cells, loads
the data a cell's engine is fed, and starts every summary with the complete cells' metrics and
the notes every table carries (data, recipes). :func:`train_network` trains one network of a
cell through :func:`scratchnet.run.train.train_and_record`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from scratchnet import engines
from scratchnet.data.prepare import PreparedData
from scratchnet.data.prepare_cache import prepared
from scratchnet.run.train import HISTORY, Parts, train_and_record
from scratchnet.studies.fashion import config as fashion_config
from scratchnet.studies.fashion import tables
from scratchnet.studies.fashion.config import (
    StudyConfig,
    data_description,
    engine_data,
    recipe_text,
    source_label,
)
from scratchnet.sweep.cells import Cell
from scratchnet.views import StudyView

#: What the training curves of the Section C figures are (the report says it under them).
CURVES = (
    "training and validation sets each evaluated in full after every epoch, as the original "
    "study did; an improved recipe's training curve is the running mean over its batches"
)


class FashionStudy:
    """Shared cell and summary steps; subclasses implement :meth:`train_cell` and
    :meth:`write_summary` (and may override the rest)."""

    name: ClassVar[str] = ""
    #: Defaults of ``[model]``: ``hidden``, ``activations`` and any Recipe field.
    model_defaults: ClassVar[Mapping[str, Any]] = {}
    #: ``[options]`` keys with their defaults.
    options: ClassVar[Mapping[str, Any]] = {}
    improved_allowed: ClassVar[bool] = True
    #: What the report shows of the study: its title, intro, tables and figures.
    VIEW: ClassVar[StudyView]

    def parse_config(self, table: dict, where: str) -> StudyConfig:
        return fashion_config.parse(
            table,
            where,
            name=self.name,
            model_defaults=self.model_defaults,
            options=self.options,
            improved_allowed=self.improved_allowed,
        )

    def view(self, config: StudyConfig) -> StudyView:
        """What the report shows of the study (:data:`VIEW`)."""
        return self.VIEW

    def cells(self, config: StudyConfig) -> list[Cell]:
        return [Cell(key, params) for key, params in fashion_config.recipe_cells(config)]

    def run_cell(self, config: StudyConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        """Load the cell's data, :meth:`train_cell`, add the data sizes and the cell's time."""
        start = time.perf_counter()
        data = study_data(config, cell.params["engine"])
        metrics = self.train_cell(config, cell, data, cell_dir)
        metrics["sizes"] = dict(data.sizes)
        metrics["run_seconds"] = time.perf_counter() - start
        return metrics

    def train_cell(
        self, config: StudyConfig, cell: Cell, data: PreparedData, cell_dir: Path
    ) -> dict[str, Any]:
        """Train the cell's networks into ``cell_dir``; return its metrics."""
        raise NotImplementedError

    def summarize(self, config: StudyConfig, results: list[dict], out_dir: Path) -> None:
        """The complete cells' rows and the common notes, to :meth:`write_summary`."""
        rows = cell_metrics(results)
        if rows:
            self.write_summary(config, rows, Path(out_dir), self.notes(config, rows))

    def write_summary(
        self, config: StudyConfig, rows: list[dict], out_dir: Path, notes: list[str]
    ) -> None:
        """Write the study's tables and figures into ``out_dir``."""
        raise NotImplementedError

    def notes(self, config: StudyConfig, rows: list[dict]) -> list[str]:
        """The data and the original study's recipe."""
        return [
            data_description(config.data, rows[0]["sizes"]),
            f"original recipe: {recipe_text(config.recipe)}",
        ]


def improved_notes(config: StudyConfig) -> list[str]:
    """The improved recipe's line, if the config has one."""
    if config.improved is None:
        return []
    return [f"improved recipe (scratchnet): {recipe_text(config.improved)}"]


def study_data(config: StudyConfig, engine: str) -> PreparedData:
    """The study's prepared data (cached per process) in the dtype ``engine`` is fed."""
    return engine_data(prepared(config.data), engine, config.sklearn_dtype)


def train_network(
    config: StudyConfig,
    cell: Cell,
    task: str,
    activation: str,
    parts: Parts,
    cell_dir: Path,
    prefix: str = "",
) -> tuple[Any, dict[str, Any]]:
    """Build the cell's engine's network (``config.hidden``, the cell's recipe), train it and
    write its files (:func:`~scratchnet.run.train.train_and_record`); model and metrics."""
    engine = engines.get(cell.params["engine"])
    recipe = config.recipe_named(cell.params["recipe"])
    X, y = parts["train"]
    n_outputs = len(np.unique(y)) if task == "classify" else y.shape[1]
    model = engine.build(task, config.hidden, activation, recipe, X.shape[1], n_outputs)
    fitted, metrics = train_and_record(
        engine, model, parts, cell_dir, epochs=recipe.epochs, prefix=prefix
    )
    return fitted.model, metrics


def cell_metrics(results: list[dict]) -> list[dict]:
    """The metrics of the complete cells of a sweep's ``results``, each with key and params."""
    rows = []
    for record in results:
        if record.get("status") == "complete":
            rows.append({**record["params"], **record["metrics"], "key": record["key"],
                         "cell_seconds": record.get("seconds")})  # fmt: skip
    return rows


def histories(rows: list[dict], out_dir: Path, by: str, file: str = HISTORY) -> dict:
    """Per-epoch histories for :func:`~scratchnet.studies.fashion.tables.curves_figure`: one
    panel per engine and recipe, one run per value of ``by``; ``file`` may name a row's field
    in braces (``{layer}_history.json``)."""
    panels: dict[str, dict[str, dict]] = {}
    for row in rows:
        path = tables.cell_folder(out_dir, row["key"]) / file.format(**row)
        label = source_label(row["engine"], row["recipe"])
        panels.setdefault(label, {})[row[by]] = tables.read_json(path)
    return panels


def parts_of(data: PreparedData) -> dict[str, tuple]:
    """``train``/``val``/``test`` as (X (n, n_features), labels (n,))."""
    images = {"train": data.X_train, "val": data.X_val, "test": data.X_test}
    labels = {"train": data.y_train, "val": data.y_val, "test": data.y_test}
    return {part: (X, labels[part]) for part, X in images.items()}
