"""Grids of images: random samples with their labels (the original shows 10 random test
images), and training samples beside augmented copies of them.

Figures are built with :class:`matplotlib.figure.Figure` directly: no pyplot global state.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from scratchnet.data import augment as augmentation
from scratchnet.data.augment import Augment
from scratchnet.errors import ConfigError
from scratchnet.fileio import atomic_path, image_format

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def sample_grid(
    X: np.ndarray,
    y: np.ndarray,
    *,
    n: int = 10,
    indices: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    random_state: int | np.random.Generator | None = 0,
    ncols: int = 5,
    title: str | None = None,
) -> Figure:
    """A figure of ``n`` images drawn at random (without replacement), each titled by its label.

    Parameters
    ----------
    X : ndarray of shape (n_samples, rows, cols) or (n_samples, rows * cols) for square images
    y : ndarray of shape (n_samples,)
    n : int
        Number of images shown.
    indices : sequence of int, optional
        Show these samples instead of a random draw (``n`` is then ignored).
    class_names : sequence of str, optional
        Shown as ``"label: name"`` when given.
    random_state : int or Generator, optional
    ncols : int
        Images per row.
    title : str, optional

    """
    images = _as_images(np.asarray(X))
    if indices is None:
        chosen = sample_indices(len(images), n, random_state=random_state)
    else:
        chosen = np.asarray(indices, dtype=np.intp)
        n = len(chosen)
    cols = min(ncols, n)
    fig, axes = _figure(math.ceil(n / cols), cols, (1.8, 2.0), title)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, index in zip(axes.ravel(), chosen):
        label = int(y[index])
        name = f"{label}: {class_names[label]}" if class_names is not None else str(label)
        ax.imshow(images[index], cmap="gray", vmin=0, vmax=_vmax(images))
        ax.set_title(name, fontsize=9)
    return fig


def augmented_grid(
    X: np.ndarray,
    augment: str | dict | Augment = "mnist",
    *,
    y: np.ndarray | None = None,
    n: int = 6,
    copies: int = 5,
    random_state: int | np.random.Generator | None = 0,
    title: str | None = None,
) -> Figure:
    """A figure of ``n`` random images (first column) and ``copies`` augmented copies of each.

    Parameters
    ----------
    X : ndarray of shape (n_samples, rows, cols) or (n_samples, side * side)
    augment : preset name, dict of strengths or Augment
        As the estimators' ``augment`` parameter (see :mod:`scratchnet.data.augment`).
    y : ndarray of shape (n_samples,), optional
        Labels, shown above the originals.
    n, copies : int
        Rows, and augmented copies per row.
    random_state : int or Generator, optional
        Picks the images and draws the augmentations.
    title : str, optional

    """
    transform = augmentation.get(augment)
    if transform is None or copies < 1:
        raise ConfigError(f"augmented_grid needs an augmentation and copies >= 1, got {augment!r}")
    images = _as_images(np.asarray(X))
    rng = np.random.default_rng(random_state)
    chosen = sample_indices(len(images), n, random_state=rng)
    originals = images[chosen]
    augmented = transform.transform(np.repeat(originals, copies, axis=0), rng)
    fig, axes = _figure(n, copies + 1, (1.3, 1.4), title)
    for row, original in enumerate(originals):
        shown = [original, *augmented[row * copies : (row + 1) * copies]]
        for col, (ax, image) in enumerate(zip(axes[row], shown)):
            ax.imshow(image, cmap="gray", vmin=0, vmax=_vmax(images))
            ax.set_axis_off()
            if col == 0:
                ax.set_title("original" if y is None else str(y[chosen[row]]), fontsize=8)
    return fig


def sample_indices(
    n_total: int, n: int, *, random_state: int | np.random.Generator | None = 0
) -> np.ndarray:
    """``n`` distinct indices out of ``n_total``, drawn at random and sorted."""
    if not 1 <= n <= n_total:
        raise ConfigError(f"n must be between 1 and {n_total}, got {n}")
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_total, size=n, replace=False))


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Save ``fig`` atomically; the format follows the suffix (``.png``, ``.pdf``, ``.svg``)."""
    path = Path(path)
    fmt = image_format(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi)
    return path


def _figure(rows: int, cols: int, cell: tuple[float, float], title: str | None):
    """A figure of rows x cols axes, each ``cell`` (width, height) inches, titled if given."""
    from matplotlib.figure import Figure

    height = cell[1] * rows + (0.4 if title else 0)
    fig = Figure(figsize=(cell[0] * cols, height), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    if title:
        fig.suptitle(title)
    return fig, axes


def _as_images(X: np.ndarray) -> np.ndarray:
    if X.ndim == 3:
        return X
    side = math.isqrt(X.shape[1]) if X.ndim == 2 else 0
    if X.ndim == 2 and side * side == X.shape[1]:
        return X.reshape(len(X), side, side)
    raise ConfigError(f"expected images (n, rows, cols) or square flat rows, got shape {X.shape}")


def _vmax(images: np.ndarray) -> float:
    return 255.0 if images.dtype == np.uint8 else 1.0
