"""What a study shows of itself in the report, declared in one place: its title, an intro, its
tables (by file stem) and its figures (by file name), with captions; and, for a run of several
studies, the run's plan of sections (:class:`RunView`, ``report.json`` at the run's root).

The contract between the studies and the report: the sweep engine writes a study's view as
``view.json`` into the sweep folder after each summary, the reproduction writes the run's
``report.json``; the report reads those files with these same classes and hard-codes no
study's names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from scratchnet.fileio import write_json
from scratchnet.runformat import FORMAT, FORMAT_KEY

VIEW_FILE = "view.json"
RUN_VIEW_FILE = "report.json"
#: The ``source`` of a table's rows that hold the original study's figures.
ORIGINAL = "original"


@dataclass(frozen=True)
class ColumnView:
    """A column of ``<stem>.csv`` as shown: its ``label`` and its decimals (None: as is)."""

    name: str
    label: str
    digits: int | None = None


@dataclass(frozen=True)
class CompareView:
    """Columns of ours highlighted against one column of the original study's figures.

    ``keys`` name a row (``name`` formats them into a sentence); within ``tolerance`` counts
    as the same, and two figures both below ``chance`` are the same (nothing was learned).
    A row whose ``status`` column is not ``complete`` shows its status instead; figures are
    followed by ``unit``; ``notes`` asks for notes where a row's fate differs and on the best.
    """

    columns: tuple[str, ...]
    against: str
    keys: tuple[str, ...]
    name: str
    tolerance: float = 0.0
    chance: float | None = None
    status: str | None = None
    unit: str = ""
    notes: bool = False


@dataclass(frozen=True)
class TableView:
    """A table ``<stem>.csv`` (with ``<stem>.json``: title and notes); ``best_by`` names the
    column by which the report says which group of rows is best, ``headline`` the column whose
    best row the report's first screen puts beside the original study's (``headline_label``:
    the row's label, ``{finding}`` standing for "best" or "at chance"; ``headline_source``:
    only rows of this ``source`` count as ours, and, not being settings the original tried,
    are not asked whether they agree with its best). ``caption`` replaces
    the title, ``columns`` choose and label the columns shown, ``compare`` highlights them."""

    stem: str
    best_by: str | None = None
    headline: str | None = None
    headline_label: str | None = None
    headline_source: str | None = None
    caption: str | None = None
    columns: tuple[ColumnView, ...] = ()
    compare: CompareView | None = None


@dataclass(frozen=True)
class FigureView:
    """A PNG figure of the sweep folder and its caption."""

    file: str
    caption: str


@dataclass(frozen=True)
class SettingsView:
    """Settings shown before the tables: the ``keys`` found in the JSON file ``file`` of the
    sweep folder under ``path`` (e.g. ``sweep.json``, ``("config", "model")``), in order."""

    file: str
    path: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class StudyView:
    """A study's part of the report; its ``settings``, if any, are shown first."""

    title: str
    intro: str
    tables: tuple[TableView, ...] = ()
    figures: tuple[FigureView, ...] = field(default_factory=tuple)
    settings: SettingsView | None = None

    def to_dict(self) -> dict:
        """JSON-safe: ``{"format", "title", "intro", "tables": [...], "figures": [...], ...}``."""
        return {FORMAT_KEY: FORMAT, **asdict(self)}


@dataclass(frozen=True)
class SectionView:
    """A section of a run's report: ``folder`` (its own ``view.json``, if any, shown first)
    and ``parts``, sub-folders each with a study's ``view.json``, in reading order; ``kind``
    ``studies``, or ``worked-examples`` for the theory exercises' files."""

    title: str
    folder: str
    anchor: str = ""
    intro: str = ""
    parts: tuple[str, ...] = ()
    kind: str = "studies"


@dataclass(frozen=True)
class RunView:
    """The report of a run of several studies: its title and its sections in order."""

    title: str
    subtitle: str
    sections: tuple[SectionView, ...]

    def to_dict(self) -> dict:
        """JSON-safe: ``{"format", "title", "subtitle", "sections": [{title, folder, ...}]}``."""
        return {FORMAT_KEY: FORMAT, **asdict(self)}


def write_view(out_dir: str | Path, view: StudyView | RunView) -> Path:
    """Write a study's view as ``out_dir/view.json`` (a run's as ``report.json``)."""
    name = RUN_VIEW_FILE if isinstance(view, RunView) else VIEW_FILE
    path = Path(out_dir) / name
    write_json(path, view.to_dict())
    return path
