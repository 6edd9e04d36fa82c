"""Study 2 of Section C: hidden activations compared on Fashion-MNIST, on two engines.

[784, 128, 64, 32, 10] with logistic, tanh, relu and identity; Adam, batch 128, learning rate
2e-5, 100 epochs; 10,000 validation images from the training images. One cell per engine x
activation (``<engine>-original-<activation>``) plus the scratchnet-only improved recipe
(``scratchnet-improved-relu``).

Each cell writes ``history.json`` (per-epoch log loss and accuracy, training and validation)
and ``model.npz``; the summary writes ``activations.md/.csv/.json`` (original, scikit-learn,
scratchnet and improved rows with wall times), ``engines.md/...`` (scikit-learn vs scratchnet
per activation: difference in points and speed-up), ``loss.png`` and ``accuracy.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scratchnet.data.prepare import PreparedData
from scratchnet.studies.fashion import tables
from scratchnet.studies.fashion.base import (
    CURVES,
    FashionStudy,
    histories,
    improved_notes,
    parts_of,
    train_network,
)
from scratchnet.studies.fashion.config import StudyConfig
from scratchnet.sweep.cells import Cell
from scratchnet.views import FigureView, StudyView, TableView

#: The original study's final training and validation accuracy (%) per activation.
ORIGINAL = {
    "logistic": (76.25, 75.56),
    "tanh": (89.91, 87.76),
    "relu": (89.51, 87.83),
    "identity": (86.97, 85.42),
}
MODEL_DEFAULTS = {"hidden": [128, 64, 32], "activations": list(ORIGINAL)}
COLUMNS = ("activation", "source", "train acc %", "val acc %", "test acc %", "epochs",
           "fit s", "wall s")  # fmt: skip


class ActivationsStudy(FashionStudy):
    """The activations study (see the module docstring)."""

    name = "fashion-activations"
    model_defaults = MODEL_DEFAULTS
    VIEW = StudyView(
        "C.2 Activations",
        "Hidden layers [128, 64, 32], Adam at the original study's learning rate 2e-5, batch 128, "
        "100 epochs; scikit-learn driven epoch by epoch so that its curves exist.",
        (TableView("activations", "val acc %", "val acc %"), TableView("engines")),
        (FigureView("loss.png", f"Log loss per epoch ({CURVES})"),
         FigureView("accuracy.png", f"Accuracy per epoch ({CURVES})")),
    )  # fmt: skip

    def train_cell(
        self, config: StudyConfig, cell: Cell, data: PreparedData, cell_dir: Path
    ) -> dict[str, Any]:
        activation = cell.params["activation"]
        _, metrics = train_network(config, cell, "classify", activation, parts_of(data), cell_dir)
        return metrics

    def describe(self, config: StudyConfig, record: dict) -> str:
        m = record["metrics"]
        return (
            f"{record['key']}: val acc {100 * m['val_accuracy']:.2f}%, test acc "
            f"{100 * m['test_accuracy']:.2f}% ({m['fit_seconds']:.1f} s training)"
        )

    def write_summary(
        self, config: StudyConfig, rows: list[dict], out_dir: Path, notes: list[str]
    ) -> None:
        tables.write_table(
            out_dir,
            "activations",
            COLUMNS,
            table_rows(config, rows),
            title="Study 2: activations, final accuracy",
            notes=notes + improved_notes(config),
        )
        tables.write_engine_table(
            out_dir,
            rows,
            ("activation",),
            "val_accuracy",
            title="Study 2: scratchnet vs scikit-learn (validation accuracy, original recipe)",
            unit="percentage points",
        )
        panels = histories(rows, out_dir, "activation")
        for key, label in (("loss", "log loss"), ("accuracy", "accuracy")):
            fig = tables.curves_figure(panels, key, label, f"Study 2: {label} per epoch")
            tables.save_png(fig, out_dir / f"{key}.png")


def table_rows(config: StudyConfig, rows: list[dict]) -> list[dict]:
    """The original's, scikit-learn, scratchnet and improved rows per activation, in order."""
    activations = list(dict.fromkeys([*config.activations, *config.improved_activations]))
    original = {name: {"train acc %": t, "val acc %": v} for name, (t, v) in ORIGINAL.items()}
    columns = {
        "train acc %": ("train_accuracy", 100.0),
        "val acc %": ("val_accuracy", 100.0),
        "test acc %": ("test_accuracy", 100.0),
    }
    return tables.source_rows(activations, rows, original, columns)


STUDY = ActivationsStudy()
