"""Render a :class:`~scratchnet.report.document.Document` as one self-contained HTML file.

Figures are embedded as base64 PNG, the style sheet is inline, and nothing is fetched from the
network: the file can be mailed, opened offline, read on a phone and printed.
"""

from __future__ import annotations

import base64
import html
import re
from importlib import resources

from scratchnet.report.document import Cell, Document, Figure, Note, Paragraph, Section, Table

STYLE = (resources.files("scratchnet.report") / "style.css").read_text(encoding="utf-8")


def render(doc: Document) -> str:
    """The whole page as a string."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{html.escape(doc.title)}</h1>",
        f'<p class="subtitle">{_inline(doc.subtitle)}</p>',
    ]
    if doc.summary is not None:
        parts.append(f'<section class="summary">{_section(doc.summary, level=2)}</section>')
    parts.append(_toc(doc.sections))
    parts += [_section(section, level=2) for section in doc.sections]
    parts += [_environment(doc.header), "</main></body></html>"]
    return "\n".join(parts) + "\n"


def _environment(header: list[tuple[str, str]]) -> str:
    """The machine, versions and wall times, folded at the end of the page."""
    if not header:
        return ""
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{_inline(v)}</dd>" for k, v in header)
    return (
        '<details class="env" id="environment"><summary>Machine, versions and wall times'
        f'</summary><dl class="env">{rows}</dl></details>'
    )


def _toc(sections: list[Section]) -> str:
    items = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections if s.anchor
    )
    return f'<nav class="toc"><ul>{items}</ul></nav>'


def _section(section: Section, level: int) -> str:
    anchor = f' id="{html.escape(section.anchor)}"' if section.anchor else ""
    out = [f"<h{level}{anchor}>{html.escape(section.title)}</h{level}>"]
    out += [_block(block) for block in section.blocks]
    out += [_section(sub, min(level + 1, 4)) for sub in section.subsections]
    return "\n".join(out)


def _block(block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Note):
        label = "<strong>Left out, a file is damaged:</strong> " if block.kind == "damaged" else ""
        return f'<div class="note {block.kind}">{label}{_inline(block.text)}</div>'
    if isinstance(block, Figure):
        data = base64.b64encode(block.path.read_bytes()).decode("ascii")
        alt = html.escape(block.caption, quote=True)
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">'
            f"<figcaption>{_inline(block.caption)}</figcaption></figure>"
        )
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"unknown block {block!r}")


def _table(table: Table) -> str:
    head = "".join(f"<th>{_inline(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = []
        for value in row:
            cell = value if isinstance(value, Cell) else Cell(str(value))
            text, status = cell.text, cell.status
            classes = [
                c
                for c in (
                    status if status in ("good", "bad") else None,
                    "num" if _NUMBER.fullmatch(str(text)) else None,
                )
                if c
            ]
            klass = f' class="{" ".join(classes)}"' if classes else ""
            content = _inline(str(text))
            if cell.link:
                content = f'<a href="#{html.escape(cell.link, quote=True)}">{content}</a>'
            cells.append(f"<td{klass}>{content}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{_inline(table.caption)}</caption>" if table.caption else ""
    return (
        f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


_NUMBER = re.compile(r"[-+−]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?\s*%?(\.\.\.)?|–")


def _inline(text: str) -> str:
    """Escape, then turn `code` and **bold** into tags."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)
