"""What a study shows of itself in the report, declared in one place: its title, an intro, its
tables (by file stem) and its figures (by file name), with captions.

The sweep engine writes a study's view as ``view.json`` into the sweep folder after each
summary; the report reads that file and hard-codes no study's names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from scratchnet.fileio import write_json

VIEW_FILE = "view.json"


@dataclass(frozen=True)
class TableView:
    """A table ``<stem>.csv`` (with ``<stem>.json``: title and notes); ``best_by`` names the
    column by which the report says which group of rows is best, ``headline`` the column whose
    best row the report's first screen puts beside the original study's."""

    stem: str
    best_by: str | None = None
    headline: str | None = None


@dataclass(frozen=True)
class FigureView:
    """A PNG figure of the sweep folder and its caption."""

    file: str
    caption: str


@dataclass(frozen=True)
class StudyView:
    """A study's part of the report."""

    title: str
    intro: str
    tables: tuple[TableView, ...] = ()
    figures: tuple[FigureView, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """JSON-safe: ``{"title", "intro", "tables": [{stem, best_by}], "figures": [...]}``."""
        return asdict(self)


def write_view(out_dir: str | Path, view: StudyView) -> Path:
    """Write ``view`` as ``out_dir/view.json``; return its path."""
    path = Path(out_dir) / VIEW_FILE
    write_json(path, view.to_dict())
    return path
