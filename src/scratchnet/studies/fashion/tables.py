"""The tables the Fashion-MNIST studies share: the original study's rows beside each engine's,
and scikit-learn against scratchnet setting by setting."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scratchnet import runfiles
from scratchnet.sweep.figures import curves_figure, image_rows_figure
from scratchnet.sweep.figures import save as save_png
from scratchnet.sweep.tables import write_table

__all__ = [
    "cell_folder", "compare_engines", "curves_figure", "image_rows_figure", "read_json",
    "save_png", "source_rows", "write_engine_table", "write_table",
]  # fmt: skip

CELLS = "cells"


def cell_folder(out_dir: str | Path, key: str) -> Path:
    """The folder of cell ``key`` in the sweep folder ``out_dir``."""
    return Path(out_dir) / CELLS / key


def read_json(path: str | Path) -> Any:
    """Parse the JSON file ``path`` strictly (:func:`scratchnet.runfiles.read_json`)."""
    return runfiles.read_json(path, kind=None).value


def compare_engines(
    rows: Sequence[Mapping[str, Any]],
    by: Sequence[str],
    metric: str,
    *,
    scale: float = 100.0,
    tolerance: float = 1.0,
) -> list[dict[str, Any]]:
    """Pair each setting's scikit-learn and scratchnet rows (the original's recipe), compared.

    Parameters
    ----------
    rows : sequence of mapping
        Cell metrics with ``engine``, ``recipe``, the ``by`` keys, ``metric``,
        ``fit_seconds`` and ``cell_seconds``.
    by : sequence of str
        Keys naming a setting (e.g. ``("activation",)``).
    metric : str
        Compared metric; ``scale`` turns it into points (100 for accuracies, 100 for R^2).
    tolerance : float
        scratchnet passes when it is at most this many points below scikit-learn.

    Returns
    -------
    list of dict
        Per setting: both values, ``difference`` (scratchnet - sklearn, in points), ``within``
        (yes/no), both engines' training seconds and ``speedup`` (sklearn / scratchnet).
    """
    originals = [row for row in rows if row.get("recipe") == "original"]
    settings = list(dict.fromkeys(tuple(row[k] for k in by) for row in originals))
    pairs = []
    for setting in settings:
        found = {row["engine"]: row for row in originals if tuple(row[k] for k in by) == setting}
        if set(found) != {"sklearn", "scratchnet"}:
            continue
        pairs.append(
            {
                **dict(zip(by, setting)),
                **_pair(found["sklearn"], found["scratchnet"], metric, scale, tolerance),
            }
        )
    return pairs


def _pair(sk: Mapping, sn: Mapping, metric: str, scale: float, tolerance: float) -> dict:
    """scikit-learn's row ``sk`` beside scratchnet's ``sn``: values, difference, times."""
    difference = (sn[metric] - sk[metric]) * scale
    return {
        f"sklearn {metric}": sk[metric] * scale,
        f"scratchnet {metric}": sn[metric] * scale,
        "difference": difference,
        "within": "yes" if difference >= -tolerance else "no",
        "sklearn fit s": sk["fit_seconds"],
        "scratchnet fit s": sn["fit_seconds"],
        "speedup": sk["fit_seconds"] / max(sn["fit_seconds"], 1e-9),
        "sklearn wall s": sk.get("cell_seconds"),
        "scratchnet wall s": sn.get("cell_seconds"),
        "wall speedup": (sk.get("cell_seconds") or math.nan)
        / max(sn.get("cell_seconds") or math.nan, 1e-9),
    }


SOURCES = ("original", "sklearn", "scratchnet", "scratchnet improved")


def source_rows(
    settings: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    original: Mapping[str, Mapping[str, Any]],
    columns: Mapping[str, tuple[str, float]],
    *,
    by: str = "activation",
) -> list[dict[str, Any]]:
    """A study table: per setting, the original's row, then scikit-learn, scratchnet, improved.

    Parameters
    ----------
    settings : sequence of str
        Values of ``by`` in table order.
    rows : sequence of mapping
        Cell metrics with ``engine``, ``recipe``, ``by``, ``epochs``, ``fit_seconds`` and
        ``cell_seconds``.
    original : mapping setting -> {column: value}
        The original study's figures (source ``original`` in the table).
    columns : mapping column -> (metric key, scale)
        Table columns taken from the cell metrics (value x scale).
    """
    from scratchnet.studies.fashion.config import source_label

    table = []
    for setting in settings:
        if setting in original:
            table.append({by: setting, "source": "original", **original[setting]})
        found = [row for row in rows if row[by] == setting]
        found.sort(key=lambda row: SOURCES.index(source_label(row["engine"], row["recipe"])))
        for row in found:
            entry = {by: setting, "source": source_label(row["engine"], row["recipe"])}
            entry.update({column: row[key] * scale for column, (key, scale) in columns.items()})
            entry.update(
                {
                    "epochs": row["epochs"],
                    "fit s": row["fit_seconds"],
                    "wall s": row["cell_seconds"],
                }
            )
            table.append(entry)
    return table


def write_engine_table(
    out_dir: str | Path,
    rows: Sequence[Mapping[str, Any]],
    by: Sequence[str],
    metric: str,
    *,
    title: str,
    unit: str,
) -> list[dict[str, Any]]:
    """:func:`compare_engines` written as ``engines.md/.csv/.json``; return its rows."""
    pairs = compare_engines(rows, by, metric)
    write_table(
        out_dir,
        "engines",
        list(pairs[0]) if pairs else list(by),
        pairs,
        title=title,
        notes=[
            f"difference in {unit} (scratchnet - sklearn); within = at most 1 below; speedup "
            "= sklearn / scratchnet training seconds (wall: whole cell, evaluation included)"
        ],
    )
    return pairs
