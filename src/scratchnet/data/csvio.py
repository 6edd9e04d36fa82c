"""Label-plus-pixels CSV files, as the original's author exported them, read strictly and written.

The layout is one header line whose first cell is ``label``, then one row per image: the integer
label and the pixel values 0..255 in C order. Reading checks every line (cell count, integers
only, no empty lines inside the file) before the fast NumPy parse, so a fault is reported with
the file and line number instead of surfacing as a NumPy traceback.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from scratchnet.errors import DataError
from scratchnet.fileio import atomic_open, text_lines

_ROWS_PER_WRITE = 2000


def read_csv_dataset(
    path: str | os.PathLike[str], *, n_features: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a ``label,pixel1,...`` CSV file.

    Parameters
    ----------
    path : path-like
    n_features : int, optional
        Required number of pixel columns (784 for MNIST); by default whatever the header says.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), uint8
    y : ndarray of shape (n_samples,), uint8

    Raises
    ------
    DataError
        Empty file, header only, ragged rows, non-integer cells, values out of 0..255, bytes
        that are not UTF-8; the message names the file and line.
    """
    path = Path(path)
    return parse_label_pixel_csv(text_lines(path, DataError), str(path), n_features=n_features)


def parse_label_pixel_csv(
    lines: Iterable[str], name: str, *, n_features: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse label-plus-pixels CSV text given line by line; ``name`` is used in messages.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), uint8
    y : ndarray of shape (n_samples,), uint8
    """
    it = iter(lines)
    header = next(it, "").rstrip("\r\n")
    if not header.strip():
        raise DataError(f"{name}: file is empty; expected a header line 'label,...'")
    columns = header.split(",")
    if columns[0].strip().lower() != "label":
        raise DataError(
            f"{name}: line 1 must be a header starting with 'label', got {columns[0][:20]!r}"
        )
    if n_features is not None and len(columns) != n_features + 1:
        raise DataError(
            f"{name}: header has {len(columns)} columns, expected 1 label + {n_features} pixels"
        )
    rows = _checked_rows(it, name, len(columns))
    first = next(rows, None)
    if first is None:
        raise DataError(f"{name}: header only, no data rows")
    try:
        table = np.loadtxt(itertools.chain([first], rows), delimiter=",", dtype=np.int32, ndmin=2)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{name}: unreadable value: {exc}") from exc
    _check_range(table, name)
    return np.ascontiguousarray(table[:, 1:], dtype=np.uint8), table[:, 0].astype(np.uint8)


def write_csv_dataset(path: str | os.PathLike[str], X: np.ndarray, y: np.ndarray) -> Path:
    """Write images and labels as ``label,pixel1,...,pixelN`` CSV, atomically.

    Parameters
    ----------
    path : path-like
    X : ndarray of shape (n_samples, ...), integer values 0..255
        Flattened to (n_samples, n_features) in C order.
    y : ndarray of shape (n_samples,)
    """
    path = Path(path)
    flat = np.asarray(X).reshape(len(X), -1)
    labels = np.asarray(y).reshape(-1)
    if len(labels) != len(flat):
        raise DataError(f"{path}: {len(flat)} images but {len(labels)} labels")
    header = ",".join(["label", *(f"pixel{i}" for i in range(1, flat.shape[1] + 1))])
    row_format = ",".join(["%d"] * (flat.shape[1] + 1)) + "\n"
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        for start in range(0, len(flat), _ROWS_PER_WRITE):
            stop = start + _ROWS_PER_WRITE
            rows = np.column_stack([labels[start:stop], flat[start:stop]]).tolist()
            handle.write("".join(row_format % tuple(row) for row in rows))
    return path


def _checked_rows(it: Iterator[str], name: str, n_columns: int) -> Iterator[str]:
    """Yield data lines after checking cell count and that every cell is a plain integer."""
    blank_at = None
    for lineno, line in enumerate(it, start=2):
        text = line.rstrip("\r\n")
        if not text.strip():
            blank_at = blank_at or lineno
            continue
        if blank_at is not None:
            raise DataError(f"{name}: line {blank_at} is empty")
        if text.count(",") != n_columns - 1:
            raise DataError(
                f"{name}: line {lineno} has {text.count(',') + 1} cells, expected {n_columns} "
                "like the header"
            )
        digits = text.replace(",", "")
        empty_cell = ",," in text or text[0] == "," or text[-1] == ","
        if empty_cell or not (digits.isascii() and digits.isdigit()):
            raise DataError(f"{name}: line {lineno}: {_first_bad_cell(text)}")
        yield text


def _first_bad_cell(text: str) -> str:
    for column, cell in enumerate(text.split(","), start=1):
        if not (cell.isascii() and cell.isdigit()):
            return f"column {column} is {cell[:20]!r}, expected an integer 0..255"
    return "malformed row"


def _check_range(table: np.ndarray, name: str) -> None:
    bad = np.argwhere(table > 255)
    if bad.size:
        row, column = (int(v) for v in bad[0])
        what = "label" if column == 0 else "pixel"
        raise DataError(
            f"{name}: line {row + 2} column {column + 1}: {what} value {table[row, column]} is "
            "outside 0..255"
        )
