"""One study's part of the report, from its sweep folder alone: the ``view.json`` the study
declared (title, intro, tables, figures and captions), its tables (``<stem>.csv`` with
``<stem>.json``: title and notes) and its PNG figures. No study's names are written here.

Rows of a table may carry a ``source`` (``seed`` for the original study's figures, an engine,
...); the columns before it name the row's group (an activation, a feature layer). Every number
of a group is highlighted against the original's row of that group, and a note says where the
best choice differs. A damaged file takes out the study that reads it, with a note naming the
file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.report.document import Cell, Figure, Note, Paragraph, Section, Table
from scratchnet.runfiles import JsonView, read_csv, read_json

VIEW_FILE = "view.json"
ORIGINAL = "seed"  # the source label of the original study's rows in the tables' files
ORIGINAL_SHOWN = "the original"  # how the report shows it
LOWER_IS_BETTER = ("mse", "loss", " s", "std", "rank")


def has_view(folder: Path) -> bool:
    """Whether ``folder`` is a sweep folder whose study declared its view."""
    return (folder / VIEW_FILE).is_file()


def view_title(folder: Path) -> str:
    """The title the study's view gives (its folder's name if the view has none)."""
    return read_json(folder / VIEW_FILE).get("title", folder.name).text()


def build(folder: Path) -> Section:
    """The study's section from ``folder/view.json`` and the files it names."""
    view = read_json(folder / VIEW_FILE)
    section = Section(view["title"].text(), [Paragraph(view.get("intro", "").text())])
    tables = [(t["stem"].text(), _best_by(t)) for t in view.get("tables", []).items()]
    if not any((folder / f"{stem}.csv").exists() for stem, _ in tables):
        section.blocks.append(Note(f"Not run: no tables in {folder}.", "missing"))
        return section
    for stem, metric in tables:
        if (folder / f"{stem}.csv").exists():
            section.blocks += _table_blocks(folder, stem, metric)
    figures = [(f["file"].text(), f["caption"].text()) for f in view.get("figures", []).items()]
    section.blocks += [
        Figure(folder / name, caption) for name, caption in figures if (folder / name).is_file()
    ]
    return section


def _best_by(table: JsonView) -> str | None:
    value = table.get("best_by", None)
    return None if value.value is None else value.text()


def _table_blocks(folder: Path, stem: str, metric: str | None) -> list:
    """The table's first note, the table, and which group is best by ``metric``."""
    columns, rows = read_csv(folder / f"{stem}.csv")
    title, notes = _meta(folder / f"{stem}.json", stem)
    blocks: list = [Paragraph(note) for note in notes[:1]]
    blocks.append(_table(columns, rows, title))
    if metric and metric in columns:
        blocks += _best_notes(columns, rows, metric)
    return blocks


def _table(columns: list[str], rows: list[dict], title: str) -> Table:
    group = columns[: columns.index("source")] if "source" in columns else []
    seeds = {tuple(r[c] for c in group): r for r in rows if r.get("source") == ORIGINAL}
    out = []
    for row in rows:
        seed = seeds.get(tuple(row[c] for c in group)) if row.get("source") != ORIGINAL else None
        out.append(
            [_cell(column, row[column], seed.get(column) if seed else None) for column in columns]
        )
    return Table(columns, out, caption=title)


def _cell(column: str, raw: str, seed_text: str | None) -> str | Cell:
    if column == "source" and raw == ORIGINAL:
        return ORIGINAL_SHOWN
    text = _display(raw)
    if column == "within":
        return Cell(text, "good" if text == "yes" else "bad")
    if column.startswith("speedup") or column.endswith("speedup"):
        value = _float(raw)
        return Cell(text, None if value is None else "good" if value >= 2 else "bad")
    ours, seed = _float(raw), _float(seed_text)
    if ours is None or seed is None:
        return text
    lower = any(marker in column.lower() for marker in LOWER_IS_BETTER)
    difference = (seed - ours) if lower else (ours - seed)
    return Cell(text, "same" if abs(difference) < 1e-9 else "good" if difference > 0 else "bad")


def _best_notes(columns: list[str], rows: list[dict], metric: str) -> list[Note]:
    """Which group is best by ``metric``, for the seed and for each source that ran them all."""
    group = columns[: columns.index("source")] if "source" in columns else []
    if not group:
        return []
    groups_of: dict[str, set[str]] = {}
    for row in rows:
        groups_of.setdefault(row["source"], set()).add(", ".join(row[c] for c in group))
    complete = {s for s, g in groups_of.items() if g >= groups_of.get(ORIGINAL, set())}
    best: dict[str, tuple[str, float]] = {}
    for row in (r for r in rows if r["source"] in complete):
        value = _float(row.get(metric))
        name = ", ".join(row[c] for c in group)
        if value is not None and (row["source"] not in best or value > best[row["source"]][1]):
            best[row["source"]] = (name, value)
    if ORIGINAL not in best or len(best) < 2:
        return []
    seed_name, seed_value = best[ORIGINAL]
    others = {s: b for s, b in best.items() if s != ORIGINAL}
    differing = {s: b for s, b in others.items() if b[0] != seed_name}
    described = "; ".join(
        f"{source}: {name} ({value:g})" for source, (name, value) in others.items()
    )
    if differing:
        return [
            Note(
                f"By {metric}, the original study found **{seed_name}** best "
                f"({seed_value:g}); here the best is, per engine, {described}.",
                "differs",
            )
        ]
    return [
        Note(
            f"By {metric}, **{seed_name}** is best here too, as the original study found "
            f"({described})."
        )
    ]


def _display(text: str) -> str:
    """A CSV number at a readable precision (integers and words unchanged)."""
    value = _float(text)
    if value is None or text.lstrip("-").isdigit():
        return text
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.4g}"


def _meta(path: Path, stem: str) -> tuple[str, list[str]]:
    """A table's title and notes from its ``<stem>.json`` (the stem and none if absent)."""
    if not path.exists():
        return stem, []
    view = read_json(path)
    return view.get("title", stem).text(), [note.text() for note in view.get("notes", []).items()]


def _float(text: str | None) -> float | None:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
