"""Render a :class:`~scratchnet.report.document.Document` as Markdown.

Figures are linked by their path relative to the report file, so the Markdown reads well on a
code host next to the run folder's PNG files.
"""

from __future__ import annotations

import os
from pathlib import Path

from scratchnet.report.document import Cell, Document, Figure, Note, Paragraph, Section, Table

MARKS = {"good": " ▲", "bad": " ▼"}


def render(doc: Document, report_dir: Path) -> str:
    """The document as Markdown; figure links are relative to ``report_dir``."""
    lines = [f"# {doc.title}", "", doc.subtitle, ""]
    lines += [f"- **{key}**: {value}" for key, value in doc.header]
    lines.append("")
    for section in doc.sections:
        lines += _section(section, 2, report_dir)
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section, level: int, report_dir: Path) -> list[str]:
    lines = [f"{'#' * level} {section.title}", ""]
    for block in section.blocks:
        lines += [*_block(block, report_dir), ""]
    for sub in section.subsections:
        lines += _section(sub, min(level + 1, 4), report_dir)
    return lines


def _block(block, report_dir: Path) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Note):
        label = {"differs": "Differs from the seed", "missing": "Not run", "info": "Note"}
        return [f"> **{label[block.kind]}:** {block.text}"]
    if isinstance(block, Figure):
        return [
            f"![{block.caption}]({Path(os.path.relpath(block.path, report_dir)).as_posix()})",
            "",
            f"*{block.caption}*",
        ]
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"unknown block {block!r}")


def _table(table: Table) -> list[str]:
    def text(value) -> str:
        if isinstance(value, Cell):
            return (value.text + MARKS.get(value.status or "", "")).replace("|", "\\|")
        return str(value).replace("|", "\\|")

    lines = [f"*{table.caption}*", ""] if table.caption else []
    lines.append("| " + " | ".join(table.columns) + " |")
    aligns = ["---"] + ["---:"] * (len(table.columns) - 1)
    lines.append("|" + "|".join(aligns) + "|")
    lines += ["| " + " | ".join(text(v) for v in row) + " |" for row in table.rows]
    return lines
