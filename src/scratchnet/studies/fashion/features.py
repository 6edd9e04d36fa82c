"""Study 5 of Section C: classifiers trained on an autoencoder's hidden features, two engines.

For each autoencoder of study 4 (engine x recipe x activation), take its hidden activations
for the training, validation and test images and train a classifier with two hidden layers of
16 units (Adam, learning rate 2e-5, 200 epochs: the original's "same solver and learning rate as in
part 2"; its batch size is unstated, so scikit-learn's default, 200). Two feature layers per
autoencoder: ``penultimate`` (the 64-unit layer before the output, the original study's choice) and
``bottleneck`` (the 16-unit middle layer, an extra row). The classifier uses the autoencoder's
engine; the improved autoencoders' features get the improved recipe.

Where the autoencoders come from (``[options] autoencoder``):

* a finished autoencoder sweep folder (with ``sweep.json``): its ``cells/<key>/model.npz``
  are reused, and the data settings are that sweep's;
* an autoencoder config file (the default, ``fashion_autoencoder.toml`` beside this config):
  each cell trains its autoencoder itself, into ``<cell>/autoencoder/``, so the study also
  runs alone.

``[options] autoencoder_engine`` picks whose autoencoders feed the original-recipe classifiers:
``same`` (the default: each engine end to end, as the original study ran one tool) or an engine name
(both engines' classifiers on the same features, which isolates the classifier; the improved
rows always use the improved scratchnet autoencoders).

The data always follow the autoencoder's config (this config has no ``[data]`` table). Each
cell writes ``<layer>_history.json`` and ``<layer>_model.npz`` per feature layer; the summary
writes ``features.md/.csv/.json``, ``engines.md/...`` and ``accuracy.png``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scratchnet import engines
from scratchnet.config import apply_quick, read_toml
from scratchnet.errors import ConfigError
from scratchnet.run.train import HISTORY, MODEL
from scratchnet.runfiles import read_json
from scratchnet.schema import validate
from scratchnet.studies.fashion import config as fashion_config
from scratchnet.studies.fashion import tables
from scratchnet.studies.fashion.autoencoder import STUDY as AUTOENCODER
from scratchnet.studies.fashion.autoencoder import load_autoencoder
from scratchnet.studies.fashion.base import (
    CURVES,
    FashionStudy,
    cell_metrics,
    histories,
    improved_notes,
    study_data,
    train_network,
)
from scratchnet.studies.fashion.config import StudyConfig, recipe_text
from scratchnet.sweep.cells import Cell
from scratchnet.views import FigureView, StudyView, TableView

#: The original study's test accuracy (%) of classifiers on the penultimate-layer features.
ORIGINAL = {
    "relu, penultimate": {"test acc %": 81.82},
    "identity, penultimate": {"test acc %": 82.22},
}
MODEL_DEFAULTS = {
    "hidden": [16, 16],
    "activations": ["relu", "identity"],
    "epochs": 200,
    "batch_size": 200,
}
OPTIONS = {
    "autoencoder": "fashion_autoencoder.toml",
    "autoencoder_engine": "same",
    "autoencoder_quick": False,
    "classifier_activation": "relu",
    "layers": ["penultimate", "bottleneck"],
}
LAYER_NAMES = ("penultimate", "bottleneck")
AUTOENCODER_DIR = "autoencoder"


@dataclass(frozen=True)
class FeaturesConfig:
    """The classifier settings (``study``), the autoencoders' config and where their models are."""

    study: StudyConfig
    autoencoder: StudyConfig
    autoencoder_run: str | None
    layers: tuple[tuple[str, int], ...]


class FeaturesStudy(FashionStudy):
    """The hidden-features study (see the module docstring); its config wraps a Fashion
    config (``study``) with the autoencoders'."""

    name = "fashion-features"
    VIEW = StudyView(
        "C.5 Hidden features",
        "Classifiers with two hidden layers of 16 units trained on the autoencoders' "
        "hidden activations.",
        (TableView("features", "test acc %", "test acc %"), TableView("engines")),
        (FigureView("accuracy.png", f"Accuracy per epoch ({CURVES})"),),
    )

    def parse_config(self, table: dict, where: str) -> FeaturesConfig:
        for key in ("data", "sklearn_dtype"):
            if key in table:
                raise ConfigError(
                    f"{where}: {key!r} is not set here: the data follow the autoencoder's "
                    f"config ([options] autoencoder)"
                )
        validate(table, fashion_config.study_schema(OPTIONS), where)
        raw_options = table.get("options", {})
        source = raw_options.get("autoencoder", OPTIONS["autoencoder"])
        if not isinstance(source, str):
            raise ConfigError(f"{where} [options]: autoencoder must be a path, got {source!r}")
        quick = raw_options.get("autoencoder_quick", False)
        if not isinstance(quick, bool):
            raise ConfigError(f"{where} [options]: autoencoder_quick must be true or false")
        ae_table, ae_where, run = _autoencoder_source(
            fashion_config.resolve(source, where), where, quick
        )
        autoencoder = AUTOENCODER.parse_config(ae_table, ae_where)
        merged = {**table, "data": ae_table.get("data", {})}
        if "sklearn_dtype" in ae_table:
            merged["sklearn_dtype"] = ae_table["sklearn_dtype"]
        study = fashion_config.parse(
            merged, where, name=self.name, model_defaults=MODEL_DEFAULTS, options=OPTIONS
        )
        config = FeaturesConfig(
            study, autoencoder, run, _layers(study.options["layers"], autoencoder, where)
        )
        ae_engine = study.options["autoencoder_engine"]
        if ae_engine != "same":
            engines.check(ae_engine, f"{where} [options] autoencoder_engine")
        missing = {
            autoencoder_key(config, params) for _, params in fashion_config.recipe_cells(study)
        } - {key for key, _ in fashion_config.recipe_cells(autoencoder)}
        if missing:
            raise ConfigError(
                f"{where}: the autoencoder config {ae_where} has no autoencoder for "
                f"{', '.join(sorted(missing))} (check engines, activations and [improved])"
            )
        return config

    def cells(self, config: FeaturesConfig) -> list[Cell]:
        return [Cell(key, params) for key, params in fashion_config.recipe_cells(config.study)]

    def run_cell(self, config: FeaturesConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        """One classifier per feature layer of the cell's autoencoder."""
        (autoencoder, scaler), source = _autoencoder(config, cell, cell_dir)
        data = study_data(config.autoencoder, cell.params["engine"])
        labels = {"train": data.y_train, "val": data.y_val, "test": data.y_test}
        images = {"train": data.X_train, "val": data.X_val, "test": data.X_test}
        if scaler is not None:  # the autoencoder was trained on standardized pixels
            images = {part: scaler.transform(X) for part, X in images.items()}
        metrics: dict[str, Any] = {
            "autoencoder": source,
            "autoencoder_key": autoencoder_key(config, cell.params),
            "sizes": dict(data.sizes),
        }
        hidden = engines.of(autoencoder).hidden
        activation = config.study.options["classifier_activation"]
        for name, index in config.layers:
            start = time.perf_counter()
            parts = {
                part: (hidden(autoencoder, X, index), labels[part]) for part, X in images.items()
            }
            _, layer = train_network(
                config.study, cell, "classify", activation, parts, cell_dir, prefix=f"{name}_"
            )
            layer["n_features"] = int(parts["train"][0].shape[1])
            layer["wall_seconds"] = time.perf_counter() - start
            metrics[name] = layer
        return metrics

    def describe(self, config: FeaturesConfig, record: dict) -> str:
        shown = ", ".join(
            f"{name} test acc {100 * record['metrics'][name]['test_accuracy']:.2f}%"
            for name, _ in config.layers
        )
        return f"{record['key']}: {shown}"

    def summarize(self, config: FeaturesConfig, results: list[dict], out_dir: Path) -> None:
        rows = layer_rows(config, cell_metrics(results))
        if rows:
            self.write_summary(config, rows, Path(out_dir), self.notes(config, rows))

    def notes(self, config: FeaturesConfig, rows: list[dict]) -> list[str]:
        study = config.study
        engine = study.options["autoencoder_engine"]
        return [
            super().notes(study, rows)[0],
            f"classifier: hidden {list(study.hidden)}, "
            f"{study.options['classifier_activation']}, {recipe_text(study.recipe)}",
            "features: penultimate = the 64-unit layer before the output (the original study's), "
            "bottleneck = the 16-unit middle layer",
            "autoencoders (original recipe): "
            + ("each engine's own" if engine == "same" else f"{engine}'s, for both engines"),
            *improved_notes(study),
        ]

    def write_summary(
        self, config: FeaturesConfig, rows: list[dict], out_dir: Path, notes: list[str]
    ) -> None:
        settings = list(dict.fromkeys(row["setting"] for row in rows))
        columns = {
            "test acc %": ("test_accuracy", 100.0),
            "train acc %": ("train_accuracy", 100.0),
            "val acc %": ("val_accuracy", 100.0),
        }
        tables.write_table(
            out_dir,
            "features",
            ("setting", "source", *columns, "epochs", "fit s", "wall s"),
            tables.source_rows(settings, rows, ORIGINAL, columns, by="setting"),
            title="Study 5: classifiers on autoencoder features, test accuracy",
            notes=notes,
        )
        tables.write_engine_table(
            out_dir,
            rows,
            ("setting",),
            "test_accuracy",
            title="Study 5: scratchnet vs scikit-learn (test accuracy, original recipe)",
            unit="percentage points",
        )
        panels = histories(rows, out_dir, "setting", f"{{layer}}_{HISTORY}")
        fig = tables.curves_figure(
            panels, "accuracy", "accuracy", "Study 5: accuracy per epoch on hidden features"
        )
        tables.save_png(fig, out_dir / "accuracy.png")


def layer_rows(config: FeaturesConfig, cells: list[dict]) -> list[dict]:
    """One row per cell and feature layer, with ``setting`` = ``"<activation>, <layer>"``."""
    rows = []
    for cell in cells:
        for name, _ in config.layers:
            layer = cell[name]
            rows.append(
                {
                    **{k: cell[k] for k in ("engine", "recipe", "activation", "key", "sizes")},
                    **layer,
                    "layer": name,
                    "setting": f"{cell['activation']}, {name}",
                    "cell_seconds": layer["wall_seconds"],
                }
            )
    return rows


def _autoencoder(config: FeaturesConfig, cell: Cell, cell_dir: Path) -> tuple[tuple, str]:
    """The cell's (autoencoder, scaler), from the autoencoder sweep or trained here."""
    key = autoencoder_key(config, cell.params)
    if config.autoencoder_run is not None:
        folder = tables.cell_folder(config.autoencoder_run, key)
        if not (folder / MODEL).is_file():
            raise ConfigError(
                f"the autoencoder sweep {config.autoencoder_run} has no finished cell "
                f"{key!r}: run it first (scratchnet sweep), or name its config instead"
            )
        return load_autoencoder(folder), str(folder / MODEL)
    folder = cell_dir / AUTOENCODER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    params = {**cell.params, "engine": key.split("-", 1)[0]}
    AUTOENCODER.run_cell(config.autoencoder, Cell(key, params), folder)
    return load_autoencoder(folder), "trained in this cell"


def autoencoder_key(config: FeaturesConfig, params: Mapping[str, Any]) -> str:
    """The autoencoder cell whose features a classifier cell uses."""
    engine = config.study.options["autoencoder_engine"]
    if engine == "same" or params["recipe"] != "original":
        engine = params["engine"]
    return f"{engine}-{params['recipe']}-{params['activation']}"


def _autoencoder_source(path: Path, where: str, quick: bool) -> tuple[dict, str, str | None]:
    """The autoencoder's config table (without ``study``), its name, and its sweep folder.

    A config file's ``[quick]`` table is merged in when ``quick`` (``--quick`` of this study
    sets ``[options] autoencoder_quick``), else dropped; a sweep folder's config is used as is.
    """
    if path.is_dir():
        sweep_file = path / "sweep.json"
        if not sweep_file.is_file():
            raise ConfigError(f"{where} [options]: autoencoder folder {path} has no sweep.json")
        table = read_json(sweep_file)["config"].expect(dict)
        name, run = str(sweep_file), str(path)
    else:
        table, name, run = apply_quick(read_toml(path), quick, str(path)), str(path), None
    if table.get("study") != AUTOENCODER.name:
        raise ConfigError(
            f"{where} [options]: autoencoder {path} is a {table.get('study')!r} study, "
            f"expected {AUTOENCODER.name!r}"
        )
    return {k: v for k, v in table.items() if k != "study"}, name, run


def _layers(names: Any, autoencoder: StudyConfig, where: str) -> tuple[tuple[str, int], ...]:
    """Feature layer names -> hidden-layer index (1-based, negative from the last)."""
    index: Mapping[str, int] = {
        "penultimate": -1,
        "bottleneck": len(autoencoder.hidden) // 2 + 1,
    }
    if not isinstance(names, list) or not names or any(n not in index for n in names):
        raise ConfigError(
            f"{where} [options]: layers must list names among {', '.join(LAYER_NAMES)}, "
            f"got {names!r}"
        )
    return tuple((name, index[name]) for name in dict.fromkeys(names))


STUDY = FeaturesStudy()
