"""Tables whose columns of ours sit beside one column of the original study's figures, as a
study's view declares them (``columns`` and ``compare`` of a table in ``view.json``).

A compared figure is green where it beats the original's, red where it falls short (within
the declared tolerance: the same); two figures both below the declared chance level are the
same (neither learned anything). Notes say where a row's fate differs: learned here, stuck at
chance there; and which row is best.
"""

from __future__ import annotations

from scratchnet.numbers import MISSING, fixed, parse
from scratchnet.report.document import Cell, Note, Table, compare_cell
from scratchnet.runfiles import JsonView
from scratchnet.views import CompareView


def read(view: JsonView) -> CompareView | None:
    """A table view's ``compare`` declaration (None when it declares none)."""
    found = view.get("compare", None)
    if found.value is None:
        return None
    chance, status = found.get("chance", None), found.get("status", None)
    return CompareView(
        tuple(c.text() for c in found["columns"].items()),
        found["against"].text(),
        tuple(k.text() for k in found["keys"].items()),
        found["name"].text(),
        found.get("tolerance", 0.0).number(),
        None if chance.value is None else chance.number(),
        None if status.value is None else status.text(),
        found.get("unit", "").text(),
        found.get("notes", False).expect(bool),
    )


def label(compare: CompareView, row: dict, joiner: str | None = None) -> str:
    """A row's name: ``compare.name`` filled from its keys, or the keys joined by ``joiner``."""
    values = {key: row.get(key, "?") for key in compare.keys}
    return joiner.join(values.values()) if joiner else compare.name.format(**values)


def cell(compare: CompareView, row: dict, column: str) -> str | Cell:
    """Our figure in ``column``, highlighted against the original's of the same row."""
    if compare.status and row.get(compare.status) != "complete":
        return row.get(compare.status, "")
    ours, theirs = parse(row.get(column)), parse(row.get(compare.against))
    if ours is None:
        return Cell(MISSING)
    if theirs is not None and compare.chance is not None and max(ours, theirs) < compare.chance:
        return Cell(f"{ours:.2f}", "same")
    return compare_cell(ours, theirs, tolerance=compare.tolerance)


def table(rows: list[dict], columns: list[tuple[str, str, int | None]], compare, caption: str):
    """The declared ``columns`` (name, label, decimals) of ``rows``, compared as declared."""

    def shown(row: dict, name: str, digits: int | None) -> str | Cell:
        if compare and name in compare.columns:
            return cell(compare, row, name)
        return row.get(name, "") if digits is None else fixed(parse(row.get(name)), digits)

    body = [[shown(row, name, digits) for name, _, digits in columns] for row in rows]
    return Table([label for _, label, _ in columns], body, caption=caption)


def notes(rows: list[dict], compare: CompareView) -> list[Note]:
    """Rows stuck at chance in one study and not the other, then the best row here."""
    found = []
    for row in rows:
        theirs, ours = parse(row.get(compare.against)), parse(row.get(compare.columns[0]))
        if theirs is not None and ours is not None and compare.chance is not None:
            found += _fate(compare, label(compare, row), theirs, ours)
    best = _best_note(rows, compare)
    return found + ([best] if best else [])


def _fate(compare: CompareView, name: str, theirs: float, ours: float) -> list[Note]:
    unit, chance = compare.unit, compare.chance
    if theirs < chance <= ours:
        text = (
            f"The original study found {name} stuck at chance ({theirs:.2f}{unit}); here it "
            f"learns, reaching {ours:.2f}{unit}."
        )
    elif ours < chance <= theirs:
        text = (
            f"The original study's {name} reached {theirs:.2f}{unit}; here it stays at chance "
            f"({ours:.2f}{unit})."
        )
    else:
        return []
    return [Note(text, "differs")]


def _best_note(rows: list[dict], compare: CompareView) -> Note | None:
    column = compare.columns[0]
    complete = [r for r in rows if parse(r.get(column)) is not None]
    if not complete:
        return None
    ours = max(complete, key=lambda r: parse(r[column]))
    theirs = max(complete, key=lambda r: parse(r.get(compare.against)) or 0.0)
    same = label(compare, ours) == label(compare, theirs)
    text = f"Best cell here: {label(compare, ours)}, {parse(ours[column]):.2f}{compare.unit} " + (
        "(the original's best too)."
        if same
        else f"(the original's best was {label(compare, theirs)}, "
        f"{theirs.get(compare.against)}{compare.unit})."
    )
    return Note(text, "info" if same else "differs")


def headline_rows(rows: list[dict], compare: CompareView, template: str, row) -> list[list]:
    """The first screen's rows: the best row, the original's best beside ours; then, where
    they differ, how many rows are at chance in each: ``row(label, original, ours, agrees)``,
    each label ``template`` with ``{finding}`` filled in."""
    column = compare.columns[0]
    results = [r for r in rows if parse(r.get(column)) is not None]
    if not results:
        return []

    def value(r: dict, name: str) -> float:
        return parse(r.get(name)) or 0.0

    ours = max(results, key=lambda r: value(r, column))
    theirs = max(results, key=lambda r: value(r, compare.against))
    ours_name, theirs_name = label(compare, ours, " + "), label(compare, theirs, " + ")
    ours_value, theirs_value = value(ours, column), value(theirs, compare.against)
    status = compare_cell(ours_value, theirs_value, tolerance=compare.tolerance).status
    found = [
        row(
            template.format(finding="best"),
            f"{theirs_name} {theirs_value:.2f}{compare.unit}",
            Cell(f"{ours_name} {ours_value:.2f}{compare.unit}", status),
            ours_name == theirs_name,
        )
    ]
    return found + _chance_rows(results, compare, template, row)


def _chance_rows(results: list[dict], compare: CompareView, template: str, row) -> list[list]:
    if compare.chance is None:
        return []
    both = [r for r in results if parse(r.get(compare.against)) is not None]

    def stuck(name: str) -> set[str]:
        return {label(compare, r, " + ") for r in both if parse(r.get(name)) < compare.chance}

    theirs, ours = stuck(compare.against), stuck(compare.columns[0])
    if theirs == ours:
        return []
    counts = [f"{len(found)} of {len(both)} cells" for found in (theirs, ours)]
    return [row(template.format(finding="at chance"), *counts, False)]
