"""The config file of a grid study, checked whole before anything runs.

::

    study = "grid"
    title = "Weight decay x learning rate"      # the table's and the report's title
    description = "..."                         # optional, under the title

    [data]                                      # scratchnet.data.prepare.DataConfig
    dataset = "fashion-mnist"

    [estimator]
    engine = "scratchnet"                       # or "sklearn": their own parameter names
    task = "classify"                           # or "regress" (an autoencoder: target = input)
    [estimator.params]                          # fixed in every cell
    layers = [784, 64, 10]

    [grid]                                      # any estimator parameters: one cell per
    lr = [1e-3, 1e-2]                           # combination, in this order
    weight_decay = [0.0, 1e-2]

    [record]
    metrics = ["test_accuracy", "val_loss"]     # <part>_<metric>: parts train, val, test;
                                                # accuracy, loss (classify) or mse, r2
    curves = ["loss"]                           # history keys, one figure each
    heatmap = "test_accuracy"                   # one of metrics; needs exactly two grid keys

Every parameter set (fixed and per cell) is tried on a tiny random data set shaped like the
data, so that a bad name or value fails now, naming the file.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scratchnet import engines, schema
from scratchnet.config import dataclass_from
from scratchnet.data.prepare import DATA, DataConfig
from scratchnet.engines.base import TASKS
from scratchnet.errors import ConfigError, DivergenceError

NAME = "grid"
PARTS = ("train", "val", "test")
TASK_METRICS = {"classify": ("accuracy", "loss"), "regress": ("mse", "r2")}
#: Input size of each dataset; all of them have 10 classes.
N_FEATURES = {"mnist": 784, "fashion-mnist": 784, "digits": 64}
N_CLASSES = 10


@dataclass(frozen=True)
class GridConfig:
    """A parsed grid study config (see the module docstring)."""

    title: str
    data: DataConfig
    engine: str
    task: str
    params: dict = field(hash=False)
    grid: tuple[tuple[str, tuple], ...]
    metrics: tuple[str, ...]
    curves: tuple[str, ...] = ()
    heatmap: str | None = None
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The grid's parameter names, in order."""
        return tuple(name for name, _ in self.grid)

    def combinations(self) -> list[dict[str, Any]]:
        """Every cell's parameters, the last grid key varying fastest."""
        values = [values for _, values in self.grid]
        return [dict(zip(self.names, combo)) for combo in itertools.product(*values)]


def estimator_schema() -> schema.Spec:
    """The ``[estimator]`` table: an engine, a task, and the engine's parameters."""
    return schema.table(
        required=("engine",),
        engine=schema.text(*engines.ENGINES),
        task=schema.text(*TASKS),
        params=schema.Spec("table"),
    )


def config_schema() -> schema.Spec:
    """The schema of a grid config (its ``study`` key aside)."""
    return schema.table(
        required=("title", "data", "estimator", "grid", "record"),
        title=schema.text(),
        description=schema.text(),
        data=schema.table(**DATA),
        estimator=estimator_schema(),
        grid=schema.Spec("table"),
        record=schema.table(
            required=("metrics",),
            metrics=schema.array(schema.text(), 1),
            curves=schema.array(schema.text()),
            heatmap=schema.text(),
        ),
    )


def parse(table: dict, where: str) -> GridConfig:
    """Check a grid config's table (``study`` key removed) and return its :class:`GridConfig`."""
    schema.validate(table, config_schema(), where)
    data = dataclass_from(DataConfig, table["data"], f"{where} [data]")
    estimator = table["estimator"]
    engine, task = estimator["engine"], estimator.get("task", "classify")
    params = dict(estimator.get("params", {}))
    grid = _grid(table["grid"], params, f"{where} [grid]")
    record = table["record"]
    metrics = check_metrics(record["metrics"], task, f"{where} [record] metrics")
    config = GridConfig(
        title=table["title"],
        data=data,
        engine=engine,
        task=task,
        params=params,
        grid=grid,
        metrics=metrics,
        curves=tuple(dict.fromkeys(record.get("curves", []))),
        heatmap=record.get("heatmap"),
        description=table.get("description", ""),
    )
    _check_heatmap(config, f"{where} [record] heatmap")
    _check_curves(config, f"{where} [record] curves")
    trial_fits(
        config.engine,
        config.task,
        config.data.dataset,
        [{**config.params, **cell} for cell in config.combinations()],
        where,
    )
    return config


def _grid(raw: dict, params: dict, where: str) -> tuple[tuple[str, tuple], ...]:
    if not raw:
        raise ConfigError(f"{where}: name at least one parameter and its values")
    grid = []
    for name, values in raw.items():
        if name in params:
            raise ConfigError(f"{where}: {name} is in [estimator.params] too; keep one")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: {name} must be a non-empty list of values, got {values!r}")
        if len({repr(v) for v in values}) != len(values):
            raise ConfigError(f"{where}: {name} lists a value twice: {values!r}")
        grid.append((name, tuple(values)))
    return tuple(grid)


def check_metrics(names: list[str], task: str, where: str) -> tuple[str, ...]:
    """``names`` without repeats, each ``<part>_<metric>`` of ``task``; ConfigError otherwise."""
    known = [f"{part}_{metric}" for part in PARTS for metric in TASK_METRICS[task]]
    known += ["epochs", "fit_seconds"]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(
            f"{where}: unknown metric(s) {', '.join(map(repr, unknown))} for task {task!r}; "
            f"valid: {', '.join(known)}"
        )
    return tuple(dict.fromkeys(names))


def _check_heatmap(config: GridConfig, where: str) -> None:
    if config.heatmap is None:
        return
    if config.heatmap not in config.metrics:
        raise ConfigError(f"{where}: {config.heatmap!r} must be one of [record] metrics")
    if len(config.grid) != 2:
        raise ConfigError(f"{where}: a heatmap needs a grid of exactly two parameters")


def _check_curves(config: GridConfig, where: str) -> None:
    check_curves(config.curves, config.task, where)


def check_curves(names, task: str, where: str) -> tuple[str, ...]:
    """``names`` without repeats, each a per-epoch history key of ``task``; ConfigError
    otherwise."""
    known = TASK_METRICS[task] if task == "classify" else ("mse",)
    unknown = [key for key in names if key not in known]
    if unknown:
        raise ConfigError(
            f"{where}: no per-epoch curve {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(known)}"
        )
    return tuple(dict.fromkeys(names))


def trial_fits(
    engine_name: str, task: str, dataset: str, param_sets: list[dict[str, Any]], where: str
) -> None:
    """Fit an estimator of every parameter set for one epoch on 20 random samples shaped as
    ``dataset``'s, so that a bad name or value fails now, naming ``where``."""
    engine = engines.get(engine_name)
    X = np.random.default_rng(0).random((20, N_FEATURES[dataset]))
    y = np.arange(20) % N_CLASSES if task == "classify" else X
    for params in param_sets:
        try:
            model = engine.estimator(task, params)
            engine.fit(model, X, y, X, y, 1)
        except DivergenceError:
            pass  # random data; only the values' validity is being checked
        except (ConfigError, TypeError, ValueError) as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise ConfigError(f"{where} [estimator] with {shown}: {exc}") from None
