"""Result tables of a sweep written as CSV and Markdown, atomically, from rows of dicts."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

from scratchnet.fileio import write_text


def format_value(value: Any, digits: int = 4) -> str:
    """Text of one cell: floats to ``digits`` significant digits, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV text with a header row; floats at full precision (``repr``), None as empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return buffer.getvalue()


def to_markdown(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    headers: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
) -> str:
    """A GitHub Markdown table; ``headers`` renames columns, ``formats`` gives format specs."""
    headers = headers or {}
    formats = formats or {}

    def text(column: str, value: Any) -> str:
        if value is None:
            return ""
        spec = formats.get(column)
        return format(value, spec) if spec else format_value(value)

    lines = [
        "| " + " | ".join(headers.get(c, c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(text(c, row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: str | os.PathLike[str], rows, columns) -> None:
    """Write :func:`to_csv` atomically."""
    write_text(path, to_csv(rows, columns))
