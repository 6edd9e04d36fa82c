"""Figures of a two-way sweep (rows x columns of cells), drawn from the cells' histories.

* :func:`curve_grid`: one small plot per cell with its training and validation loss per
  epoch, on a shared logarithmic axis so that cells compare at a glance;
* :func:`heatmap`: one number per cell (e.g. test accuracy), annotated, with an optional second
  line per cell (e.g. the original study's figure);
* :func:`curves_figure`: one panel per group of runs, training and validation curves;
* :func:`image_rows_figure`: rows of images (originals above reconstructions).

matplotlib's object API only (no pyplot); :func:`save` writes a PNG atomically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter

from scratchnet.fileio import save_png as save

__all__ = ["curve_grid", "curves_figure", "heatmap", "image_rows_figure", "save"]

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def curve_grid(
    histories: Mapping[tuple[str, str], Mapping[str, Sequence[float | None]]],
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    keys: tuple[str, str] = ("loss", "val_loss"),
    ylabel: str = "cross-entropy",
    title: str = "",
    notes: Mapping[tuple[str, str], str] | None = None,
    log: bool = True,
) -> Figure:
    """Train and validation curves of every cell, rows x cols small plots, shared y axis.

    Parameters
    ----------
    histories : mapping (row, col) -> history
        Per-epoch lists under ``keys``; a missing cell gets an empty plot marked "not run".
    rows, cols : sequence of str
        Labels, in display order.
    keys : (str, str)
        The training and validation entries to draw.
    notes : mapping (row, col) -> str, optional
        A short text in the corner of a cell's plot (e.g. "failed").
    log : bool
        A logarithmic y axis (when some value is positive).
    """
    notes = notes or {}
    fig = Figure(figsize=(2.6 * len(cols) + 0.6, 2.0 * len(rows) + 0.8), layout="constrained")
    axes = np.atleast_2d(
        fig.subplots(len(rows), len(cols), sharex=True, sharey=True, squeeze=False)
    )
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            _draw_cell(axes[i, j], histories.get((row, col)), keys, notes.get((row, col)))
            _label_cell(axes[i, j], row, col, ylabel, i == 0, j == 0, i == len(rows) - 1)
    low, high = _positive_range(histories.values(), keys)
    if log and low is not None:
        _log_axis(axes[0, 0], low, high)
    axes[0, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = next(
        (found for ax in axes.flat if (found := ax.get_legend_handles_labels())[0]), ([], [])
    )
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def _draw_cell(ax, history, keys: tuple[str, str], note: str | None) -> None:
    """One cell's train and validation curves, or "not run"; its note in the corner."""
    if history is None:
        ax.text(0.5, 0.5, "not run", transform=ax.transAxes, ha="center", color="gray")
    else:
        for key, color, label in zip(keys, (TRAIN_COLOR, VAL_COLOR), ("train", "val")):
            values = [math.nan if v is None else v for v in history.get(key, [])]
            ax.plot(range(1, len(values) + 1), values, color=color, label=label, lw=1.2)
    if note:
        ax.text(0.97, 0.92, note, transform=ax.transAxes, ha="right", va="top", fontsize=8,
                color="#b00020")  # fmt: skip
    ax.grid(alpha=0.3, which="both")


def _label_cell(ax, row: str, col: str, ylabel: str, top: bool, left: bool, bottom: bool):
    """Column titles on the top row, row labels on the left, "epoch" at the bottom."""
    if top:
        ax.set_title(col, fontsize=10)
    if left:
        ax.set_ylabel(f"{row}\n{ylabel}", fontsize=9)
    if bottom:
        ax.set_xlabel("epoch", fontsize=9)


def _log_axis(ax, low: float, high: float) -> None:
    """A shared logarithmic y axis from ``low`` to ``high``, with plain tick labels."""
    ax.set_yscale("log")
    ax.set_ylim(low / 1.3, high * 1.3)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def heatmap(
    values: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    fmt: str = "{:.2f}",
    second: np.ndarray | None = None,
    second_fmt: str = "({:.2f})",
    label: str = "",
    title: str = "",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """A rows x cols grid of numbers as colours, each annotated (NaN: an empty, "-" cell).

    Parameters
    ----------
    values : ndarray of shape (len(rows), len(cols))
    second : ndarray of the same shape, optional
        A second number per cell, printed under the first with ``second_fmt``.
    label : str
        The colour bar's label.
    """
    values = np.asarray(values, dtype=float)
    fig = Figure(figsize=(1.5 * len(cols) + 2.2, 0.9 * len(rows) + 1.2), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto"
    )
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    _annotate(ax, values, second, fmt, second_fmt, sum(image.get_clim()) / 2)
    fig.colorbar(image, ax=ax, label=label)
    if title:
        ax.set_title(title)
    return fig


def _annotate(ax, values: np.ndarray, second, fmt: str, second_fmt: str, middle: float) -> None:
    """Write each cell's number (and its second one) in black on bright colours, else white."""
    for (i, j), value in np.ndenumerate(values):
        text = "-" if math.isnan(value) else fmt.format(value)
        if second is not None and not math.isnan(second[i, j]):
            text += "\n" + second_fmt.format(second[i, j])
        bright = not math.isnan(value) and value > middle
        ax.text(j, i, text, ha="center", va="center", fontsize=9,
                color="black" if bright else "white")  # fmt: skip


def _positive_range(histories, keys) -> tuple[float | None, float | None]:
    """Smallest and largest positive finite value of ``keys`` over all histories."""
    found = [
        v
        for history in histories
        for key in keys
        for v in history.get(key, [])
        if v is not None and math.isfinite(v) and v > 0
    ]
    return (min(found), max(found)) if found else (None, None)


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

    More than four runs in a panel put its legend beside it, and an accuracy axis starts
    where the runs have left their first tenth of epochs behind.
    """
    n = max(len(panels), 1)
    crowded = max((len(runs) for runs in panels.values()), default=0) > 4
    fig = Figure(figsize=(4.6 * n + 3.4 * crowded, 3.6), layout="constrained")
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
        outside = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)} if crowded else {}
        ax.legend(fontsize=7, **outside)
        if key.endswith("accuracy"):
            _settled_floor(ax, runs.values(), key)
    axes[0].set_ylabel(ylabel)
    fig.suptitle(title)
    return fig


def _settled_floor(ax, histories, key: str) -> None:
    """Start the y axis at the lowest value after each run's first tenth of epochs."""
    settled = [
        value
        for history in histories
        for name in (key, f"val_{key}")
        for value in history.get(name, [])[len(history.get(name, [])) // 10 + 1 :]
        if value is not None and math.isfinite(value)
    ]
    if settled:
        low = min(settled)
        ax.set_ylim(bottom=low - 0.05 * (ax.get_ylim()[1] - low))


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
