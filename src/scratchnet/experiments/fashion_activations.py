"""Study 2 of Section C: hidden activations compared on Fashion-MNIST, on two engines.

[784, 128, 64, 32, 10] with logistic, tanh, relu and identity; Adam, batch 128, learning rate
2e-5, 100 epochs; 10,000 validation images from the training images. One cell per engine x
activation (``<engine>-seed-<activation>``) plus the scratchnet-only improved recipe
(``scratchnet-improved-relu``).

Each cell writes ``history.json`` (per-epoch log loss and accuracy, training and validation)
and ``model.npz``; the summary writes ``activations.md/.csv/.json`` (seed, scikit-learn,
scratchnet and improved rows with wall times), ``engines.md/...`` (scikit-learn vs scratchnet
per activation: difference in points and speed-up), ``loss.png`` and ``accuracy.png``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from scratchnet.experiments import fashion_config, fashion_report
from scratchnet.experiments.cells import Cell
from scratchnet.experiments.fashion_config import (
    StudyConfig,
    data_description,
    recipe_text,
    source_label,
)
from scratchnet.experiments.fashion_train import (
    HISTORY,
    cell_metrics,
    study_data,
    train_and_record,
)

#: The seed's final training and validation accuracy (%) per activation.
SEED = {
    "logistic": (76.25, 75.56),
    "tanh": (89.91, 87.76),
    "relu": (89.51, 87.83),
    "identity": (86.97, 85.42),
}
MODEL_DEFAULTS = {"hidden": [128, 64, 32], "activations": list(SEED)}
COLUMNS = ("activation", "source", "train acc %", "val acc %", "test acc %", "epochs",
           "fit s", "wall s")  # fmt: skip


class ActivationsStudy:
    """The activations study for :func:`scratchnet.experiments.sweep.run_sweep`."""

    name = "fashion-activations"

    def parse_config(self, table: dict, where: str) -> StudyConfig:
        return fashion_config.parse(table, where, name=self.name, model_defaults=MODEL_DEFAULTS)

    def cells(self, config: StudyConfig) -> list[Cell]:
        return [Cell(key, params) for key, params in fashion_config.recipe_cells(config)]

    def run_cell(self, config: StudyConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        start = time.perf_counter()
        engine, activation = cell.params["engine"], cell.params["activation"]
        data = study_data(config, engine)
        parts = {
            "train": (data.X_train, data.y_train),
            "val": (data.X_val, data.y_val),
            "test": (data.X_test, data.y_test),
        }
        recipe = config.recipe_named(cell.params["recipe"])
        _, metrics = train_and_record(
            engine, "classify", config.hidden, activation, recipe, parts, cell_dir
        )
        metrics["sizes"] = dict(data.sizes)
        metrics["run_seconds"] = time.perf_counter() - start
        return metrics

    def describe(self, config: StudyConfig, record: dict) -> str:
        m = record["metrics"]
        return (
            f"{record['key']}: val acc {100 * m['val_accuracy']:.2f}%, test acc "
            f"{100 * m['test_accuracy']:.2f}% ({m['fit_seconds']:.1f} s training)"
        )

    def summarize(self, config: StudyConfig, results: list[dict], out_dir: Path) -> None:
        rows = cell_metrics(results)
        if not rows:
            return
        notes = [
            data_description(config.data, rows[0]["sizes"]),
            f"seed recipe: {recipe_text(config.recipe)}",
        ]
        if config.improved is not None:
            notes.append(f"improved recipe (scratchnet): {recipe_text(config.improved)}")
        fashion_report.write_table(
            out_dir,
            "activations",
            COLUMNS,
            table_rows(config, rows),
            title="Study 2: activations, final accuracy",
            notes=notes,
        )
        fashion_report.write_engine_table(
            out_dir,
            rows,
            ("activation",),
            "val_accuracy",
            title="Study 2: scratchnet vs scikit-learn (validation accuracy, seed recipe)",
            unit="percentage points",
        )
        for key, label in (("loss", "log loss"), ("accuracy", "accuracy")):
            fig = fashion_report.curves_figure(
                _histories(rows, out_dir), key, label, f"Study 2: {label} per epoch"
            )
            fashion_report.save_png(fig, Path(out_dir) / f"{key}.png")


def table_rows(config: StudyConfig, rows: list[dict]) -> list[dict]:
    """Seed, scikit-learn, scratchnet and improved rows per activation, in that order."""
    activations = list(dict.fromkeys([*config.activations, *config.improved_activations]))
    seed = {name: {"train acc %": t, "val acc %": v} for name, (t, v) in SEED.items()}
    columns = {
        "train acc %": ("train_accuracy", 100.0),
        "val acc %": ("val_accuracy", 100.0),
        "test acc %": ("test_accuracy", 100.0),
    }
    return fashion_report.source_rows(activations, rows, seed, columns)


def _histories(rows: list[dict], out_dir: Path) -> dict[str, dict[str, dict]]:
    panels: dict[str, dict[str, dict]] = {}
    for row in rows:
        panel = source_label(row["engine"], row["recipe"])
        path = fashion_report.cell_folder(out_dir, row["key"]) / HISTORY
        panels.setdefault(panel, {})[row["activation"]] = fashion_report.read_json(path)
    return panels


STUDY = ActivationsStudy()
