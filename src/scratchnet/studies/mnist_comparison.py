"""Section B's protocols side by side: per cell of the first protocol's grid, the original
study's test accuracy, then each protocol's (``comparison.csv``/``.json``/``.md`` and the
``view.json`` that shows it, in the section's folder). Rebuilt from the protocols'
``results.csv`` whenever the run's views are completed; a protocol not run, or whose table is
damaged, is left out (its own part of the report says why)."""

from __future__ import annotations

from pathlib import Path

from scratchnet.runfiles import RunFolderError, read_csv
from scratchnet.sweep.tables import write_table
from scratchnet.views import ColumnView, CompareView, StudyView, TableView, write_view

STEM = "comparison"
ORIGINAL = "the original %"
CAPTION = "Test accuracy on the original study's 6,000-image test split"


def write_comparison(out_dir: Path, parts: list[Path], short_name, compare: dict) -> None:
    """Write the comparison of the protocols in ``parts`` (their folders, in order);
    ``short_name(protocol)`` names a protocol's column, ``compare`` holds the tolerance,
    chance level and unit of :class:`~scratchnet.views.CompareView`."""
    found = [_rows(part) for part in parts]
    if not found or not found[0]:
        return  # the first protocol, whose grid the comparison follows, has not run
    results = [(short_name(rows[0]["protocol"]), rows) for rows in found if rows]
    ours = [f"ours, {short} %" for short, _ in results]
    by_cell = [{(r["activation"], r["weight_init"]): r for r in rows} for _, rows in results]
    table = [
        {
            "activation": row["activation"],
            "init": row["weight_init"],
            ORIGINAL: row["original_test_accuracy_pct"],
            **{
                name: cells.get(_cell(row), {}).get("test_accuracy_pct")
                for name, cells in zip(ours, by_cell)
            },
        }
        for row in results[0][1]
    ]
    columns = ["activation", "init", ORIGINAL, *ours]
    write_table(out_dir, STEM, columns, table, title=CAPTION)
    names = {"against": ORIGINAL, "name": "{activation} with {init} initialization"}
    compare = CompareView(tuple(ours), keys=("activation", "init"), **{**compare, **names})
    shown = [ColumnView(c, c, None if c in ("activation", "init") else 2) for c in columns]
    view = TableView(STEM, columns=tuple(shown), compare=compare)
    write_view(out_dir, StudyView("Section B: the protocols side by side", "", (view,)))


def _cell(row: dict) -> tuple[str, str]:
    return row["activation"], row["weight_init"]


def _rows(folder: Path) -> list[dict]:
    """A protocol's complete rows, or none if it has not run or its table is damaged."""
    path = folder / "results.csv"
    try:
        return (
            read_csv(path, required=("protocol", "activation", "weight_init"))[1]
            if path.exists()
            else []
        )
    except RunFolderError:
        return []
