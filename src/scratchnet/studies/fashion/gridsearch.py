"""Study 3 of Section C: grid search with 3-fold cross-validation, on two engines.

relu, [128, 64, 32], Adam, at most 50 epochs, learning rate in {1e-4, 1e-5} x batch size in
{128, 256}, 3-fold cross-validation on the training part (the holdout split's training images),
accuracy, all cores. Each engine's whole search is one cell (``<engine>-gridsearch``), run by
scikit-learn's own ``GridSearchCV`` (``n_jobs=-1`` inside: all cores); with scratchnet it wraps
``NeuralNetwork`` unchanged. ``refit=True`` as in the original, so the best model is also scored on
the test set.

Each cell writes ``cv_results.json`` (every candidate: parameters, per-fold and mean/std
accuracy, fit times) and ``model.npz`` (the refitted best model). The summary writes
``candidates.md/.csv/.json`` (every candidate, both engines), ``gridsearch.md/...`` (best
parameters and score per engine beside the original study's) and ``engines.md/...``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import engines
from scratchnet.data.prepare import PreparedData
from scratchnet.engines.base import evaluate
from scratchnet.errors import ConfigError
from scratchnet.fileio import write_json
from scratchnet.studies.fashion import tables
from scratchnet.studies.fashion.base import FashionStudy
from scratchnet.studies.fashion.config import StudyConfig, recipe_text
from scratchnet.sweep.cells import Cell
from scratchnet.views import StudyView, TableView

#: The original study's best parameters and best mean cross-validation accuracy.
ORIGINAL_BEST = {"lr": 1e-4, "batch_size": 128, "cv accuracy %": 88.12}
MODEL_DEFAULTS = {"hidden": [128, 64, 32], "activations": ["relu"], "epochs": 50, "lr": 1e-4}
OPTIONS = {"lr": [1e-4, 1e-5], "batch_size": [128, 256], "cv": 3, "n_jobs": -1}
#: The grid's parameters (Recipe field names).
GRID = ("lr", "batch_size")
CV_RESULTS = "cv_results.json"
CANDIDATE_COLUMNS = ("engine", "lr", "batch_size", "mean cv acc %", "std cv acc %", "rank",
                     "mean fit s")  # fmt: skip
BEST_COLUMNS = ("source", "best lr", "best batch_size", "best cv acc %", "refit test acc %",
                "search s", "wall s")  # fmt: skip


class GridSearchStudy(FashionStudy):
    """The grid-search study (see the module docstring)."""

    name = "fashion-gridsearch"
    model_defaults = MODEL_DEFAULTS
    options = OPTIONS
    improved_allowed = False
    VIEW = StudyView(
        "C.3 Grid search",
        "scikit-learn's GridSearchCV, unchanged, over learning rate {1e-4, 1e-5} x batch "
        "size {128, 256} with 3-fold cross-validation, on both engines.",
        (
            TableView("gridsearch", headline="best cv acc %"),
            TableView("candidates"),
            TableView("engines"),
        ),
    )

    def parse_config(self, table: dict, where: str) -> StudyConfig:
        config = super().parse_config(table, where)
        _check_grid(config, where)
        return config

    def cells(self, config: StudyConfig) -> list[Cell]:
        return [Cell(f"{engine}-gridsearch", {"engine": engine}) for engine in config.engines]

    def train_cell(
        self, config: StudyConfig, cell: Cell, data: PreparedData, cell_dir: Path
    ) -> dict[str, Any]:
        """The whole search of one engine: every candidate, then the refitted best model."""
        engine = engines.get(cell.params["engine"])
        search, fit_seconds = _search(config, engine, data)
        names = {key: engine.param_name(key) for key in GRID}
        write_json(cell_dir / CV_RESULTS, _candidates(search.cv_results_, names, search.n_splits_))
        engine.save(search.best_estimator_, cell_dir / "model.npz")
        inverse = {value: key for key, value in names.items()}
        best = {inverse[key]: _plain(value) for key, value in search.best_params_.items()}
        test = evaluate(search.best_estimator_, data.X_test, data.y_test)
        return {
            "best_params": best,
            "best_score": float(search.best_score_),
            "test_accuracy": test["accuracy"],
            "best_epochs": int(getattr(search.best_estimator_, "n_iter_", 0)),
            "fit_seconds": fit_seconds,
            "refit_seconds": float(search.refit_time_),
            "n_jobs": config.options["n_jobs"],
        }

    def describe(self, config: StudyConfig, record: dict) -> str:
        m = record["metrics"]
        return (
            f"{record['key']}: best {m['best_params']} CV acc {100 * m['best_score']:.2f}% "
            f"({m['fit_seconds']:.1f} s)"
        )

    def notes(self, config: StudyConfig, rows: list[dict]) -> list[str]:
        return [
            super().notes(config, rows)[0],
            f"fixed: {config.activations[0]}, hidden {list(config.hidden)}, "
            f"{recipe_text(config.recipe)}; {config.options['cv']}-fold CV on the training part",
        ]

    def write_summary(
        self, config: StudyConfig, rows: list[dict], out_dir: Path, notes: list[str]
    ) -> None:
        tables.write_table(
            out_dir,
            "candidates",
            CANDIDATE_COLUMNS,
            _candidate_rows(rows, out_dir),
            title="Study 3: every candidate's cross-validation accuracy",
            notes=notes,
            digits={"lr": 6},
        )
        tables.write_table(
            out_dir,
            "gridsearch",
            BEST_COLUMNS,
            _best_rows(rows),
            title="Study 3: grid search, best parameters and score",
            notes=notes,
            digits={"best lr": 6},
        )
        for row in rows:
            row.update(setting="grid", recipe="original", epochs=None)
        tables.write_engine_table(
            out_dir,
            rows,
            ("setting",),
            "best_score",
            title="Study 3: scratchnet vs scikit-learn (best mean CV accuracy)",
            unit="percentage points",
        )


def _search(config: StudyConfig, engine, data: PreparedData):
    """scikit-learn's GridSearchCV over the engine's estimator, fitted; and its seconds."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV

    estimator = engine.build(
        "classify",
        config.hidden,
        config.activations[0],
        config.recipe,
        data.X_train.shape[1],
        len(np.unique(data.y_train)),
    )
    grid = {engine.param_name(key): list(config.options[key]) for key in GRID}
    search = GridSearchCV(
        estimator,
        grid,
        cv=config.options["cv"],
        scoring="accuracy",
        n_jobs=config.options["n_jobs"],
        refit=True,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the original's choice
        search.fit(data.X_train, data.y_train)
    return search, time.perf_counter() - start


def _candidate_rows(rows: list[dict], out_dir: Path) -> list[dict]:
    """Every candidate of every engine's search, from the cells' ``cv_results.json``."""
    candidates = []
    for row in rows:
        folder = tables.cell_folder(out_dir, row["key"])
        for candidate in tables.read_json(folder / CV_RESULTS):
            candidates.append({"engine": row["engine"], **candidate})
    return candidates


def _best_rows(rows: list[dict]) -> list[dict]:
    """The original study's best candidate, then each engine's."""
    best = [{"source": "original", "best lr": ORIGINAL_BEST["lr"],
             "best batch_size": ORIGINAL_BEST["batch_size"],
             "best cv acc %": ORIGINAL_BEST["cv accuracy %"]}]  # fmt: skip
    for row in rows:
        best.append(
            {
                "source": row["engine"],
                "best lr": row["best_params"]["lr"],
                "best batch_size": row["best_params"]["batch_size"],
                "best cv acc %": 100 * row["best_score"],
                "refit test acc %": 100 * row["test_accuracy"],
                "search s": row["fit_seconds"],
                "wall s": row["cell_seconds"],
            }
        )
    return best


def _candidates(cv_results: dict, names: dict[str, str], n_splits: int) -> list[dict[str, Any]]:
    """One JSON-safe row per candidate, with the grid's own parameter names."""
    rows = []
    for i, params in enumerate(cv_results["params"]):
        rows.append(
            {
                "lr": _plain(params[names["lr"]]),
                "batch_size": _plain(params[names["batch_size"]]),
                "mean cv acc %": 100 * float(cv_results["mean_test_score"][i]),
                "std cv acc %": 100 * float(cv_results["std_test_score"][i]),
                "rank": int(cv_results["rank_test_score"][i]),
                "mean fit s": float(cv_results["mean_fit_time"][i]),
                "fold acc %": [
                    100 * float(cv_results[f"split{k}_test_score"][i]) for k in range(n_splits)
                ],
            }
        )
    return rows


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_grid(config: StudyConfig, where: str) -> None:
    for key, kind in (("lr", float), ("batch_size", int)):
        values = config.options[key]
        ok = bool(values) and all(
            isinstance(v, kind | int) and not isinstance(v, bool) and v > 0 for v in values
        )
        if not ok:
            raise ConfigError(f"{where} [options]: {key} must be a list of positive numbers")
    if config.options["cv"] < 2:
        raise ConfigError(f"{where} [options]: cv must be >= 2, got {config.options['cv']}")
    if len(config.activations) != 1:
        raise ConfigError(f"{where} [model]: activations must name one activation")


STUDY = GridSearchStudy()
