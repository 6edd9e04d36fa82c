"""Figures of a two-way sweep (rows x columns of cells), drawn from the cells' histories.

* :func:`curve_grid`: one small plot per cell with its training and validation loss per
  epoch, on a shared logarithmic axis so that cells compare at a glance;
* :func:`heatmap`: one number per cell (e.g. test accuracy), annotated, with an optional second
  line per cell (e.g. the seed's figure).

matplotlib's object API only (no pyplot); save with :func:`scratchnet.report.figures.save`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"


def curve_grid(
    histories: Mapping[tuple[str, str], Mapping[str, Sequence[float | None]]],
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    keys: tuple[str, str] = ("loss", "val_loss"),
    ylabel: str = "cross-entropy",
    title: str = "",
    notes: Mapping[tuple[str, str], str] | None = None,
) -> Figure:
    """Train and validation curves of every cell, rows x cols small plots, shared log y axis.

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
    """
    notes = notes or {}
    fig = Figure(figsize=(2.6 * len(cols) + 0.6, 2.0 * len(rows) + 0.8), layout="constrained")
    axes = np.atleast_2d(
        fig.subplots(len(rows), len(cols), sharex=True, sharey=True, squeeze=False)
    )
    low, high = _positive_range(histories.values(), keys)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            ax = axes[i, j]
            history = histories.get((row, col))
            if history is None:
                ax.text(0.5, 0.5, "not run", transform=ax.transAxes, ha="center", color="gray")
            else:
                for key, color, label in zip(keys, (TRAIN_COLOR, VAL_COLOR), ("train", "val")):
                    values = [math.nan if v is None else v for v in history.get(key, [])]
                    ax.plot(range(1, len(values) + 1), values, color=color, label=label, lw=1.2)
            if (row, col) in notes:
                ax.text(
                    0.97,
                    0.92,
                    notes[row, col],
                    transform=ax.transAxes,
                    ha="right",
                    va="top",
                    fontsize=8,
                    color="#b00020",
                )
            ax.grid(alpha=0.3, which="both")
            if i == 0:
                ax.set_title(col, fontsize=10)
            if j == 0:
                ax.set_ylabel(f"{row}\n{ylabel}", fontsize=9)
            if i == len(rows) - 1:
                ax.set_xlabel("epoch", fontsize=9)
    if low is not None:
        axes[0, 0].set_yscale("log")
        axes[0, 0].set_ylim(low / 1.3, high * 1.3)
        axes[0, 0].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes[0, 0].yaxis.set_major_formatter(FormatStrFormatter("%g"))
        axes[0, 0].yaxis.set_minor_formatter(NullFormatter())
    axes[0, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if not handles:
        for ax in axes.flat:
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                break
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


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
    norm_low, norm_high = image.get_clim()
    for i in range(len(rows)):
        for j in range(len(cols)):
            value = values[i, j]
            text = "-" if math.isnan(value) else fmt.format(value)
            if second is not None and not math.isnan(second[i, j]):
                text += "\n" + second_fmt.format(second[i, j])
            bright = not math.isnan(value) and value > (norm_low + norm_high) / 2
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=9,
                color="black" if bright else "white",
            )
    fig.colorbar(image, ax=ax, label=label)
    if title:
        ax.set_title(title)
    return fig


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
