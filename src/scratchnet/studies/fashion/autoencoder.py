"""Study 4 of Section C: an MLP autoencoder on Fashion-MNIST, on two engines.

A regressor 784-[64, 32, 16, 32, 64]-784 trained to reproduce its input (target = input), with
relu and identity; Adam, learning rate 2e-5, batch 128, 100 epochs. One cell per engine x
activation, plus the scratchnet-only improved recipe.

Each cell writes ``history.json`` (per-epoch training and validation MSE), ``model.npz`` (the
fitted autoencoder; study 5 reads it) and ``reconstructions.npz`` (the chosen test images,
their indices and reconstructions). The summary writes ``autoencoder.md/.csv/.json``,
``engines.md/...``, ``mse.png`` and ``reconstructions.png`` (10 test images above their
reconstructions, one row per engine/recipe and activation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import r2_score

from scratchnet.data.figures import sample_indices
from scratchnet.data.prepare import PreparedData
from scratchnet.data.scaling import SCALER, PixelScaler
from scratchnet.engines.base import load_model
from scratchnet.fileio import atomic_path
from scratchnet.run.train import MODEL
from scratchnet.studies.fashion import tables
from scratchnet.studies.fashion.base import (
    CURVES,
    FashionStudy,
    histories,
    improved_notes,
    parts_of,
    train_network,
)
from scratchnet.studies.fashion.config import StudyConfig, source_label
from scratchnet.sweep.cells import Cell
from scratchnet.views import FigureView, StudyView, TableView

#: The original study's test R^2 per activation.
ORIGINAL_R2 = {"relu": 0.6529935364381618, "identity": 0.6497690441998021}
MODEL_DEFAULTS = {"hidden": [64, 32, 16, 32, 64], "activations": list(ORIGINAL_R2)}
OPTIONS = {"n_images": 10, "image_seed": 0, "improved_standardize": True, "std_floor": 0.05}
RECONSTRUCTIONS = "reconstructions.npz"
COLUMNS = ("activation", "source", "test R2", "train MSE", "val MSE", "test MSE", "epochs",
           "fit s", "wall s")  # fmt: skip
DIGITS = {"test R2": 4, "train MSE": 5, "val MSE": 5, "test MSE": 5}
PARTS = ("train", "val", "test")


class AutoencoderStudy(FashionStudy):
    """The autoencoder study (see the module docstring)."""

    name = "fashion-autoencoder"
    model_defaults = MODEL_DEFAULTS
    options = OPTIONS
    VIEW = StudyView(
        "C.4 Autoencoder",
        "A [64, 32, 16, 32, 64] regressor trained to regenerate its input.",
        (TableView("autoencoder", "test R2", "test R2"), TableView("engines")),
        (FigureView("mse.png", f"Mean squared error per epoch ({CURVES})"),
         FigureView("reconstructions.png", "Test images above their reconstructions")),
    )  # fmt: skip

    def train_cell(
        self, config: StudyConfig, cell: Cell, data: PreparedData, cell_dir: Path
    ) -> dict[str, Any]:
        """Train on the images (standardized for the improved recipe if the options say so),
        score in the original units, and keep a few test reconstructions."""
        scaler = _scaler(config, cell, data, cell_dir)
        images = {part: X for part, (X, _) in parts_of(data).items()}
        if scaler is not None:
            images = {part: scaler.transform(X) for part, X in images.items()}
        parts = {part: (X, X) for part, X in images.items()}
        activation = cell.params["activation"]
        model, metrics = train_network(config, cell, "regress", activation, parts, cell_dir)
        reconstruct = _reconstructor(model, scaler)
        if scaler is not None:  # report in the original units, as the other rows
            metrics.update(_original_units(data, parts, reconstruct))
        metrics["standardized"] = scaler is not None
        _save_reconstructions(config, data, parts["test"][0], reconstruct, cell_dir)
        return metrics

    def describe(self, config: StudyConfig, record: dict) -> str:
        m = record["metrics"]
        return (
            f"{record['key']}: test R2 {m['test_r2']:.4f}, val MSE {m['val_mse']:.5f} "
            f"({m['fit_seconds']:.1f} s training)"
        )

    def notes(self, config: StudyConfig, rows: list[dict]) -> list[str]:
        notes = super().notes(config, rows)
        notes.append("MSE: mean over all pixels; R2: scikit-learn's r2_score averaged over pixels")
        notes += improved_notes(config)
        if config.improved is not None and config.options["improved_standardize"]:
            notes.append(
                "improved rows train on per-pixel standardized images (input = target, std "
                f"floored at {config.options['std_floor']:g}); table in original units, "
                "their mse.png curves in standard units"
            )
        return notes

    def write_summary(
        self, config: StudyConfig, rows: list[dict], out_dir: Path, notes: list[str]
    ) -> None:
        tables.write_table(
            out_dir,
            "autoencoder",
            COLUMNS,
            table_rows(config, rows),
            title="Study 4: autoencoder, test R^2",
            notes=notes,
            digits=DIGITS,
        )
        tables.write_engine_table(
            out_dir,
            rows,
            ("activation",),
            "test_r2",
            title="Study 4: scratchnet vs scikit-learn (test R^2 x 100, original recipe)",
            unit="points of R^2 x 100",
        )
        fig = tables.curves_figure(
            histories(rows, out_dir, "activation"), "mse", "MSE", "Study 4: MSE per epoch"
        )
        tables.save_png(fig, out_dir / "mse.png")
        fig = tables.image_rows_figure(
            _image_rows(rows, out_dir), "Study 4: test images (top) and their reconstructions"
        )
        tables.save_png(fig, out_dir / "reconstructions.png")


def _scaler(config: StudyConfig, cell: Cell, data: PreparedData, cell_dir: Path):
    """The improved recipe's per-pixel scaler (saved into the cell), or None."""
    if cell.params["recipe"] != "improved" or not config.options["improved_standardize"]:
        return None
    scaler = PixelScaler.fit(data.X_train, config.options["std_floor"])
    scaler.save(cell_dir / SCALER)
    return scaler


def _original_units(data: PreparedData, parts: dict, reconstruct) -> dict[str, float]:
    """MSE and R^2 of every part against the unscaled images."""
    originals = {"train": data.X_train, "val": data.X_val, "test": data.X_test}
    metrics = {}
    for part, X in originals.items():
        prediction = reconstruct(parts[part][0])
        metrics[f"{part}_mse"] = float(np.mean((prediction - X) ** 2))
        metrics[f"{part}_r2"] = float(r2_score(X, prediction))
    return metrics


def _save_reconstructions(config, data: PreparedData, inputs, reconstruct, cell_dir: Path):
    """A few test images, their indices and reconstructions, as ``reconstructions.npz``."""
    chosen = sample_indices(
        len(data.X_test), config.options["n_images"], random_state=config.options["image_seed"]
    )
    with atomic_path(cell_dir / RECONSTRUCTIONS) as tmp, open(tmp, "wb") as handle:
        np.savez(
            handle,
            indices=chosen,
            originals=data.X_test[chosen].astype(np.float32),
            reconstructions=reconstruct(inputs[chosen]).astype(np.float32),
        )


def _image_rows(rows: list[dict], out_dir: Path) -> list[tuple[str, np.ndarray]]:
    """The originals, then one row of reconstructions per cell."""
    image_rows: list[tuple[str, np.ndarray]] = []
    for row in rows:
        folder = tables.cell_folder(out_dir, row["key"])
        label = source_label(row["engine"], row["recipe"])
        with np.load(folder / RECONSTRUCTIONS, allow_pickle=False) as saved:
            if not image_rows:
                image_rows.append(("original", saved["originals"]))
            image_rows.append((f"{label}\n{row['activation']}", saved["reconstructions"]))
    return image_rows


def table_rows(config: StudyConfig, rows: list[dict]) -> list[dict]:
    """Original, scikit-learn, scratchnet and improved rows per activation, in that order."""
    activations = list(dict.fromkeys([*config.activations, *config.improved_activations]))
    original = {name: {"test R2": r2} for name, r2 in ORIGINAL_R2.items()}
    columns = {
        "test R2": ("test_r2", 1.0),
        "train MSE": ("train_mse", 1.0),
        "val MSE": ("val_mse", 1.0),
        "test MSE": ("test_mse", 1.0),
    }
    return tables.source_rows(activations, rows, original, columns)


def _reconstructor(model, scaler: PixelScaler | None):
    """``X (n, 784) -> reconstructions (n, 784)`` in original units, for inputs as trained."""
    if scaler is None:
        return lambda X: np.asarray(model.predict(X), dtype=np.float64)
    return lambda Z: scaler.inverse_transform(model.predict(Z))


def load_autoencoder(folder: Path):
    """The fitted autoencoder of a cell folder and its input scaler (None if unscaled)."""
    scaler_path = Path(folder) / SCALER
    scaler = PixelScaler.load(scaler_path) if scaler_path.is_file() else None
    return load_model(Path(folder) / MODEL), scaler


STUDY = AutoencoderStudy()
