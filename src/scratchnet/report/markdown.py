"""Render a :class:`~scratchnet.report.document.Document` as Markdown.

Figures are linked by their path relative to the report file, so the Markdown reads well on a
code host next to the run folder's PNG files.

Text is escaped like the HTML renderer escapes it: every character Markdown (or the HTML it
lets through) would act on is backslash-escaped, line breaks become spaces, and only the
document model's own markup, `code` and **bold**, is kept. A string from a config (a study's
description, an activation's name) thus shows as written and cannot add a heading, a link,
an image, a table column or raw HTML.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

from scratchnet.report.document import Cell, Document, Figure, Note, Paragraph, Section, Table

MARKS = {"good": " ▲", "bad": " ▼"}
LABELS = {
    "differs": "Differs from the original study",
    "missing": "Not run",
    "info": "Note",
    "damaged": "Left out, a file is damaged",
}

#: Characters escaped anywhere in text (CommonMark lets any ASCII punctuation be escaped);
#: ``_`` only where it could open or close emphasis (not inside a word like ``y_hat``).
_SPECIAL = re.compile(r"[\\`*\[\]<>|&~#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
#: What would open a block at the start of a line: a list item, a quote, a heading underline.
_BLOCK_START = re.compile(r"^([-+](?= |$)|=+$|\d{1,9}(?=[.)]( |$)))")
#: Anchors the renderer writes and links to (made by ``summary.slug``); others are dropped.
_ANCHOR = re.compile(r"[a-z0-9][a-z0-9-]*")
_MARKUP = re.compile(r"(`[^`]+`|\*\*[^*]+\*\*)")


def _escape_chars(text: str) -> str:
    return _SPECIAL.sub(lambda match: "\\" + match.group(0), text)


def escape(text: str) -> str:
    """``text`` with no Markdown effect: shown literally, on one line."""
    return _escape_chars(" ".join(str(text).split()))


def inline(text: str, line_start: bool = False) -> str:
    """``text`` escaped, keeping `code` spans and **bold** as the document model's markup.

    ``line_start``: the text begins a line, where ``- ``, ``1. `` or ``===`` would open a
    block; such a start is escaped too.
    """
    parts = []
    for index, part in enumerate(_MARKUP.split(" ".join(str(text).split()))):
        if index % 2 == 0:
            parts.append(_escape_chars(part))
        elif part.startswith("`"):
            parts.append(part.replace("|", "\\|"))  # code spans are literal; keep tables whole
        else:
            parts.append(f"**{_escape_chars(part[2:-2])}**")
    flat = "".join(parts)
    match = _BLOCK_START.match(flat) if line_start else None
    if match:
        cut = match.end() if match.group(1)[0].isdigit() else 0
        flat = f"{flat[:cut]}\\{flat[cut:]}"
    return flat


def render(doc: Document, report_dir: Path) -> str:
    """The document as Markdown; figure links are relative to ``report_dir``."""
    lines = [f"# {escape(doc.title)}", "", inline(doc.subtitle, line_start=True), ""]
    for section in [doc.summary] if doc.summary is not None else []:
        lines += _section(section, 2, report_dir)
    for section in doc.sections:
        lines += _section(section, 2, report_dir)
    if doc.header:
        lines += ["## Machine, versions and wall times", ""]
        lines += [f"- **{_escape_chars(' '.join(k.split()))}**: {inline(v)}" for k, v in doc.header]
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section, level: int, report_dir: Path) -> list[str]:
    anchor = f'<a id="{section.anchor}"></a>' if _ANCHOR.fullmatch(section.anchor) else ""
    lines = [f"{'#' * level} {escape(section.title)}{anchor}", ""]
    for block in section.blocks:
        lines += [*_block(block, report_dir), ""]
    for sub in section.subsections:
        lines += _section(sub, min(level + 1, 4), report_dir)
    return lines


def _block(block, report_dir: Path) -> list[str]:
    if isinstance(block, Paragraph):
        return [inline(block.text, line_start=True)]
    if isinstance(block, Note):
        return [f"> **{LABELS[block.kind]}:** {inline(block.text)}"]
    if isinstance(block, Figure):
        link = quote(Path(os.path.relpath(block.path, report_dir)).as_posix(), safe="/")
        return [f"![{escape(block.caption)}]({link})", "", f"*{inline(block.caption)}*"]
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"unknown block {block!r}")


def _table(table: Table) -> list[str]:
    def text(value) -> str:
        if not isinstance(value, Cell):
            return inline(str(value))
        shown = inline(value.text) + MARKS.get(value.status or "", "")
        return f"[{shown}](#{value.link})" if _ANCHOR.fullmatch(value.link) else shown

    lines = [f"*{inline(table.caption)}*", ""] if table.caption else []
    lines.append("| " + " | ".join(inline(c) for c in table.columns) + " |")
    aligns = ["---"] + ["---:"] * (len(table.columns) - 1)
    lines.append("|" + "|".join(aligns) + "|")
    lines += ["| " + " | ".join(text(v) for v in row) + " |" for row in table.rows]
    return lines
