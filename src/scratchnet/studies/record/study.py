"""The record study: a ladder of recipes for one network, one cell per step, each trained on
the training part and scored on the validation part only
(:mod:`scratchnet.studies.record.config`).

A cell's folder holds ``history.json`` and ``model.npz``. The summary
(:mod:`scratchnet.studies.record.summary`) picks the step with the best validation score,
scores its model once on the test part and writes the tables and figures the view names.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import engines
from scratchnet.engines.base import TRAIN_CURVE
from scratchnet.studies.record import summary
from scratchnet.studies.record.config import NAME, RecordConfig, parse
from scratchnet.sweep.cells import Cell
from scratchnet.views import FigureView, StudyView, TableView


class RecordStudy:
    """The best a network reaches, chosen on validation data (see the module docstring)."""

    name = NAME

    def parse_config(self, table: dict, where: str) -> RecordConfig:
        return parse(table, where)

    def cells(self, config: RecordConfig) -> list[Cell]:
        return [
            Cell(step_key(index, step.name), {"step": step.name, **step.params})
            for index, step in enumerate(config.ladder, 1)
        ]

    def cell_inputs(self, config: RecordConfig, cell: Cell) -> dict[str, Any]:
        """What a step's result depends on: the data, the engine and task, its parameters
        and whether it refits (not the title, description, anchors or figures)."""
        step = config.step(cell.params["step"])
        engine = {"engine": config.engine, "task": config.task, "refit": step.refit}
        return {"data": asdict(config.data), **engine, "params": cell.params}

    def run_cell(self, config: RecordConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        """Train the step's network on the training part (a refit step: on the training and
        validation parts together); its scores (the test part is not touched here)."""
        from scratchnet.data.prepare_cache import prepared
        from scratchnet.run.train import model_epochs, train_and_record

        data = prepared(config.data)
        engine = engines.get(config.engine)
        params = {key: value for key, value in cell.params.items() if key != "step"}
        model = engine.estimator(config.task, params)
        parts = _parts(data, config.task, refit=config.step(cell.params["step"]).refit)
        running = config.engine == "scratchnet"  # one fit: the schedule spans every epoch
        epochs = None if running else model_epochs(model)
        _, metrics = train_and_record(
            engine, model, parts, cell_dir, epochs=epochs, running=running
        )
        return {**metrics, "sizes": {**data.sizes, "train": len(parts["train"][0])}}

    def describe(self, config: RecordConfig, record: dict) -> str:
        metrics = record["metrics"]
        if config.select in metrics:
            score = summary.shown(config.select, metrics[config.select])
            shown = f"{summary.label(config.select)} {score:.4g}"
        else:  # a refit: trained on the validation part too
            shown = f"refit on {metrics['sizes']['train']:,} images"
        return f"{record['params']['step']}: {shown} ({record['seconds']:.0f} s)"

    def summarize(self, config: RecordConfig, results: list[dict], out_dir: Path) -> None:
        summary.write(config, results, Path(out_dir))

    def view(self, config: RecordConfig) -> StudyView:
        figures = [
            FigureView(
                summary.curves_file(key),
                f"{key} per epoch of every step (train, val; {TRAIN_CURVE})",
            )
            for key in config.curves
        ]
        if any(step.params.get("augment") for step in config.ladder):
            caption = "training images (top row) and random augmentations of them, as trained"
            figures.append(FigureView(summary.SAMPLES, caption))
        refit = (
            " (or its refit: the same recipe trained again on training + validation)"
            if any(step.refit for step in config.ladder)
            else ""
        )
        intro = (
            f"{config.description} Every step trains on the training part and is scored on "
            f"the validation part only; the step with the best {summary.label(config.select)} "
            f"is the record, and its model{refit} alone is scored on the test part, once."
        ).strip()
        headline = summary.score_column(config)
        tables = (TableView(summary.RECORD, headline=headline, headline_source=summary.RECORD),)
        tables += (TableView(summary.LADDER),)
        return StudyView(config.title, intro, tables, tuple(figures))


def _parts(data, task: str, refit: bool) -> dict[str, tuple]:
    """The parts a step trains on and is scored on: ``train`` and ``val``, or for a refit
    ``train`` alone, holding both. An autoencoder's target is its input."""
    parts = {"train": (data.X_train, data.y_train), "val": (data.X_val, data.y_val)}
    if refit:
        joined = [np.concatenate(pair) for pair in zip(parts["train"], parts["val"])]
        parts = {"train": tuple(joined)}
    if task == "regress":
        parts = {name: (X, X) for name, (X, _) in parts.items()}
    return parts


def step_key(index: int, name: str) -> str:
    """A cell folder name from a step's position and name, e.g. ``02_augmentation``."""
    words = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return f"{index:02d}_{words[:40].rstrip('_')}"


STUDY = RecordStudy()
