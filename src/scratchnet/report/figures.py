"""Figures drawn from results on disk (histories, tables), with matplotlib's object API.

No pyplot: figures are built with :class:`matplotlib.figure.Figure` and saved by the caller, so
nothing depends on a display or on global state.
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure

from scratchnet.fileio import save_png


def history_figure(history: dict[str, list[float]], title: str = "") -> Figure:
    """Loss curves (train and validation) beside the metric's curves, one point per epoch."""
    metric = "accuracy" if "accuracy" in history else "mse"
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    for ax, key in zip(fig.subplots(1, 2), ("loss", metric)):
        epochs = range(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], label="train", color="#1f77b4")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label="validation", color="#ff7f0e")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def save(fig: Figure, path: str | os.PathLike[str], dpi: int = 110) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically; return the path."""
    return save_png(fig, path, dpi)
