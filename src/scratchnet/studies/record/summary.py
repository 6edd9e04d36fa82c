"""The record study's tables and figures, from its cells' files (and, for the one test
score, the chosen step's model and the test part).

``ladder.md/.csv/.json``: one row per step (what it changed, its validation scores, epochs
and seconds; the chosen one marked); ``record.md/.csv/.json``: the anchors, then the record's
test score; ``curves_<key>.png``: every step's curves; ``samples.png``: training images and
random augmentations of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.engines.base import evaluate, load_model
from scratchnet.run.train import HISTORY, MODEL
from scratchnet.runfiles import RunFolderError, read_csv, read_json
from scratchnet.studies.record.config import Anchor, RecordConfig
from scratchnet.sweep import figures, tables
from scratchnet.views import ORIGINAL

LADDER = "ladder"
RECORD = "record"
SAMPLES = "samples.png"
N_SAMPLES, N_AUGMENTED = 10, 3


def curves_file(key: str) -> str:
    """The figure of the per-epoch ``key`` curves."""
    return f"curves_{key}.png"


def score_column(config: RecordConfig) -> str:
    """The record table's score column, e.g. ``test accuracy %``."""
    return label(config.test)


def label(metric: str) -> str:
    """How tables name a metric: ``val_accuracy`` -> ``validation accuracy %``."""
    part, name = metric.split("_", 1)
    shown = {"accuracy": "accuracy %", "r2": "R2", "mse": "MSE"}.get(name, name)
    return f"{'validation' if part == 'val' else part} {shown}"


def shown(metric: str, value: float) -> float:
    """A metric's value as tables show it (accuracies in percent)."""
    return 100.0 * value if metric.endswith("accuracy") else value


def write(config: RecordConfig, results: list[dict], out_dir: Path) -> None:
    """Write the tables and figures into ``out_dir`` (nothing while no step finished)."""
    if not results:
        return
    complete = [record for record in results if record["status"] == "complete"]
    chosen = _chosen(config, complete)
    refit = _refit_of(config, chosen, complete)
    marks = {record["key"]: mark for record, mark in ((chosen, "record"), (refit, "its refit"))
             if record is not None}  # fmt: skip
    _ladder_table(config, results, marks, out_dir)
    _record_table(config, chosen, refit, out_dir)
    histories = {
        record["params"]["step"]: read_json(out_dir / "cells" / record["key"] / HISTORY).value
        for record in complete
    }
    for key in config.curves:
        panel = "every step: training (solid), validation (dashed)"
        figure = figures.curves_figure({panel: histories}, key, key, f"{key} per epoch")
        figures.save(figure, out_dir / curves_file(key))
    augments = [step.params["augment"] for step in config.ladder if step.params.get("augment")]
    if augments:
        _samples(config, augments[-1], out_dir)


def _chosen(config: RecordConfig, complete: list[dict]) -> dict | None:
    """The complete step with the best validation score (the first of equals); refit steps
    have none."""
    scored = [record for record in complete if not _is_refit(config, record)]
    if not scored:
        return None
    sign = -1.0 if config.select.endswith(("loss", "mse")) else 1.0
    return max(scored, key=lambda record: sign * record["metrics"][config.select])


def _refit_of(config: RecordConfig, chosen: dict | None, complete: list[dict]) -> dict | None:
    """The complete refit step that follows the chosen step, if any."""
    for record in complete:
        step = config.step(_step_name(record))
        if chosen is not None and step.refit and _followed(config, step) == _step_name(chosen):
            return record
    return None


def _followed(config: RecordConfig, step) -> str:
    """The name of the step ``step`` follows."""
    if step.after:
        return step.after
    names = [other.name for other in config.ladder]
    return names[names.index(step.name) - 1]


def _step_name(record: dict) -> str:
    """The step name of a cell's record."""
    return record["params"]["step"]


def _is_refit(config: RecordConfig, record: dict) -> bool:
    return config.step(_step_name(record)).refit


def _ladder_table(config, results, marks: dict[str, str], out_dir: Path) -> None:
    """``marks``: the ``chosen`` column's text by cell key."""
    steps = {step.name: step for step in config.ladder}
    rows = []
    for record in results:
        name = record["params"]["step"]
        row: dict[str, Any] = {
            "step": name,
            "changes": _changes(steps.get(name)),
            "status": record["status"],
        }
        if record["status"] == "complete":
            metrics = record["metrics"]
            if config.select in metrics:  # a refit step has no validation score
                row[label(config.select)] = shown(config.select, metrics[config.select])
            row.update(epochs=metrics["epochs"], **{"fit s": metrics["fit_seconds"]})
        row["chosen"] = marks.get(record["key"], "")
        rows.append(row)
    columns = ("step", "changes", "status", label(config.select), "epochs", "fit s", "chosen")
    notes = [
        "Each step keeps the changes of the step above it, or of the step it names (after); "
        "a refit step trains the step it follows on the training and validation parts "
        "together, so it has no validation score.",
        f"{len(results)} of {len(config.ladder)} steps finished; validation scores only",
    ]
    title = f"{config.title}: what each step buys on validation"
    digits = {columns[3]: 2 if config.select.endswith("accuracy") else 4}
    tables.write_table(out_dir, LADDER, columns, rows, title=title, notes=notes, digits=digits)


def _record_table(config, chosen: dict | None, refit: dict | None, out_dir: Path) -> None:
    column = score_column(config)
    found = [_anchor_value(anchor, out_dir) for anchor in config.anchors]
    rows = [
        {"result": a.label, "source": _source(a), column: value, "from": origin}
        for a, (value, origin) in zip(config.anchors, found)
    ]
    again = ", trained again on training + validation" if refit else ""
    if chosen is not None:
        model_file = out_dir / "cells" / (refit or chosen)["key"] / MODEL
        rows.append({"result": f"record: {_step_name(chosen)}{again}", "source": RECORD,
                     column: _test_score(config, model_file), "from": "this study"})  # fmt: skip
    images = f" ({_size(refit, 'train')} images)" if refit else ""
    notes = [
        f"the record is the step with the best {label(config.select)}{again}{images}; its "
        "model is the only one scored on the test part",
        f"data: {config.data.dataset}, test part of {_size(chosen, 'test')} images",
    ]
    digits = {column: 2 if config.percent else 4}
    columns = ("result", "source", column, "from")
    tables.write_table(
        out_dir, RECORD, columns, rows, title=config.title, notes=notes, digits=digits
    )


def _test_score(config: RecordConfig, model_file: Path) -> float:
    from scratchnet.data.prepare_cache import prepared

    data = prepared(config.data)
    y = data.X_test if config.task == "regress" else data.y_test
    metric = config.test.removeprefix("test_")
    return shown(config.test, evaluate(load_model(model_file), data.X_test, y)[metric])


def _anchor_value(anchor: Anchor, out_dir: Path) -> tuple[float | None, str]:
    """The anchor's figure and where it comes from: fixed, or read from another sweep
    folder's table. None, and why, if that folder has not run, its table is damaged, or no
    row of it holds the ``where`` values and numbers in the two columns (a config that names
    a column or value the table does not have says so, in the table itself)."""
    if anchor.value is not None:
        return anchor.value, "the paper or page named"
    folder = anchor.run.replace("../", "")
    path = out_dir / anchor.run / f"{anchor.table}.csv"
    if not path.exists():
        return None, f"not run here ({folder})"
    try:
        _, rows = read_csv(path)
    except (RunFolderError, OSError):
        return None, f"unreadable table ({folder}/{path.name})"
    rows = [r for r in rows if all(r.get(k) == str(v) for k, v in anchor.where.items())]
    sign = -1.0 if anchor.best == "min" else 1.0
    scored = [(_float(r.get(anchor.best_by)), _float(r.get(anchor.column))) for r in rows]
    scored = [(sign * key, value) for key, value in scored if key is not None and value is not None]
    if not scored:
        where = "".join(f", {key} = {value!r}" for key, value in anchor.where.items())
        return None, (
            f"no row of {folder}/{path.name} with numbers in {anchor.column!r} and "
            f"{anchor.best_by!r}{where}"
        )
    return max(scored, key=lambda pair: pair[0])[1], f"this run: {folder}"


def _source(anchor: Anchor) -> str:
    """The row's ``source``: the original study's, published, or one of our runs."""
    if anchor.original:
        return ORIGINAL
    return "published" if anchor.value is not None else "reproduction"


def _samples(config: RecordConfig, augment_spec: Any, out_dir: Path) -> None:
    """Training images, and ``N_AUGMENTED`` random augmentations of each, as trained."""
    from scratchnet.data import augment as augmentation
    from scratchnet.data.prepare_cache import prepared

    images = prepared(config.data).X_train[:N_SAMPLES]
    augment = augmentation.get(augment_spec)
    rng = np.random.default_rng(0)
    rows = [("training image", images)]
    rows += [(f"augmented {i + 1}", augment.transform(images, random_state=rng))
             for i in range(N_AUGMENTED)]  # fmt: skip
    figure = figures.image_rows_figure(rows, f"{config.title}: augmented training samples")
    figures.save(figure, out_dir / SAMPLES)


def _changes(step) -> str:
    """A step's changes as text, with the step it follows when not the one above."""
    text = ", ".join(
        f"{key}={_text(value)}" for key, value in (step.changes if step else {}).items()
    )
    if step and step.refit:
        text = "refit on training + validation"
    return f"(after {step.after}) {text}" if step and step.after else text


def _size(chosen: dict | None, part: str) -> str:
    sizes = (chosen or {}).get("metrics", {}).get("sizes", {})
    return f"{sizes[part]:,}" if part in sizes else "all"


def _float(text: str | None) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    return f"{value:g}" if isinstance(value, float) else str(value)
