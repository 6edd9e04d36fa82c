"""The run-folder format version, and the one migration between versions.

Format 1 (no ``format`` key in ``sweep.json``) called the reproduced study "seed": the column
``seed_test_accuracy_pct``, the label ``seed`` (a table's ``source``, a Fashion study's
``recipe``, an MNIST sweep's ``protocol``), cell keys such as ``sklearn-seed-relu`` and the
folders ``section_b/seed`` and ``section_b/seed_summed``. Format 2 says "original" for all of
them. :func:`upgrade` renames a folder of format 1 in place, once, so that it resumes (the
cells keep their keys and the config its values) and reports as a new one; a file too damaged
to read is left as it is, for its reader to name.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from scratchnet.fileio import write_json, write_text
from scratchnet.runfiles import RunFolderError, read_json, read_text

FORMAT = 2
FORMAT_KEY = "format"
SWEEP_FILE = "sweep.json"  # the sweep engine's record of a folder (scratchnet.sweep.engine)
FOLDERS = {
    "section_b/seed": "section_b/original",
    "section_b/seed_summed": "section_b/original_summed",
}
COLUMNS = {"seed_test_accuracy_pct": "original_test_accuracy_pct"}
LABELS = {"seed": "original", "seed-summed": "original-summed"}
LABEL_KEYS = ("source", "recipe", "protocol")
PHRASES = {
    "seed recipe": "original recipe",
    "the seed's": "the original study's",
    "The seed's": "The original study's",
    "(seed split)": "(original split)",
}


def rename_label(value: Any) -> Any:
    """``"seed"`` -> ``"original"`` (other values unchanged)."""
    return LABELS.get(value, value) if isinstance(value, str) else value


def rename_key(key: str) -> str:
    """A cell key's ``seed`` part: ``"sklearn-seed-relu"`` -> ``"sklearn-original-relu"``."""
    return "-".join(LABELS.get(part, part) for part in key.split("-"))


def rename_text(text: str) -> str:
    """Titles, notes and study names in words: ``"seed recipe"`` -> ``"original recipe"``."""
    for old, new in PHRASES.items():
        text = text.replace(old, new)
    return text


def rename_row(row: dict) -> dict:
    """A table row (or cell params) with format 2's column names and labels."""
    return {COLUMNS.get(k, k): rename_label(v) if k in LABEL_KEYS else v for k, v in row.items()}


def folder_format(folder: Path) -> int:
    """The format of a sweep folder's files (1 where ``sweep.json`` names none)."""
    path = folder / SWEEP_FILE
    if not path.is_file():
        return 1
    try:
        value = read_json(path).value.get(FORMAT_KEY, 1)
    except RunFolderError:
        return FORMAT  # damaged: left for its reader to name
    return value if isinstance(value, int) else 1


def upgrade(run_dir: str | Path) -> list[Path]:
    """Bring a run folder (a reproduction's or one sweep's) of format 1 to format 2 in place;
    return the folders changed. Folders of format 2 are not touched."""
    run_dir = Path(run_dir)
    for old, new in FOLDERS.items():
        if (run_dir / old).is_dir() and not (run_dir / new).exists():
            (run_dir / old).rename(run_dir / new)
    candidates = [run_dir, *run_dir.glob("*/"), *run_dir.glob("*/*/")]
    changed = [f for f in candidates if f.is_dir() and _outside_cells(f, run_dir) and _is_old(f)]
    for folder in changed:
        _upgrade_folder(folder)
    _upgrade_timings(run_dir / "timings.json")
    return changed


def _outside_cells(folder: Path, run_dir: Path) -> bool:
    return "cells" not in folder.relative_to(run_dir).parts


def _is_old(folder: Path) -> bool:
    has_tables = any(folder.glob("*.csv")) or (folder / SWEEP_FILE).is_file()
    return has_tables and folder_format(folder) < FORMAT


def _upgrade_folder(folder: Path) -> None:
    """Tables, cells and ``sweep.json`` (its format stamped last) of one folder."""
    for path in folder.glob("*.csv"):
        _guarded(_upgrade_csv, path)
    for path in folder.glob("*.json"):
        if path.name != SWEEP_FILE:
            _guarded(_upgrade_table_json, path)
    for cell in sorted(p for p in (folder / "cells").glob("*") if p.is_dir()):
        _guarded(_upgrade_cell, cell)
    _guarded(_upgrade_sweep_file, folder / SWEEP_FILE)


def _guarded(step, path: Path) -> None:
    try:
        step(path)
    except (RunFolderError, csv.Error, OSError, AttributeError, TypeError):
        pass  # a damaged file: its reader names it


def _upgrade_csv(path: Path) -> None:
    rows = list(csv.reader(io.StringIO(read_text(path), newline=""), strict=True))
    if not rows:
        return
    header = [COLUMNS.get(name, name) for name in rows[0]]
    labels = [i for i, name in enumerate(header) if name in LABEL_KEYS]
    body = [[rename_label(v) if i in labels else v for i, v in enumerate(r)] for r in rows[1:]]
    if [header, *body] != rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([header, *body])
        write_text(path, buffer.getvalue())


def _upgrade_table_json(path: Path) -> None:
    """A table's ``<stem>.json``: its title, notes and rows."""
    old = read_json(path).value
    if not isinstance(old.get("rows"), list):
        return
    table = dict(old)
    table["title"] = rename_text(str(old.get("title", "")))
    table["notes"] = [rename_text(str(note)) for note in old.get("notes", [])]
    table["rows"] = [rename_row(row) for row in old["rows"]]
    if table != old:
        write_json(path, table)


def _upgrade_cell(cell: Path) -> None:
    """A cell's record (``metrics.json`` or ``failure.json``) and its folder's name."""
    for name in ("metrics.json", "failure.json"):
        if (cell / name).is_file():
            old = read_json(cell / name).value
            record = {**old, "key": rename_key(str(old.get("key", cell.name)))}
            record["params"] = rename_row(old.get("params") or {})
            if record != old:
                write_json(cell / name, record)
    new = cell.with_name(rename_key(cell.name))
    if new != cell and not new.exists():
        cell.rename(new)


def _upgrade_sweep_file(path: Path) -> None:
    if not path.is_file():
        return
    sweep = read_json(path).value
    config = rename_row(sweep.get("config") or {})
    if isinstance(config.get("description"), str):
        config["description"] = rename_text(config["description"])
    sweep["config"] = config
    sweep[FORMAT_KEY] = FORMAT
    write_json(path, sweep)


def _upgrade_timings(path: Path) -> None:
    """The studies' titles in ``timings.json`` (a resumed run matches them to its plan)."""
    if not path.is_file():
        return
    try:
        timings = json.loads(read_text(path))
        titles = [entry["study"] for entry in timings.get("studies", [])]
        for entry in timings.get("studies", []):
            entry["study"] = rename_text(entry["study"])
    except (RunFolderError, ValueError, TypeError, KeyError, AttributeError):
        return
    if titles != [entry["study"] for entry in timings["studies"]]:
        write_json(path, timings)
