"""The report's first screen: the original study's headline numbers beside ours.

One table, one row per headline: each section's best result (the original study's best beside
ours) and each finding that differs (answers of Section A that are wrong, cells of Section B
stuck at chance in one study and not the other). Every row links to the part of the report it
summarizes. The numbers are read from the run folder's files as the sections read them; a part
not run, or whose file is damaged, has no row (its section says why).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from scratchnet.report import section_a, section_b, section_c, study_section
from scratchnet.report.document import Cell, Paragraph, Section, Table, compare_cell
from scratchnet.runfiles import RunFolderError, read_csv, read_json

TITLE = "Summary: the original study beside ours"
ANCHOR = "summary"
COLUMNS = ["result", "the original study", "ours", "agrees"]
SEED = "seed"  # the original study's rows in the run folder's tables


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


def build(run_dir: Path) -> Section:
    """The summary section of the run folder ``run_dir``."""
    rows = [
        *_section_a(run_dir / "section_a"),
        *_section_b(run_dir / "section_b"),
        *_section_c(run_dir / "section_c"),
    ]
    section = Section(TITLE, anchor=ANCHOR)
    if not rows:
        section.blocks.append(Paragraph("No study has results in this run folder yet."))
        return section
    section.blocks.append(
        Table(COLUMNS, rows, caption="Green: ours beats the original study; red: falls short")
    )
    return section


def _row(label: str, anchor: str, original: str, ours: str | Cell, agrees: bool) -> list:
    return [Cell(label, link=anchor), original, ours, "yes" if agrees else "no"]


def _read(read, *args):
    """``read(*args)``, or None when the file is missing or damaged (its section says so)."""
    try:
        return read(*args)
    except (RunFolderError, OSError):
        return None


# --- Section A: the worked examples' wrong answers -----------------------------------------

A_PARTS = (
    ("backprop", "Q1(a) backprop", section_a.Q1A),
    ("svm", "Q1(b) SVM", section_a.Q1B),
    ("hyperplane", "Q3 margins", section_a.Q3),
)


def _section_a(folder: Path) -> list[list]:
    """Per exercise: its first wrong answer beside the exact one, and how many differ."""
    path = folder / "comparisons.json"
    document = _read(read_json, path) if path.exists() else None
    if document is None:
        return []
    rows = [_read(_a_row, document, *part) for part in A_PARTS]
    return [row for row in rows if row]


def _a_row(document, key: str, label: str, title: str) -> list | None:
    items = document[key].items()
    fields = [
        [item[f].text() for f in ("quantity", "given", "correct", "verdict")] for item in items
    ]
    wrong = [f for f in fields if f[3] == "wrong"]
    if not fields:
        return None
    if not wrong:
        return _row(label, slug(title), "all answers exact", "all answers exact", True)
    quantity, given, correct, _ = wrong[0]
    return _row(
        f"{label}: {len(wrong)} of {len(fields)} differ",
        slug(title),
        _short(f"{quantity} = {given}"),
        _short(f"{quantity} = {correct}"),
        False,
    )


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Section B: the best cell of each protocol, and cells stuck at chance ------------------


def _section_b(folder: Path) -> list[list]:
    rows = []
    for name, title in section_b.PROTOCOLS:
        path = folder / name / "results.csv"
        table = _read(read_csv, path) if path.exists() else None
        results = [
            r for r in (table[1] if table else []) if _float(r.get("test_accuracy_pct")) is not None
        ]
        if results:
            rows += _b_rows(results, section_b.SHORT_NAMES.get(name, name), slug(title))
    return rows


def _b_rows(results: list[dict], protocol: str, anchor: str) -> list[list]:
    """The best cell, the original's best beside ours; the cells at chance in each."""

    def accuracy(row: dict, column: str) -> float:
        return _float(row.get(column)) or 0.0

    ours = max(results, key=lambda r: accuracy(r, "test_accuracy_pct"))
    theirs = max(results, key=lambda r: accuracy(r, "seed_test_accuracy_pct"))
    ours_pct, theirs_pct = (
        accuracy(ours, "test_accuracy_pct"),
        accuracy(theirs, "seed_test_accuracy_pct"),
    )
    rows = [
        _row(
            f"MNIST best, {protocol}",
            anchor,
            f"{_cell_name(theirs)} {theirs_pct:.2f}%",
            Cell(
                f"{_cell_name(ours)} {ours_pct:.2f}%",
                compare_cell(ours_pct, theirs_pct, tolerance=0.05).status,
            ),
            _cell_name(ours) == _cell_name(theirs),
        )
    ]
    both = [r for r in results if _float(r.get("seed_test_accuracy_pct")) is not None]
    chance = section_b.CHANCE_PCT
    stuck_theirs = {_cell_name(r) for r in both if accuracy(r, "seed_test_accuracy_pct") < chance}
    stuck_ours = {_cell_name(r) for r in both if accuracy(r, "test_accuracy_pct") < chance}
    if stuck_theirs != stuck_ours:
        rows.append(
            _row(
                f"MNIST at chance, {protocol}",
                anchor,
                f"{len(stuck_theirs)} of {len(both)} cells",
                f"{len(stuck_ours)} of {len(both)} cells",
                False,
            )
        )
    return rows


def _cell_name(row: dict) -> str:
    return f"{row.get('activation', '?')} + {row.get('weight_init', '?')}"


# --- Section C: each study's best setting ----------------------------------------------------


def _section_c(folder: Path) -> list[list]:
    """A row per table whose study's view names a headline column (``view.json``)."""
    rows = []
    for title, study in section_c.studies(folder):
        for stem, metric in _headlines(study):
            path = study / f"{stem}.csv"
            table = _read(read_csv, path) if path.exists() else None
            if table and metric in table[0] and "source" in table[0]:
                row = _c_row(*table, metric, title, slug(title))
                rows += [row] if row else []
    return rows


def _headlines(study: Path) -> list[tuple[str, str]]:
    """(table stem, headline column) of every table the study's view gives a headline."""
    view = _read(read_json, study / study_section.VIEW_FILE)
    if view is None:
        return []
    try:
        found = [(t["stem"].text(), t.get("headline").value) for t in view.get("tables").items()]
    except RunFolderError:
        return []  # a damaged view: the study's section says what is wrong
    return [(stem, metric) for stem, metric in found if isinstance(metric, str)]


def _c_row(columns: list[str], rows: list[dict], metric: str, title: str, anchor: str):
    """The original's best setting by ``metric`` beside ours (over every engine we ran)."""
    group = columns[: columns.index("source")]
    labels = group + [c for c in columns if c.startswith("best ") and c != metric]

    def best(candidates: list[dict]) -> dict | None:
        scored = [r for r in candidates if _float(r.get(metric)) is not None]
        return max(scored, key=lambda r: _float(r[metric]), default=None)

    theirs = best([r for r in rows if r.get("source") == SEED])
    ours = best([r for r in rows if r.get("source") != SEED])
    if theirs is None or ours is None:
        return None

    def name(row: dict) -> str:
        shown = [row[c] if c in group else f"{c.removeprefix('best ')} {row[c]}" for c in labels]
        return ", ".join(shown) or "–"

    value_theirs, value_ours = _float(theirs[metric]), _float(ours[metric])
    return _row(
        f"{title}, best {metric.removeprefix('best ')}",
        anchor,
        f"{name(theirs)}: {_number(value_theirs)}",
        Cell(
            f"{name(ours)}: {_number(value_ours)} ({ours['source']})",
            compare_cell(value_ours, value_theirs).status,
        ),
        name(ours) == name(theirs),
    )


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def _float(text: str | None) -> float | None:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
