"""Study 1 of Section C: the data as the other studies see them, and 10 random test images.

MinMax scaling of train and test (scikit-learn's MinMaxScaler fitted on the training part),
then a figure of ``n_images`` random test images titled with their class names. One cell,
``preprocessing``, writes ``data.json`` (sizes, missing values, value ranges before and after
scaling, class counts) and ``samples.png``; the summary writes ``preprocessing.md/.csv/.json``
and copies the figure to the sweep folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import schema
from scratchnet.data.figures import sample_grid, save_figure
from scratchnet.data.prepare import DATA as DATA_SCHEMA
from scratchnet.data.prepare import DataConfig
from scratchnet.data.prepare_cache import prepared
from scratchnet.fileio import atomic_path, write_json
from scratchnet.studies.fashion import config as fashion_config
from scratchnet.studies.fashion import tables
from scratchnet.sweep.cells import Cell
from scratchnet.views import FigureView, StudyView, TableView

OPTIONS = {"n_images": 10, "image_seed": 0}
DATA = "data.json"
SAMPLES = "samples.png"


@dataclass(frozen=True)
class PreprocessingConfig:
    """The data settings and the figure's size and seed."""

    data: DataConfig
    options: Mapping[str, Any]


class PreprocessingStudy:
    """The preprocessing study (see the module docstring)."""

    name = "fashion-preprocessing"
    VIEW = StudyView(
        "C.1 Preprocessing",
        "Min-max scaling fitted on the training images (the original study's MinMaxScaler); a "
        "10,000-image validation set held out of the 60,000 training images.",
        (TableView("preprocessing"),),
        (FigureView("samples.png", "Ten random test images"),),
    )

    def view(self, config: PreprocessingConfig) -> StudyView:
        """What the report shows of the study."""
        return self.VIEW

    def parse_config(self, table: dict, where: str) -> PreprocessingConfig:
        data_spec = schema.table(**DATA_SCHEMA)
        options_spec = fashion_config.options_table(OPTIONS)
        schema.validate(table, schema.table(data=data_spec, options=options_spec), where)
        data = fashion_config.parse_data(table.get("data", {}), f"{where} [data]")
        options = fashion_config.parse_options(
            table.get("options", {}), OPTIONS, f"{where} [options]"
        )
        return PreprocessingConfig(data, options)

    def cells(self, config: PreprocessingConfig) -> list[Cell]:
        return [Cell("preprocessing", {})]

    def run_cell(self, config: PreprocessingConfig, cell: Cell, cell_dir: Path) -> dict[str, Any]:
        data = prepared(config.data)
        summary = {
            "sizes": dict(data.sizes),
            "source": data.source,
            "class_names": list(data.class_names),
            "missing_values": int(
                sum(np.isnan(X).sum() for X in (data.X_train, data.X_val, data.X_test))
            ),
            "ranges": {
                part: [float(X.min()), float(X.max())]
                for part, X in (("train", data.X_train), ("val", data.X_val), ("test", data.X_test))
            },
            "class_counts": {
                part: np.bincount(y, minlength=len(data.class_names)).tolist()
                for part, y in (("train", data.y_train), ("val", data.y_val), ("test", data.y_test))
            },
        }
        write_json(cell_dir / DATA, summary)
        fig = sample_grid(
            data.X_test,
            data.y_test,
            n=config.options["n_images"],
            class_names=data.class_names,
            random_state=config.options["image_seed"],
            title=f"{config.options['n_images']} random test images (after MinMax scaling)",
        )
        save_figure(fig, cell_dir / SAMPLES)
        return {"sizes": summary["sizes"], "missing_values": summary["missing_values"]}

    def summarize(self, config: PreprocessingConfig, results: list[dict], out_dir: Path) -> None:
        if not any(record.get("status") == "complete" for record in results):
            return
        folder = tables.cell_folder(out_dir, "preprocessing")
        summary = tables.read_json(folder / DATA)
        rows = [
            {
                "part": part,
                "images": summary["sizes"][part],
                "min": summary["ranges"][part][0],
                "max": summary["ranges"][part][1],
                "per class": " ".join(map(str, summary["class_counts"][part])),
            }
            for part in ("train", "val", "test")
        ]
        tables.write_table(
            out_dir,
            "preprocessing",
            ("part", "images", "min", "max", "per class"),
            rows,
            title="Study 1: the data after MinMax scaling",
            notes=[
                fashion_config.data_description(config.data, summary["sizes"]),
                f"missing values: {summary['missing_values']}; source: {summary['source']}",
                "classes: " + ", ".join(summary["class_names"]),
            ],
        )
        with atomic_path(Path(out_dir) / SAMPLES) as tmp:
            tmp.write_bytes((folder / SAMPLES).read_bytes())


STUDY = PreprocessingStudy()
