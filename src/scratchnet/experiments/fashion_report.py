"""Tables and figures the Fashion-MNIST studies write into a sweep's folder.

Tables are written three ways: ``<stem>.md`` (for people and the report), ``<stem>.csv`` and
``<stem>.json`` (for programs). Figures use :class:`matplotlib.figure.Figure` (no pyplot) and
are saved atomically as PNG.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from scratchnet import runfiles
from scratchnet.fileio import write_json, write_text
from scratchnet.report.figures import save

CELLS = "cells"
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def cell_folder(out_dir: str | Path, key: str) -> Path:
    """The folder of cell ``key`` in the sweep folder ``out_dir``."""
    return Path(out_dir) / CELLS / key


def read_json(path: str | Path) -> Any:
    """Parse the JSON file ``path`` strictly (:func:`scratchnet.runfiles.read_json`)."""
    return runfiles.read_json(path, kind=None).value


def fmt(value: Any, digits: int = 2) -> str:
    """A table cell: numbers with ``digits`` decimals, ``-`` for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def write_table(
    out_dir: str | Path,
    stem: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    notes: Sequence[str] = (),
    digits: Mapping[str, int] | None = None,
) -> str:
    """Write ``rows`` (dicts keyed by ``columns``) as ``stem``.md/.csv/.json; return the Markdown.

    ``digits`` gives the decimals per column in the Markdown (default 2); CSV and JSON keep
    full precision.
    """
    digits = digits or {}
    out = Path(out_dir)
    lines = [f"# {title}", ""]
    lines += [f"{note}  " for note in notes]
    if notes:
        lines.append("")
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        cells = [fmt(row.get(column), digits.get(column, 2)) for column in columns]
        lines.append("| " + " | ".join(cells) + " |")
    markdown = "\n".join(lines) + "\n"
    write_text(out / f"{stem}.md", markdown)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text(out / f"{stem}.csv", buffer.getvalue())
    write_json(out / f"{stem}.json", {"title": title, "notes": list(notes), "rows": list(rows)})
    return markdown


def curves_figure(
    panels: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    key: str,
    ylabel: str,
    title: str,
) -> Figure:
    """One panel per group, one colour per run: training (solid) and validation (dashed).

    Parameters
    ----------
    panels : mapping panel title -> mapping run label -> history
        A history maps ``key`` and ``"val_" + key`` to per-epoch values.
    key : str
        History key to plot, e.g. ``"loss"``, ``"accuracy"``, ``"mse"``.
    """
    n = max(len(panels), 1)
    fig = Figure(figsize=(4.6 * n, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    for ax, (panel, runs) in zip(axes, panels.items()):
        for color, (label, history) in zip(COLORS * 4, runs.items()):
            epochs = np.arange(1, len(history[key]) + 1)
            ax.plot(epochs, history[key], color=color, label=f"{label} train")
            if f"val_{key}" in history:
                ax.plot(epochs, history[f"val_{key}"], color=color, ls="--", label=f"{label} val")
        ax.set_title(panel)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel(ylabel)
    fig.suptitle(title)
    return fig


def image_rows_figure(rows: Sequence[tuple[str, np.ndarray]], title: str) -> Figure:
    """Rows of images, e.g. originals above reconstructions.

    Parameters
    ----------
    rows : sequence of (label, ndarray of shape (n_images, 784))
    """
    n_images = max(len(images) for _, images in rows)
    fig = Figure(figsize=(1.1 * n_images + 1.2, 1.25 * len(rows) + 0.4), layout="constrained")
    axes = fig.subplots(len(rows), n_images, squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(n_images):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(images):
                side = math.isqrt(images.shape[1])
                ax.imshow(np.clip(images[c].reshape(side, side), 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    return fig


def save_png(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` atomically as PNG."""
    return save(fig, path)


def compare_engines(
    rows: Sequence[Mapping[str, Any]],
    by: Sequence[str],
    metric: str,
    *,
    scale: float = 100.0,
    tolerance: float = 1.0,
) -> list[dict[str, Any]]:
    """Pair each setting's scikit-learn and scratchnet rows (seed recipe) and compare them.

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
    seeds = [row for row in rows if row.get("recipe") == "seed"]
    settings = list(dict.fromkeys(tuple(row[k] for k in by) for row in seeds))
    pairs = []
    for setting in settings:
        found = {row["engine"]: row for row in seeds if tuple(row[k] for k in by) == setting}
        if set(found) != {"sklearn", "scratchnet"}:
            continue
        sk, sn = found["sklearn"], found["scratchnet"]
        difference = (sn[metric] - sk[metric]) * scale
        pairs.append(
            {
                **dict(zip(by, setting)),
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
        )
    return pairs


SOURCES = ("seed", "sklearn", "scratchnet", "scratchnet improved")


def source_rows(
    settings: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    seed: Mapping[str, Mapping[str, Any]],
    columns: Mapping[str, tuple[str, float]],
    *,
    by: str = "activation",
) -> list[dict[str, Any]]:
    """A study table: per setting, the seed's row, then scikit-learn, scratchnet, improved.

    Parameters
    ----------
    settings : sequence of str
        Values of ``by`` in table order.
    rows : sequence of mapping
        Cell metrics with ``engine``, ``recipe``, ``by``, ``epochs``, ``fit_seconds`` and
        ``cell_seconds``.
    seed : mapping setting -> {column: value}
        The seed's figures.
    columns : mapping column -> (metric key, scale)
        Table columns taken from the cell metrics (value x scale).
    """
    from scratchnet.experiments.fashion_config import source_label

    table = []
    for setting in settings:
        if setting in seed:
            table.append({by: setting, "source": "seed", **seed[setting]})
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
