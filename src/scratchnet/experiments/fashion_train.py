"""Train one network of a Fashion-MNIST study in a cell folder: the step studies 2, 4 and 5 share.

:func:`train_and_record` builds the engine's estimator, trains it with per-epoch curves, scores
it on every data part, and writes ``history.json`` and ``model.npz`` into the cell folder.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.experiments import engines
from scratchnet.experiments.datacache import prepared
from scratchnet.experiments.fashion_config import StudyConfig, engine_data
from scratchnet.experiments.prepare import PreparedData
from scratchnet.fileio import write_json

HISTORY = "history.json"
MODEL = "model.npz"

Parts = Mapping[str, tuple[np.ndarray, np.ndarray]]


def study_data(config: StudyConfig, engine: str) -> PreparedData:
    """The study's prepared data (cached per process) in the dtype ``engine`` is fed."""
    return engine_data(prepared(config.data), engine, config.sklearn_dtype)


def train_and_record(
    engine: str,
    task: str,
    hidden: tuple[int, ...],
    activation: str,
    recipe: engines.Recipe,
    parts: Parts,
    cell_dir: Path,
    *,
    prefix: str = "",
) -> tuple[Any, dict[str, Any]]:
    """Train on ``parts["train"]`` (curves against ``parts["val"]``), score every part.

    Parameters
    ----------
    engine : {"sklearn", "scratchnet"}
    task : {"classify", "regress"}
    hidden : tuple of int
    activation : str
    recipe : Recipe
    parts : mapping name -> (X, y)
        Must hold ``train`` and ``val``; every part (e.g. ``test``) is scored at the end.
    cell_dir : Path
        Receives ``<prefix>history.json`` and ``<prefix>model.npz``.
    prefix : str
        File name prefix, when one cell trains several networks.

    Returns
    -------
    model, metrics
        ``metrics`` holds ``<part>_<metric>`` for every part (``accuracy`` and ``loss``, or
        ``mse`` and ``r2``), ``epochs``, ``fit_seconds`` (training only), ``curve``.
    """
    X, y = parts["train"]
    X_val, y_val = parts["val"]
    n_outputs = len(np.unique(y)) if task == "classify" else y.shape[1]
    model = engines.make_estimator(engine, task, hidden, activation, recipe, X.shape[1], n_outputs)
    fitted = engines.fit_with_history(model, X, y, X_val, y_val, recipe.epochs)
    start = time.perf_counter()
    metrics: dict[str, Any] = {
        "epochs": len(fitted.history["epoch_time"]),
        "fit_seconds": fitted.fit_seconds,
        "curve": fitted.curve,
    }
    for name, (X_part, y_part) in parts.items():
        for key, value in engines.evaluate(fitted.model, X_part, y_part).items():
            metrics[f"{name}_{key}"] = value
    metrics["score_seconds"] = time.perf_counter() - start
    write_json(cell_dir / f"{prefix}{HISTORY}", fitted.history)
    engines.save_model(fitted.model, cell_dir / f"{prefix}{MODEL}")
    return fitted.model, metrics


def cell_metrics(results: list[dict]) -> list[dict]:
    """The metrics of the complete cells of a sweep's ``results``, each with key and params."""
    rows = []
    for record in results:
        if record.get("status") == "complete":
            rows.append({**record["params"], **record["metrics"], "key": record["key"],
                         "cell_seconds": record.get("seconds")})  # fmt: skip
    return rows
