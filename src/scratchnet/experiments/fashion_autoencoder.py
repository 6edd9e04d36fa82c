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

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import r2_score

from scratchnet.data.figures import sample_indices
from scratchnet.experiments import fashion_config, fashion_report
from scratchnet.experiments.cells import Cell
from scratchnet.experiments.fashion_config import (
    StudyConfig,
    data_description,
    recipe_text,
    source_label,
)
from scratchnet.experiments.fashion_scaling import SCALER, PixelScaler
from scratchnet.experiments.fashion_train import (
    HISTORY,
    MODEL,
    cell_metrics,
    study_data,
    train_and_record,
)
from scratchnet.fileio import atomic_path

#: The seed's test R^2 per activation.
SEED_R2 = {"relu": 0.6529935364381618, "identity": 0.6497690441998021}
MODEL_DEFAULTS = {"hidden": [64, 32, 16, 32, 64], "activations": list(SEED_R2)}
OPTIONS = {"n_images": 10, "image_seed": 0, "improved_standardize": True, "std_floor": 0.05}
RECONSTRUCTIONS = "reconstructions.npz"
COLUMNS = ("activation", "source", "test R2", "train MSE", "val MSE", "test MSE", "epochs",
           "fit s", "wall s")  # fmt: skip
DIGITS = {"test R2": 4, "train MSE": 5, "val MSE": 5, "test MSE": 5}


class AutoencoderStudy:
    """The autoencoder study for :func:`scratchnet.experiments.sweep.run_sweep`."""

    name = "fashion-autoencoder"

    def parse_config(self, table: dict, where: str) -> StudyConfig:
        return fashion_config.parse(
            table, where, name=self.name, model_defaults=MODEL_DEFAULTS, options=OPTIONS
        )

    def cells(self, config: StudyConfig) -> list[Cell]:
        return [Cell(key, params) for key, params in fashion_config.recipe_cells(config)]

    def run_cell(self, config: StudyConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        start = time.perf_counter()
        engine = cell.params["engine"]
        data = study_data(config, engine)
        images = {"train": data.X_train, "val": data.X_val, "test": data.X_test}
        scaler = None
        if cell.params["recipe"] == "improved" and config.options["improved_standardize"]:
            scaler = PixelScaler.fit(data.X_train, config.options["std_floor"])
            scaler.save(cell_dir / SCALER)
            images = {part: scaler.transform(X) for part, X in images.items()}
        recipe = config.recipe_named(cell.params["recipe"])
        model, metrics = train_and_record(
            engine,
            "regress",
            config.hidden,
            cell.params["activation"],
            recipe,
            {part: (X, X) for part, X in images.items()},
            cell_dir,
        )
        reconstruct = _reconstructor(model, scaler)
        if scaler is not None:  # report in the original units, as the other rows
            originals = {"train": data.X_train, "val": data.X_val, "test": data.X_test}
            for part, X in originals.items():
                prediction = reconstruct(images[part])
                metrics[f"{part}_mse"] = float(np.mean((prediction - X) ** 2))
                metrics[f"{part}_r2"] = float(r2_score(X, prediction))
        metrics["standardized"] = scaler is not None
        chosen = sample_indices(
            len(data.X_test), config.options["n_images"], random_state=config.options["image_seed"]
        )
        with atomic_path(cell_dir / RECONSTRUCTIONS) as tmp, open(tmp, "wb") as handle:
            np.savez(
                handle,
                indices=chosen,
                originals=data.X_test[chosen].astype(np.float32),
                reconstructions=reconstruct(images["test"][chosen]).astype(np.float32),
            )
        metrics["sizes"] = dict(data.sizes)
        metrics["run_seconds"] = time.perf_counter() - start
        return metrics

    def describe(self, config: StudyConfig, record: dict) -> str:
        m = record["metrics"]
        return (
            f"{record['key']}: test R2 {m['test_r2']:.4f}, val MSE {m['val_mse']:.5f} "
            f"({m['fit_seconds']:.1f} s training)"
        )

    def summarize(self, config: StudyConfig, results: list[dict], out_dir: Path) -> None:
        rows = cell_metrics(results)
        if not rows:
            return
        notes = [
            data_description(config.data, rows[0]["sizes"]),
            f"seed recipe: {recipe_text(config.recipe)}",
            "MSE: mean over all pixels; R2: scikit-learn's r2_score averaged over pixels",
        ]
        if config.improved is not None:
            notes.append(f"improved recipe (scratchnet): {recipe_text(config.improved)}")
            if config.options["improved_standardize"]:
                notes.append(
                    "improved rows train on per-pixel standardized images (input = target, std "
                    f"floored at {config.options['std_floor']:g}); table in original units, "
                    "their mse.png curves in standard units"
                )
        fashion_report.write_table(
            out_dir,
            "autoencoder",
            COLUMNS,
            table_rows(config, rows),
            title="Study 4: autoencoder, test R^2",
            notes=notes,
            digits=DIGITS,
        )
        fashion_report.write_engine_table(
            out_dir,
            rows,
            ("activation",),
            "test_r2",
            title="Study 4: scratchnet vs scikit-learn (test R^2 x 100, seed recipe)",
            unit="points of R^2 x 100",
        )
        panels: dict[str, dict[str, dict]] = {}
        image_rows: list[tuple[str, np.ndarray]] = []
        for row in rows:
            folder = fashion_report.cell_folder(out_dir, row["key"])
            label = source_label(row["engine"], row["recipe"])
            panels.setdefault(label, {})[row["activation"]] = fashion_report.read_json(
                folder / HISTORY
            )
            with np.load(folder / RECONSTRUCTIONS, allow_pickle=False) as saved:
                if not image_rows:
                    image_rows.append(("original", saved["originals"]))
                image_rows.append((f"{label}\n{row['activation']}", saved["reconstructions"]))
        fig = fashion_report.curves_figure(panels, "mse", "MSE", "Study 4: MSE per epoch")
        fashion_report.save_png(fig, Path(out_dir) / "mse.png")
        fig = fashion_report.image_rows_figure(
            image_rows, "Study 4: test images (top) and their reconstructions"
        )
        fashion_report.save_png(fig, Path(out_dir) / "reconstructions.png")


def table_rows(config: StudyConfig, rows: list[dict]) -> list[dict]:
    """Seed, scikit-learn, scratchnet and improved rows per activation, in that order."""
    activations = list(dict.fromkeys([*config.activations, *config.improved_activations]))
    seed = {name: {"test R2": r2} for name, r2 in SEED_R2.items()}
    columns = {
        "test R2": ("test_r2", 1.0),
        "train MSE": ("train_mse", 1.0),
        "val MSE": ("val_mse", 1.0),
        "test MSE": ("test_mse", 1.0),
    }
    return fashion_report.source_rows(activations, rows, seed, columns)


def _reconstructor(model, scaler: PixelScaler | None):
    """``X (n, 784) -> reconstructions (n, 784)`` in original units, for inputs as trained."""
    if scaler is None:
        return lambda X: np.asarray(model.predict(X), dtype=np.float64)
    return lambda Z: scaler.inverse_transform(model.predict(Z))


def load_autoencoder(folder: Path):
    """The fitted autoencoder of a cell folder and its input scaler (None if unscaled)."""
    from scratchnet.experiments.engines import load_model

    scaler_path = Path(folder) / SCALER
    scaler = PixelScaler.load(scaler_path) if scaler_path.is_file() else None
    return load_model(Path(folder) / MODEL), scaler


STUDY = AutoencoderStudy()
