"""A tiny document model for the report: sections of paragraphs, tables, figures and notes.

Section builders produce these plain objects from run folders; :mod:`~scratchnet.report.html`
and :mod:`~scratchnet.report.markdown` render them. Text is plain: renderers escape it. Inline
``code`` in backticks and **bold** in double stars are the only markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from scratchnet.runfiles import RunFolderError

Status = Literal["good", "bad", "same", None]


@dataclass(frozen=True)
class Cell:
    """A table cell whose text is highlighted by ``status`` (e.g. ours beats the original's), and
    links to the report's part whose anchor is ``link``, if given."""

    text: str
    status: Status = None
    link: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of plain values or :class:`Cell`; numbers are rendered as given (pre-format them)."""

    columns: list[str]
    rows: list[list[str | Cell]]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A PNG file in the run folder, with its caption."""

    path: Path
    caption: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Note:
    """A call-out: ``differs`` where a finding differs from the original's, else ``info``;
    ``missing`` for a part not run, ``damaged`` for a part left out because a file of the run
    folder is damaged (its text names the file and what is wrong)."""

    text: str
    kind: Literal["differs", "info", "missing", "damaged"] = "info"


Block = Paragraph | Table | Figure | Note


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    anchor: str = ""


@dataclass
class Document:
    title: str
    subtitle: str
    header: list[tuple[str, str]]
    sections: list[Section]
    #: Problems of damaged files that fed the header (shown in it as ``damaged`` lines).
    damaged_header: list[str] = field(default_factory=list)
    #: The first screen: headline findings, before the table of contents.
    summary: Section | None = None

    def damaged(self) -> list[str]:
        """What was left out because of damaged files: the header's, then every ``damaged``
        note's text in reading order."""
        found: list[str] = list(self.damaged_header)

        def walk(section: Section) -> None:
            found.extend(
                b.text for b in section.blocks if isinstance(b, Note) and b.kind == "damaged"
            )
            for sub in section.subsections:
                walk(sub)

        for section in self.sections:
            walk(section)
        return found


def guarded(title: str, build: Callable[[], Section], anchor: str = "") -> Section:
    """``build()``, or, if a file it reads is damaged, a section saying so in its place.

    The unit of the report that a damaged file takes out: the rest still renders.
    """
    try:
        return build()
    except RunFolderError as exc:
        return Section(title, [Note(str(exc), "damaged")], anchor=anchor)


def compare_cell(
    ours: float,
    original: float | None,
    fmt: str = "{:.2f}",
    higher_is_better=True,
    tolerance: float = 0.0,
) -> Cell:
    """Our value as a cell highlighted against the original's: good, bad or the same."""
    text = fmt.format(ours)
    if original is None:
        return Cell(text)
    difference = (ours - original) if higher_is_better else (original - ours)
    if abs(difference) <= tolerance:
        return Cell(text, "same")
    return Cell(text, "good" if difference > 0 else "bad")
