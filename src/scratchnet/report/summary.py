"""The report's first screen: the original study's headline numbers beside ours.

One table, one row per headline, in the plan's order: for the worked examples, each exercise's
wrong answers; for a study, each table whose view names a ``headline`` column (its best row,
the original's beside ours, and, for a table compared against a column of the original's, the
rows stuck at chance in one and not the other). Every row links to the part of the report it
summarizes. The numbers are read from the run folder's files as the sections read them; a part
not run, or whose file is damaged, has no row (its section says why).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from scratchnet.numbers import parse, readable
from scratchnet.report import compare, plan, section_a, sections, study_section
from scratchnet.report.document import Cell, Paragraph, Section, Table, compare_cell
from scratchnet.runfiles import JsonView, RunFolderError, read_csv, read_json
from scratchnet.views import RunView, SectionView

TITLE = "Summary: the original study beside ours"
ANCHOR = "summary"
COLUMNS = ["result", "the original study", "ours", "agrees"]
ORIGINAL = study_section.ORIGINAL


def slug(title: str) -> str:
    """An HTML id from a section title: ``"C.2 Activations"`` -> ``"c-2-activations"``."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "part"


def anchor_all(sections: Iterable[Section]) -> None:
    """Give every section and subsection without an anchor one made from its title, so that
    the summary (and a reader) can link to it; an anchor taken already gets a number."""
    taken: set[str] = set()

    def visit(section: Section) -> None:
        if not section.anchor:
            anchor, number = slug(section.title), 2
            while anchor in taken:
                anchor, number = f"{slug(section.title)}-{number}", number + 1
            section.anchor = anchor
        taken.add(section.anchor)
        for sub in section.subsections:
            visit(sub)

    sections = list(sections)
    taken.update(s.anchor for s in sections if s.anchor)
    for section in sections:
        visit(section)


def build(run_dir: Path, planned: RunView | None = None) -> Section:
    """The summary section of the run folder ``run_dir`` (its plan read if not given)."""
    try:
        planned = planned or plan.read(run_dir)
    except RunFolderError:
        planned = RunView("", "", ())  # the report says what is wrong with the plan
    rows = [row for part in planned.sections for row in _section_rows(run_dir, part)]
    section = Section(TITLE, anchor=ANCHOR)
    if not rows:
        section.blocks.append(Paragraph("No study has results in this run folder yet."))
        return section
    section.blocks.append(
        Table(COLUMNS, rows, caption="Green: ours beats the original study; red: falls short")
    )
    return section


def _row(label: str, title: str, original: str, ours: str | Cell, agrees: bool | None) -> list:
    """A summary row; ``agrees`` None where the question does not arise (shown as "–")."""
    shown = "–" if agrees is None else "yes" if agrees else "no"
    return [Cell(label, link=slug(title)), original, ours, shown]


def _section_rows(run_dir: Path, planned: SectionView) -> list[list]:
    if planned.kind == plan.WORKED_EXAMPLES:
        return section_a.headlines(run_dir / planned.folder, _row)
    return [
        row for title, folder in sections.parts(run_dir, planned) for row in _rows(folder, title)
    ]


def _rows(folder: Path, title: str) -> list[list]:
    """A study's headline rows: one or two per table whose view names a headline column."""
    try:
        view = read_json(folder / study_section.VIEW_FILE)
        tables = [t for t in view.get("tables", []).items() if _text(t, "headline")]
    except RunFolderError:
        return []  # a damaged view: the study's section says what is wrong
    found = []
    for table in tables:
        path = folder / f"{table['stem'].text()}.csv"
        try:
            found += _table_rows(table, *read_csv(path), title) if path.exists() else []
        except RunFolderError:
            continue
    return found


def _table_rows(table: JsonView, columns: list[str], rows: list[dict], title: str) -> list:
    metric, label = _text(table, "headline"), _text(table, "headline_label")
    comparison = compare.read(table)
    if comparison is not None:
        label = label or f"{title}, {{finding}}"
        return compare.headline_rows(rows, comparison, label, lambda *r: _row(r[0], title, *r[1:]))
    if metric in columns and "source" in columns:
        row = _source_row(columns, rows, metric, title, _text(table, "headline_source"))
        return [row] if row else []
    return []


def _text(view: JsonView, key: str) -> str | None:
    return study_section.optional_text(view, key)


def _source_row(columns: list[str], rows: list[dict], metric: str, title: str, source=None):
    """The original's best setting by ``metric`` beside ours (over every engine we ran, or
    the rows of ``source``). Whether the two best settings agree is asked only over every
    engine: rows of one ``source`` (a record) are not settings the original tried."""
    group = columns[: columns.index("source")]
    labels = group + [c for c in columns if c.startswith("best ") and c != metric]

    def best(candidates: list[dict]) -> dict | None:
        scored = [r for r in candidates if parse(r.get(metric)) is not None]
        return max(scored, key=lambda r: parse(r[metric]), default=None)

    theirs = best([r for r in rows if r.get("source") == ORIGINAL])
    ours = best([r for r in rows if r.get("source") != ORIGINAL and source in (None, r["source"])])
    if theirs is None or ours is None:
        return None

    def name(row: dict) -> str:
        shown = [row[c] if c in group else f"{c.removeprefix('best ')} {row[c]}" for c in labels]
        return ", ".join(shown) or "–"

    value_theirs, value_ours = parse(theirs[metric]), parse(ours[metric])
    return _row(
        f"{title}, best {metric.removeprefix('best ')}",
        title,
        f"{name(theirs)}: {readable(value_theirs, '.3f')}",
        Cell(
            f"{name(ours)}: {readable(value_ours, '.3f')} ({ours['source']})",
            compare_cell(value_ours, value_theirs).status,
        ),
        name(ours) == name(theirs) if source is None else None,
    )
