"""Result tables of a sweep written as CSV and Markdown, atomically, from rows of dicts.

:func:`write_table` writes a table three ways: ``<stem>.md`` (for people), ``<stem>.csv`` and
``<stem>.json`` (title, notes and rows, for programs and the report).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scratchnet.fileio import write_json, write_text
from scratchnet.numbers import fixed, significant


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
        return format(value, spec) if spec else significant(value)

    lines = [
        "| " + " | ".join(headers.get(c, c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(text(c, row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: str | os.PathLike[str], rows, columns) -> None:
    """Write :func:`to_csv` atomically."""
    write_text(path, to_csv(rows, columns))


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
        cells = [fixed(row.get(column), digits.get(column, 2), "-") for column in columns]
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
