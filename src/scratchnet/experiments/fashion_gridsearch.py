"""Study 3 of Section C: grid search with 3-fold cross-validation, on two engines.

relu, [128, 64, 32], Adam, at most 50 epochs, learning rate in {1e-4, 1e-5} x batch size in
{128, 256}, 3-fold cross-validation on the training part (the holdout split's training images),
accuracy, all cores. Each engine's whole search is one cell (``<engine>-gridsearch``), run by
scikit-learn's own ``GridSearchCV`` (``n_jobs=-1`` inside: all cores); with scratchnet it wraps
``NeuralNetwork`` unchanged. ``refit=True`` as in the seed, so the best model is also scored on
the test set.

Each cell writes ``cv_results.json`` (every candidate: parameters, per-fold and mean/std
accuracy, fit times) and ``model.npz`` (the refitted best model). The summary writes
``candidates.md/.csv/.json`` (every candidate, both engines), ``gridsearch.md/...`` (best
parameters and score per engine beside the seed's) and ``engines.md/...``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.experiments import engines, fashion_config, fashion_report
from scratchnet.experiments.cells import Cell
from scratchnet.experiments.fashion_config import StudyConfig, data_description, recipe_text
from scratchnet.experiments.fashion_train import cell_metrics, study_data
from scratchnet.fileio import write_json

#: The seed's best parameters and best mean cross-validation accuracy.
SEED_BEST = {"lr": 1e-4, "batch_size": 128, "cv accuracy %": 88.12}
MODEL_DEFAULTS = {"hidden": [128, 64, 32], "activations": ["relu"], "epochs": 50, "lr": 1e-4}
OPTIONS = {"lr": [1e-4, 1e-5], "batch_size": [128, 256], "cv": 3, "n_jobs": -1}
#: Grid names (the Recipe's) -> each engine's parameter name.
PARAM_NAMES = {
    "sklearn": {"lr": "learning_rate_init", "batch_size": "batch_size"},
    "scratchnet": {"lr": "lr", "batch_size": "batch_size"},
}
CV_RESULTS = "cv_results.json"


class GridSearchStudy:
    """The grid-search study for :func:`scratchnet.experiments.sweep.run_sweep`."""

    name = "fashion-gridsearch"

    def parse_config(self, table: dict, where: str) -> StudyConfig:
        config = fashion_config.parse(
            table,
            where,
            name=self.name,
            model_defaults=MODEL_DEFAULTS,
            options=OPTIONS,
            improved_allowed=False,
        )
        _check_grid(config, where)
        return config

    def cells(self, config: StudyConfig) -> list[Cell]:
        return [Cell(f"{engine}-gridsearch", {"engine": engine}) for engine in config.engines]

    def run_cell(self, config: StudyConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import GridSearchCV

        start = time.perf_counter()
        engine = cell.params["engine"]
        data = study_data(config, engine)
        estimator = engines.make_estimator(
            engine,
            "classify",
            config.hidden,
            config.activations[0],
            config.recipe,
            data.X_train.shape[1],
            len(np.unique(data.y_train)),
        )
        names = PARAM_NAMES[engine]
        grid = {names[key]: list(config.options[key]) for key in ("lr", "batch_size")}
        search = GridSearchCV(
            estimator,
            grid,
            cv=config.options["cv"],
            scoring="accuracy",
            n_jobs=config.options["n_jobs"],
            refit=True,
        )
        fit_start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the seed's choice
            search.fit(data.X_train, data.y_train)
        fit_seconds = time.perf_counter() - fit_start
        candidates = _candidates(search.cv_results_, names, search.n_splits_)
        write_json(cell_dir / CV_RESULTS, candidates)
        engines.save_model(search.best_estimator_, cell_dir / "model.npz")
        inverse = {value: key for key, value in names.items()}
        best = {inverse[key]: _plain(value) for key, value in search.best_params_.items()}
        test = engines.evaluate(search.best_estimator_, data.X_test, data.y_test)
        return {
            "best_params": best,
            "best_score": float(search.best_score_),
            "test_accuracy": test["accuracy"],
            "best_epochs": int(getattr(search.best_estimator_, "n_iter_", 0)),
            "fit_seconds": fit_seconds,
            "refit_seconds": float(search.refit_time_),
            "n_jobs": config.options["n_jobs"],
            "sizes": dict(data.sizes),
            "run_seconds": time.perf_counter() - start,
        }

    def describe(self, config: StudyConfig, record: dict) -> str:
        m = record["metrics"]
        return (
            f"{record['key']}: best {m['best_params']} CV acc {100 * m['best_score']:.2f}% "
            f"({m['fit_seconds']:.1f} s)"
        )

    def summarize(self, config: StudyConfig, results: list[dict], out_dir: Path) -> None:
        rows = cell_metrics(results)
        if not rows:
            return
        notes = [
            data_description(config.data, rows[0]["sizes"]),
            f"fixed: {config.activations[0]}, hidden {list(config.hidden)}, "
            f"{recipe_text(config.recipe)}; {config.options['cv']}-fold CV on the training part",
        ]
        candidates = []
        for row in rows:
            folder = fashion_report.cell_folder(out_dir, row["key"])
            for candidate in fashion_report.read_json(folder / CV_RESULTS):
                candidates.append({"engine": row["engine"], **candidate})
        fashion_report.write_table(
            out_dir,
            "candidates",
            (
                "engine",
                "lr",
                "batch_size",
                "mean cv acc %",
                "std cv acc %",
                "rank",
                "mean fit s",
            ),
            candidates,
            title="Study 3: every candidate's cross-validation accuracy",
            notes=notes,
            digits={"lr": 6},
        )
        best = [{"source": "seed", "best lr": SEED_BEST["lr"],
                 "best batch_size": SEED_BEST["batch_size"],
                 "best cv acc %": SEED_BEST["cv accuracy %"]}]  # fmt: skip
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
        fashion_report.write_table(
            out_dir,
            "gridsearch",
            (
                "source",
                "best lr",
                "best batch_size",
                "best cv acc %",
                "refit test acc %",
                "search s",
                "wall s",
            ),
            best,
            title="Study 3: grid search, best parameters and score",
            notes=notes,
            digits={"best lr": 6},
        )
        for row in rows:
            row.update(setting="grid", recipe="seed", epochs=None)
        fashion_report.write_engine_table(
            out_dir,
            rows,
            ("setting",),
            "best_score",
            title="Study 3: scratchnet vs scikit-learn (best mean CV accuracy)",
            unit="percentage points",
        )


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
