"""The original study's Section B: MNIST, activations x weight initializations, as a sweep.

Every cell trains the same network (``[model]`` of the config: layers, optimizer, schedule,
epochs, early stopping, random_state) with one hidden activation and one initializer from
``[grid]``,
on the ``[data]`` split (the original study's 80:10:10 of the 60,000 training images, stratified and
seeded), and is scored on the original's test split and on the official 10,000-image test set.

A config file (see ``configs/mnist_original.toml``)::

    study = "mnist-activation-init"
    protocol = "original"              # a label for the tables (see PROTOCOLS)
    description = "..."                # optional, shown in results.md
    [data]                             # scratchnet.data.prepare.DataConfig
    [model]                            # NeuralNetwork parameters shared by every cell
    [grid]
    activations = ["sigmoid", "tanh", "relu", "leaky_relu"]
    weight_init = ["zero", "random", "normal"]

A cell's folder holds ``<key>.npz`` (the model, safe format, named as the original study named them,
e.g. ``model_activation_relu_weight_init_normal``) and ``history.json`` (per epoch: train and
validation loss and accuracy, epoch time); the engine adds ``metrics.json``. The summary
writes ``results.csv``, ``results.md``, ``loss_curves.png`` and ``test_accuracy_heatmap.png``;
the view shows ``results.csv`` beside the original's figures. Across the protocols of one run,
:func:`summarize_parts` writes ``comparison.csv`` (each protocol's accuracy per cell).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.data.prepare import DataConfig
from scratchnet.errors import ConfigError, DivergenceError
from scratchnet.fileio import json_safe
from scratchnet.runfiles import read_json
from scratchnet.sweep.cells import Cell
from scratchnet.views import (
    ColumnView,
    CompareView,
    FigureView,
    SettingsView,
    StudyView,
    TableView,
)

NAME = "mnist-activation-init"

#: The original study's reported test accuracies (%) on its 6,000-image test split, by
#: (activation, init).
ORIGINAL_TEST_ACCURACY: dict[tuple[str, str], float] = {
    ("leaky_relu", "zero"): 10.67,
    ("leaky_relu", "normal"): 96.23,
    ("leaky_relu", "random"): 94.13,
    ("relu", "zero"): 10.67,
    ("relu", "normal"): 96.17,
    ("relu", "random"): 10.67,
    ("tanh", "zero"): 10.67,
    ("tanh", "normal"): 94.40,
    ("tanh", "random"): 10.67,
    ("sigmoid", "zero"): 10.67,
    ("sigmoid", "normal"): 91.02,
    ("sigmoid", "random"): 10.67,
}

#: Estimator parameters the grid sets per cell (not allowed in ``[model]``).
GRID_PARAMS = {"activations": "activations", "weight_init": "weight_init"}
TOP_KEYS = {"protocol", "description", "data", "model", "grid"}
#: Input size of each dataset the study accepts; all of them have 10 classes.
N_FEATURES = {"mnist": 784, "fashion-mnist": 784, "digits": 64}
N_CLASSES = 10

CSV_COLUMNS = (
    "protocol",
    "activation",
    "weight_init",
    "status",
    "test_accuracy_pct",
    "official_test_accuracy_pct",
    "original_test_accuracy_pct",
    "best_epoch",
    "epochs",
    "final_train_loss",
    "final_val_loss",
    "best_val_loss",
    "wall_time_s",
    "epoch_time_s",
)
MD_HEADERS = {
    "activation": "activation",
    "weight_init": "init",
    "test_accuracy_pct": "test acc % (original split)",
    "official_test_accuracy_pct": "test acc % (official 10k)",
    "original_test_accuracy_pct": "original study's %",
    "best_epoch": "best epoch",
    "epochs": "epochs run",
    "final_train_loss": "final train loss",
    "final_val_loss": "final val loss",
    "wall_time_s": "time (s)",
}
MD_COLUMNS = tuple(MD_HEADERS)  # the Markdown table's columns, in order
MD_FORMATS = {
    "test_accuracy_pct": ".2f",
    "official_test_accuracy_pct": ".2f",
    "original_test_accuracy_pct": ".2f",
    "final_train_loss": ".4f",
    "final_val_loss": ".4f",
    "wall_time_s": ".1f",
}


#: The protocols of the reproduction, by config ``protocol``: the report's title, and a short
#: name for the first screen and the comparison across protocols.
PROTOCOLS = {
    "original": ("The original study's protocol, as written", "as written"),
    "original-summed": (
        "The original study's protocol with a summed batch gradient, as its code likely ran",
        "summed gradient",
    ),
    "improved": ("An improved recipe for the same network", "improved"),
}
CHANCE_PCT = 15.0  # ten classes: anything below this learned nothing
#: Our test accuracy against the original's, per cell.
COMPARE = dict(
    against="original_test_accuracy_pct",
    name="{activation} with {weight_init} initialization",
    tolerance=0.05,
    chance=CHANCE_PCT,
    unit="%",
)
#: The columns of ``results.csv`` the report shows (name, label, decimals).
SHOWN_COLUMNS = (
    ColumnView("activation", "activation"),
    ColumnView("weight_init", "init"),
    ColumnView("test_accuracy_pct", "test % (original split)", 2),
    ColumnView("official_test_accuracy_pct", "test % (official 10k)", 2),
    ColumnView("original_test_accuracy_pct", "the original %", 2),
    ColumnView("best_epoch", "best epoch"),
    ColumnView("epochs", "epochs"),
    ColumnView("final_train_loss", "final train loss", 4),
    ColumnView("final_val_loss", "final val loss", 4),
    ColumnView("wall_time_s", "time (s)", 1),
)
SETTINGS = (
    "optimizer", "lr", "lr_schedule", "weight_decay", "batch_size", "epochs", "early_stopping",
    "patience", "min_delta",
)  # fmt: skip


def cell_key(activation: str, weight_init: str) -> str:
    """The original study's model name of a cell: ``model_activation_relu_weight_init_normal``."""
    return f"model_activation_{activation}_weight_init_{weight_init}"


@dataclass(frozen=True)
class MnistStudyConfig:
    """A parsed config: data recipe, shared estimator parameters and the grid."""

    protocol: str
    data: DataConfig
    model: dict = field(hash=False)
    activations: tuple[str, ...]
    weight_inits: tuple[str, ...]
    description: str = ""


class MnistActivationInitStudy:
    """Section B's grid of activations x initializations on MNIST (see the module docstring)."""

    name = NAME

    # --- config ----------------------------------------------------------------------------------

    def parse_config(self, table: dict, where: str) -> MnistStudyConfig:
        from scratchnet.config import check_keys, dataclass_from
        from scratchnet.schema import validate

        for name in GRID_PARAMS:
            if isinstance(table.get("model"), dict) and name in table["model"]:
                raise ConfigError(
                    f"{where} [model]: {name} is set per cell by [grid], not in [model]"
                )
        validate(table, config_schema(), where)
        data = dataclass_from(DataConfig, table["data"], f"{where} [data]")
        model = _parse_model(table["model"], f"{where} [model]", N_FEATURES[data.dataset])
        grid = table["grid"]
        check_keys(grid, GRID_PARAMS, f"{where} [grid]")
        activations = _names(grid, "activations", f"{where} [grid]", _activation_name)
        inits = _names(grid, "weight_init", f"{where} [grid]", _init_name)
        protocol = table.get("protocol", "")
        description = table.get("description", "")
        return MnistStudyConfig(protocol, data, model, activations, inits, description)

    # --- cells -----------------------------------------------------------------------------------

    def cells(self, config: MnistStudyConfig) -> list[Cell]:
        return [
            Cell(cell_key(act, init), {"activation": act, "weight_init": init})
            for act in config.activations
            for init in config.weight_inits
        ]

    def run_cell(self, config: MnistStudyConfig, cell: Cell, cell_dir: Path) -> dict:
        """Train one network; write ``<key>.npz`` and ``history.json``; return its metrics."""
        from scratchnet import engines
        from scratchnet.data.prepare import check_batch_size
        from scratchnet.data.prepare_cache import prepared
        from scratchnet.run.train import train_and_record
        from scratchnet.sweep.progress import epoch_bars_enabled

        data = prepared(config.data)
        check_batch_size(config.model.get("batch_size"), len(data.y_train), "[model]")
        engine = engines.get("scratchnet")
        params = {**config.model, "verbose": epoch_bars_enabled()}
        params.update(activations=cell.params["activation"], weight_init=cell.params["weight_init"])
        model = engine.estimator("classify", params)
        parts = {"train": (data.X_train, data.y_train), "val": (data.X_val, data.y_val)}
        start = time.perf_counter()
        # The cell's figures are its history's and the test scores below: no part scored twice.
        fitted, _ = train_and_record(
            engine, model, parts, cell_dir, running=True, model_file=f"{cell.key}.npz", scored=()
        )
        return _metrics(model, fitted.history, data, time.perf_counter() - start)

    def view(self, config: MnistStudyConfig) -> StudyView:
        """The sweep's settings, table and figures, for the report of its folder."""
        title, short = protocol_names(config.protocol)
        results = TableView(
            "results",
            headline="test_accuracy_pct",
            headline_label=f"MNIST {{finding}}, {short}",
            caption="Every cell; green beats the original's figure, red falls short",
            columns=SHOWN_COLUMNS,
            compare=CompareView(
                ("test_accuracy_pct",), keys=("activation", "weight_init"), status="status",
                notes=True, **COMPARE,
            ),
        )  # fmt: skip
        return StudyView(
            title,
            config.description.strip() or "Every hidden activation with every initializer.",
            (results,),
            (
                FigureView("test_accuracy_heatmap.png", "Test accuracy, activation x init"),
                FigureView(
                    "loss_curves.png",
                    "Training and validation loss of every cell (training: "
                    "the running mean over each epoch's batches, as the network trains; "
                    "validation: the whole validation set after each epoch)",
                ),
            ),
            SettingsView("sweep.json", ("config", "model"), SETTINGS),
        )

    def summarize_parts(self, out_dir: Path, parts: list[Path]) -> None:
        """The protocols side by side (``comparison.csv`` and its view in ``out_dir``): per
        cell of the first protocol's grid, the original's figure, then each protocol's."""
        from scratchnet.studies.mnist_comparison import write_comparison

        write_comparison(out_dir, parts, lambda protocol: protocol_names(protocol)[1], COMPARE)

    def describe(self, config: MnistStudyConfig, record: dict) -> str:
        """One line per complete cell, for the progress output."""
        act, init = record["params"]["activation"], record["params"]["weight_init"]
        label = f"{act:>10} / {init:<6}"
        m = record["metrics"]
        original = ORIGINAL_TEST_ACCURACY.get((act, init))
        official = m.get("official_test_accuracy")
        return (
            f"{label} test {100 * m['test_accuracy']:.2f}%"
            + (f" (the original {original:.2f}%)" if original is not None else "")
            + (f", official {100 * official:.2f}%" if official is not None else "")
            + f", best epoch {m['best_epoch']}/{m['epochs']}, {m['wall_time']:.0f} s"
        )

    # --- summary ---------------------------------------------------------------------------------

    def summarize(self, config: MnistStudyConfig, results: list[dict], out_dir: Path) -> None:
        from scratchnet.fileio import write_text
        from scratchnet.sweep import figures as sweep_figures
        from scratchnet.sweep import tables
        from scratchnet.sweep.figures import save

        rows = [_row(config, record) for record in results]
        tables.write_csv(out_dir / "results.csv", rows, CSV_COLUMNS)
        write_text(out_dir / "results.md", _markdown(config, rows, results))
        histories = {}
        notes = {}
        for record in results:
            key = (record["params"]["activation"], record["params"]["weight_init"])
            histories[key] = _history(out_dir, record)
            if record["status"] == "failed":
                notes[key] = "diverged"
        title = f"MNIST, {config.protocol or 'sweep'}: loss per epoch (log scale)"
        figure = sweep_figures.curve_grid(
            histories, config.activations, config.weight_inits, title=title, notes=notes
        )
        save(figure, out_dir / "loss_curves.png")
        accuracy = _grid_values(config, rows, "test_accuracy_pct")
        original = np.array(
            [
                [ORIGINAL_TEST_ACCURACY.get((a, i), np.nan) for i in config.weight_inits]
                for a in config.activations
            ]
        )
        figure = sweep_figures.heatmap(
            accuracy,
            config.activations,
            config.weight_inits,
            fmt="{:.2f}%",
            second=original,
            second_fmt="(original {:.2f}%)",
            label="test accuracy (%)",
            title=f"MNIST test accuracy, {config.protocol or 'sweep'} (original split)",
            vmin=0.0,
            vmax=100.0,
        )
        save(figure, out_dir / "test_accuracy_heatmap.png")


MNIST_STUDY = MnistActivationInitStudy()


# --- helpers -------------------------------------------------------------------------------------


def protocol_names(protocol: str) -> tuple[str, str]:
    """The report's title and short name of a protocol (its own name if not a known one)."""
    return PROTOCOLS.get(
        protocol, (f"MNIST activations x initializations: {protocol or 'sweep'}", protocol)
    )


def config_schema():
    """The schema of the study's config file (its ``study`` key aside)."""
    from scratchnet import schema
    from scratchnet.config import estimator_schema
    from scratchnet.data.prepare import DATA

    names = schema.array(schema.text(), 1)
    return schema.table(
        required=("data", "model", "grid"),
        protocol=schema.text(),
        description=schema.text(),
        data=schema.table(**DATA),
        model=schema.table(**estimator_schema(set(GRID_PARAMS) | {"verbose"})),
        grid=schema.table(required=tuple(GRID_PARAMS), activations=names, weight_init=names),
    )


def _parse_model(table: dict, where: str, n_features: int) -> dict:
    """Shared estimator parameters, checked by name and by a tiny trial fit."""
    from scratchnet.config import check_keys, estimator_param_names

    allowed = set(estimator_param_names()) - set(GRID_PARAMS) - {"verbose"}
    for name in GRID_PARAMS:
        if name in table:
            raise ConfigError(f"{where}: {name} is set per cell by [grid], not in [model]")
    check_keys(table, allowed, where)
    _trial_fit(dict(table), where, n_features)
    return dict(table)


def _trial_fit(params: dict, where: str, n_features: int) -> None:
    """Fit one epoch on 20 random samples shaped as the data (n_features, 10 classes), so
    that bad values fail now, naming the file."""
    from scratchnet.estimators import NeuralNetwork

    X = np.random.default_rng(0).random((20, n_features))
    y = np.arange(20) % N_CLASSES
    trial = {**params, "epochs": 1, "early_stopping": False, "verbose": False}
    try:
        NeuralNetwork(**trial).fit(X, y)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except DivergenceError:
        pass  # random data; only the values' validity is being checked
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _names(table: dict, key: str, where: str, check) -> tuple[str, ...]:
    values = table.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: {key} must be a non-empty list of names, got {values!r}")
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}: {key} lists a name twice: {values}")
    for value in values:
        try:
            check(value)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return tuple(values)


def _activation_name(name: str) -> None:
    from scratchnet.nn import activations

    activations.get(name)


def _init_name(name: str) -> None:
    from scratchnet.nn import initializers

    initializers.get(name)


def _metrics(model, history: dict, data, wall: float) -> dict:
    """A cell's metrics: test accuracies, epochs, final and best losses, times, data sizes."""
    history = json_safe(history)
    metrics = {
        "test_accuracy": float(model.score(data.X_test, data.y_test)),
        "best_epoch": int(model.best_epoch_),
        "epochs": int(model.n_iter_),
        "final_train_loss": history["loss"][-1],
        "final_val_loss": history["val_loss"][-1],
        "final_train_accuracy": history["accuracy"][-1],
        "final_val_accuracy": history["val_accuracy"][-1],
        "best_val_loss": _finite_min(history["val_loss"]),
        "wall_time": wall,
        "epoch_time": float(np.mean(history["epoch_time"])),
        "sizes": data.sizes,
    }
    if data.official_test is not None:
        metrics["official_test_accuracy"] = float(model.score(*data.official_test))
    return metrics


def _finite_min(values: list) -> float | None:
    finite = [v for v in values if v is not None]
    return min(finite) if finite else None


def _pct(value: float | None) -> float | None:
    return None if value is None else 100.0 * value


def _row(config: MnistStudyConfig, record: dict) -> dict[str, Any]:
    act, init = record["params"]["activation"], record["params"]["weight_init"]
    row: dict[str, Any] = {
        "protocol": config.protocol,
        "activation": act,
        "weight_init": init,
        "status": record["status"],
        "original_test_accuracy_pct": ORIGINAL_TEST_ACCURACY.get((act, init)),
    }
    if record["status"] == "complete":
        m = record["metrics"]
        row.update(
            test_accuracy_pct=_pct(m["test_accuracy"]),
            official_test_accuracy_pct=_pct(m.get("official_test_accuracy")),
            best_epoch=m["best_epoch"],
            epochs=m["epochs"],
            final_train_loss=m["final_train_loss"],
            final_val_loss=m["final_val_loss"],
            best_val_loss=m["best_val_loss"],
            wall_time_s=m["wall_time"],
            epoch_time_s=m["epoch_time"],
        )
    else:
        history = record.get("history") or {}
        row.update(epochs=len(history.get("loss", [])), wall_time_s=record.get("seconds"))
    return row


def _history(out_dir: Path, record: dict) -> dict:
    if record["status"] == "failed":
        return record.get("history") or {}
    return read_json(out_dir / "cells" / record["key"] / "history.json").value


def _grid_values(config: MnistStudyConfig, rows: list[dict], column: str) -> np.ndarray:
    by_cell = {(r["activation"], r["weight_init"]): r.get(column) for r in rows}
    return np.array(
        [
            [np.nan if by_cell.get((a, i)) is None else by_cell[a, i] for i in config.weight_inits]
            for a in config.activations
        ]
    )


def _markdown(config: MnistStudyConfig, rows: list[dict], results: list[dict]) -> str:
    from scratchnet.sweep.tables import to_markdown

    n_cells = len(config.activations) * len(config.weight_inits)
    done = [r for r in results if r["status"] == "complete"]
    lines = [f"# MNIST activations x initializations: {config.protocol or 'sweep'}", ""]
    if config.description:
        lines += [config.description.strip(), ""]
    if done:
        sizes = done[0]["metrics"].get("sizes", {})
        lines += [f"Data: {config.data.dataset}, sizes {sizes}.", ""]
    settings = ", ".join(f"{k}={v}" for k, v in sorted(config.model.items()))
    lines += [f"Network settings: {settings}.", ""]
    lines += [
        f"{len(results)} of {n_cells} cells finished "
        f"({sum(r['status'] == 'failed' for r in results)} failed). Test accuracy is on the "
        f"original study's test split; the official column is the 10,000-image MNIST test set; "
        f"the original's column is the accuracy its report gives for the same cell.",
        "",
        to_markdown(rows, MD_COLUMNS, MD_HEADERS, MD_FORMATS),
    ]
    if done:
        total = sum(r["metrics"]["wall_time"] for r in done)
        epochs = sum(r["metrics"]["epochs"] for r in done)
        lines += [
            f"Training time, summed over cells: {total:.0f} s for {epochs} epochs "
            f"({total / max(epochs, 1):.2f} s per epoch).",
            "",
        ]
    lines += ["![loss curves](loss_curves.png)", "", "![test accuracy](test_accuracy_heatmap.png)"]
    return "\n".join(lines) + "\n"
