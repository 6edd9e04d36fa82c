"""Export a dataset as the original study's author did: CSV files and PNG images sorted by label.

Layout under ``out``::

    <name>_train.csv, <name>_test.csv      label,pixel1..pixelN with a header
    train/<label>/train_00000.png ...      one grayscale PNG per image
    test/<label>/test_00000.png ...
    train_manifest.csv, test_manifest.csv  filename,label,image_path

Every file is written atomically, and nothing that already exists is touched: an export
refuses (before writing anything) to write over any of the files or folders above, and on a
failure removes what it wrote itself. Created folders and files follow the user's umask.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from scratchnet.data.csvio import write_csv_dataset
from scratchnet.data.datasets import Dataset
from scratchnet.errors import ConfigError, DataError
from scratchnet.fileio import atomic_open, make_temp_dir

MANIFEST_COLUMNS = ("filename", "label", "image_path")


def export_dataset(
    dataset: Dataset,
    out: str | os.PathLike[str],
    *,
    limit: int | None = None,
    images: bool = True,
) -> dict[str, list[Path]]:
    """Write CSVs (and PNGs with manifests) for both splits of ``dataset`` under ``out``.

    Parameters
    ----------
    dataset : Dataset
    out : path-like
        Output folder (created).
    limit : int, optional
        Export only the first ``limit`` images of each split.
    images : bool
        Also write the PNG files and manifests.

    Returns
    -------
    dict
        ``{"csv": [...], "manifests": [...], "images": [...]}`` paths written.
    """
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    out = Path(out)
    check_targets(export_targets(dataset.name, out, images))
    written: dict[str, list[Path]] = {"csv": [], "manifests": [], "images": []}
    try:
        for split in ("train", "test"):
            X, y = dataset.split(split)
            X, y = X[:limit], y[:limit]
            written["csv"].append(write_csv_dataset(out / f"{dataset.name}_{split}.csv", X, y))
            if images:
                pngs = export_images(X, y, out, split)
                written["images"].extend(pngs)
                manifest = write_manifest(out / f"{split}_manifest.csv", pngs, y, out)
                written["manifests"].append(manifest)
    except BaseException:
        _remove_written(written, out)
        raise
    return written


def export_targets(name: str, out: Path, images: bool = True) -> list[Path]:
    """Every file and folder an export of dataset ``name`` writes directly under ``out``."""
    targets = [out / f"{name}_{split}.csv" for split in ("train", "test")]
    if images:
        targets += [out / split for split in ("train", "test")]
        targets += [out / f"{split}_manifest.csv" for split in ("train", "test")]
    return targets


def check_targets(targets: list[Path]) -> None:
    """Refuse to export over anything that exists (an empty folder is fine).

    Raises
    ------
    DataError
        Naming the first target in the way.
    """
    for target in targets:
        empty_dir = target.is_dir() and not target.is_symlink() and not any(target.iterdir())
        if (target.exists() or target.is_symlink()) and not empty_dir:
            raise DataError(
                f"{target} already exists; an export never writes over existing files: "
                "choose a new --out folder, or move the old export away first"
            )


def _remove_written(written: dict[str, list[Path]], out: Path) -> None:
    """Undo a failed export: remove the files and image folders this export created."""
    for path in [*written["csv"], *written["manifests"]]:
        path.unlink(missing_ok=True)
    for split in {path.relative_to(out).parts[0] for path in written["images"]}:
        shutil.rmtree(out / split, ignore_errors=True)


def export_images(X: np.ndarray, y: np.ndarray, out: Path, split: str) -> list[Path]:
    """Write each image as ``out/split/<label>/<split>_<index>.png``; return the paths in order.

    The images are written into a hidden staging folder that replaces ``out/split`` only when
    complete, so no half-written image or half-filled folder is ever visible there. (Images
    are not fsynced one by one: that would make a full export take minutes.)

    Parameters
    ----------
    X : ndarray of shape (n, rows, cols), uint8
    y : ndarray of shape (n,)
    """
    from PIL import Image

    X = np.asarray(X)
    if X.ndim != 3 or X.dtype != np.uint8:
        raise DataError(f"expected uint8 images of shape (n, rows, cols), got {X.dtype} {X.shape}")
    width = max(5, len(str(len(X) - 1)))
    names = [f"{int(label)}/{split}_{index:0{width}d}.png" for index, label in enumerate(y)]
    with _staged_folder(out / split) as staging:
        for label in {int(v) for v in y}:
            (staging / str(label)).mkdir()
        for name, image in zip(names, X, strict=True):
            Image.fromarray(image).save(staging / name, format="PNG")
    return [out / split / name for name in names]


@contextlib.contextmanager
def _staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty hidden folder beside ``target`` that becomes ``target`` when the block
    succeeds. ``target`` must not exist, or be an empty folder: ``os.replace`` refuses to
    replace a folder that holds anything, so nothing is ever deleted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = make_temp_dir(target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        yield staging
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_manifest(path: Path, images: list[Path], labels: np.ndarray, root: Path) -> Path:
    """Write ``filename,label,image_path`` rows (paths relative to ``root``)."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        for image, label in zip(images, labels, strict=True):
            writer.writerow([image.name, int(label), image.relative_to(root).as_posix()])
    return path
