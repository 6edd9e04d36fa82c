"""One study's part of the report, from its sweep folder alone: the ``view.json`` the study
declared (title, intro, tables, figures and captions), its tables (``<stem>.csv`` with
``<stem>.json``: title and notes) and its PNG figures. No study's names are written here.

Rows of a table may carry a ``source`` (``original`` for the original study's figures, an
engine, ...); the columns before it name the row's group (an activation, a feature layer).
Every number of a group is highlighted against the original's row of that group, and a note
says where the best choice differs. A table whose view declares ``columns`` and ``compare``
puts our columns beside a column of the original's instead (:mod:`scratchnet.report.compare`).
A damaged file takes out the study that reads it, with a note naming the file and what is
wrong.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.numbers import parse, readable_text
from scratchnet.report import compare
from scratchnet.report.document import Cell, Figure, Note, Paragraph, Section, Table
from scratchnet.runfiles import JsonView, read_csv, read_json
from scratchnet.views import ORIGINAL

VIEW_FILE = "view.json"
ORIGINAL_SHOWN = "the original"  # how the report shows it
LOWER_IS_BETTER = ("mse", "loss", " s", "std", "rank")


def has_view(folder: Path) -> bool:
    """Whether ``folder`` is a sweep folder whose study declared its view."""
    return (folder / VIEW_FILE).is_file()


def view_title(folder: Path) -> str:
    """The title the study's view gives (its folder's name if the view has none)."""
    return read_json(folder / VIEW_FILE).get("title", folder.name).text()


def build(folder: Path, title: str | None = None) -> Section:
    """The study's section from ``folder/view.json`` and the files it names (``title``, if
    given, in place of the view's)."""
    view = read_json(folder / VIEW_FILE)
    section = Section(title or view["title"].text(), [Paragraph(view.get("intro", "").text())])
    section.blocks += blocks(folder, view)
    return section


def blocks(folder: Path, view: JsonView) -> list:
    """What a view shows: its settings, its tables with their notes, its figures; or a note
    that none of its tables is there yet."""
    tables = list(view.get("tables", []).items())
    if not any((folder / f"{t['stem'].text()}.csv").exists() for t in tables):
        return [Note(f"Not run: no tables in {folder}.", "missing")]
    settings = _settings(folder, view.get("settings", None))
    found: list = [Table(["setting", "value"], settings, caption="Settings")] if settings else []
    for table in tables:
        if (folder / f"{table['stem'].text()}.csv").exists():
            found += _table_blocks(folder, table)
    figures = [(f["file"].text(), f["caption"].text()) for f in view.get("figures", []).items()]
    return found + [
        Figure(folder / name, caption) for name, caption in figures if (folder / name).is_file()
    ]


def _settings(folder: Path, declared: JsonView) -> list[list[str]]:
    """The settings the view names, read from the file it names (none if it is absent)."""
    if declared.value is None or not (folder / declared["file"].text()).exists():
        return []
    found = read_json(folder / declared["file"].text())
    for key in declared["path"].items():
        found = found.get(key.text(), {})
    present = dict(found.entries())
    keys = [key.text() for key in declared["keys"].items()]
    return [[key, present[key].scalar()] for key in keys if key in present]


def optional_text(view: JsonView, key: str) -> str | None:
    """``view[key]`` as text, or None where it is absent or null."""
    value = view.get(key, None)
    return None if value.value is None else value.text()


def _table_blocks(folder: Path, table: JsonView) -> list:
    """The table's first note, the table, and what its view asks to be said of it."""
    stem = table["stem"].text()
    shown = [
        (c["name"].text(), c["label"].text(), _digits(c)) for c in table.get("columns", []).items()
    ]
    columns, rows = read_csv(folder / f"{stem}.csv", required=tuple(c[0] for c in shown))
    title, notes = _meta(folder / f"{stem}.json", stem)
    caption = optional_text(table, "caption") or title
    comparison = compare.read(table)
    found: list = [Paragraph(note) for note in notes[:1]]
    if shown:
        found.append(compare.table(rows, shown, comparison, caption))
        return found + (compare.notes(rows, comparison) if comparison and comparison.notes else [])
    found.append(_table(columns, rows, caption))
    metric = optional_text(table, "best_by")
    return found + (_best_notes(columns, rows, metric) if metric and metric in columns else [])


def _digits(column: JsonView) -> int | None:
    digits = column.get("digits", None)
    return None if digits.value is None else digits.integer()


def _table(columns: list[str], rows: list[dict], title: str) -> Table:
    group = columns[: columns.index("source")] if "source" in columns else []
    originals = {tuple(r[c] for c in group): r for r in rows if r.get("source") == ORIGINAL}
    out = []
    for row in rows:
        key = tuple(row[c] for c in group)
        original = originals.get(key) if row.get("source") != ORIGINAL else None
        out.append([_cell(c, row[c], original.get(c) if original else None) for c in columns])
    return Table(columns, out, caption=title)


def _cell(column: str, raw: str, original_text: str | None) -> str | Cell:
    if column == "source" and raw == ORIGINAL:
        return ORIGINAL_SHOWN
    text = readable_text(raw)
    if column == "within":
        return Cell(text, "good" if text == "yes" else "bad")
    if column.startswith("speedup") or column.endswith("speedup"):
        value = parse(raw)
        return Cell(text, None if value is None else "good" if value >= 2 else "bad")
    ours, original = parse(raw), parse(original_text)
    if ours is None or original is None:
        return text
    lower = any(marker in column.lower() for marker in LOWER_IS_BETTER)
    difference = (original - ours) if lower else (ours - original)
    return Cell(text, "same" if abs(difference) < 1e-9 else "good" if difference > 0 else "bad")


def _best_notes(columns: list[str], rows: list[dict], metric: str) -> list[Note]:
    """Which group is best by ``metric``, for the original and each source that ran them all."""
    group = columns[: columns.index("source")] if "source" in columns else []
    if not group:
        return []
    groups_of: dict[str, set[str]] = {}
    for row in rows:
        groups_of.setdefault(row["source"], set()).add(", ".join(row[c] for c in group))
    complete = {s for s, g in groups_of.items() if g >= groups_of.get(ORIGINAL, set())}
    best: dict[str, tuple[str, float]] = {}
    for row in (r for r in rows if r["source"] in complete):
        value = parse(row.get(metric))
        name = ", ".join(row[c] for c in group)
        if value is not None and (row["source"] not in best or value > best[row["source"]][1]):
            best[row["source"]] = (name, value)
    if ORIGINAL not in best or len(best) < 2:
        return []
    original_name, original_value = best[ORIGINAL]
    others = {s: b for s, b in best.items() if s != ORIGINAL}
    differing = {s: b for s, b in others.items() if b[0] != original_name}
    described = "; ".join(
        f"{source}: {name} ({value:g})" for source, (name, value) in others.items()
    )
    if differing:
        return [
            Note(
                f"By {metric}, the original study found **{original_name}** best "
                f"({original_value:g}); here the best is, per engine, {described}.",
                "differs",
            )
        ]
    return [
        Note(
            f"By {metric}, **{original_name}** is best here too, as the original study found "
            f"({described})."
        )
    ]


def _meta(path: Path, stem: str) -> tuple[str, list[str]]:
    """A table's title and notes from its ``<stem>.json`` (the stem and none if absent)."""
    if not path.exists():
        return stem, []
    view = read_json(path)
    return view.get("title", stem).text(), [note.text() for note in view.get("notes", []).items()]
