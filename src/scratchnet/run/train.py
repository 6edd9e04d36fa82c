"""One way to train one network and write its folder: ``scratchnet train`` and every study's
cells go through :func:`train_and_record`.

A folder gets ``<prefix>history.json`` (per-epoch curves) and the model file
(``<prefix>model.npz`` unless named); the caller adds what else it records.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.engines.base import FitResult, TrainingEngine, evaluate
from scratchnet.engines.scratchnet_engine import fit_running
from scratchnet.fileio import json_safe, write_json

HISTORY = "history.json"
MODEL = "model.npz"

#: Data parts by name (``train``, ``val``, ``test``, ...): (X (n, n_features), y (n,) or
#: (n, n_outputs)).
Parts = Mapping[str, tuple[np.ndarray, np.ndarray]]


def train_and_record(
    engine: TrainingEngine,
    model,
    parts: Parts,
    folder: Path,
    *,
    epochs: int | None = None,
    running: bool = False,
    prefix: str = "",
    model_file: str | None = None,
    scored: tuple[str, ...] | None = None,
) -> tuple[FitResult, dict[str, Any]]:
    """Train ``model`` on ``parts["train"]`` (curves against ``parts["val"]``), score every
    part, write the history and the model into ``folder``.

    Parameters
    ----------
    engine : TrainingEngine
        The engine of ``model`` (:func:`scratchnet.engines.of`).
    model : unfitted estimator
    parts : mapping name -> (X, y)
        Must hold ``train``, and ``val`` for validation curves; every part in ``scored``
        is scored at the end.
    epochs : int, optional
        Epochs to train (default: the model's own setting, with ``running``).
    running : bool
        One ``fit(validation_data=...)`` of a scratchnet estimator (early stopping and
        schedules as it does them; running training means) instead of end-of-epoch curves.
    prefix : str
        File name prefix, when one folder holds several networks.
    model_file : str, optional
        The model's file name (default ``<prefix>model.npz``).
    scored : tuple of str, optional
        The parts to score at the end (default: all); a part the last epoch already
        evaluated with the final model (:attr:`FitResult.scores`) is not evaluated again.

    Returns
    -------
    FitResult, dict
        The fit, and metrics: ``<part>_<metric>`` for every part (``accuracy`` and ``loss``,
        or ``mse`` and ``r2``), ``epochs``, ``fit_seconds``, ``curve``, ``score_seconds``.
    """
    fitted = _fit(engine, model, parts, epochs, running)
    if model.get_params().get("verbose"):
        model.set_params(verbose=False)  # the saved file must not depend on the progress bar
    metrics = _scores(fitted, parts if scored is None else {name: parts[name] for name in scored})
    write_json(folder / f"{prefix}{HISTORY}", json_safe(fitted.history))
    engine.save(fitted.model, folder / (model_file or f"{prefix}{MODEL}"))
    return fitted, metrics


def _scores(fitted: FitResult, parts: Parts) -> dict[str, Any]:
    """The fit's epochs, times and curve, and every part's scores (``<part>_<metric>``)."""
    start = time.perf_counter()
    metrics: dict[str, Any] = {
        "epochs": len(fitted.history["epoch_time"]),
        "fit_seconds": fitted.fit_seconds,
        "curve": fitted.curve,
    }
    for name, (X_part, y_part) in parts.items():
        scores = fitted.scores.get(name) or evaluate(fitted.model, X_part, y_part)
        for key, value in scores.items():
            metrics[f"{name}_{key}"] = value
    metrics["score_seconds"] = time.perf_counter() - start
    return metrics


def _fit(engine: TrainingEngine, model, parts: Parts, epochs: int | None, running: bool):
    (X, y), (X_val, y_val) = parts["train"], parts.get("val", (None, None))
    if running:
        return fit_running(model, X, y, X_val, y_val, epochs)
    return engine.fit(
        model, X, y, X_val, y_val, epochs if epochs is not None else model_epochs(model)
    )


def model_epochs(model) -> int:
    """The number of epochs an estimator of either engine is set to train."""
    params = model.get_params()
    return int(params["epochs"] if "epochs" in params else params["max_iter"])
