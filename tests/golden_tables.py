"""The tables of a reproduction's run folder without their timing columns, to compare runs.

A golden file (``tests/golden/reproduce_quick.json``) holds :func:`snapshot` of a
``reproduce --quick`` run made before the experiments redesign; the test compares a fresh run
against it, so every table, column, caption and number a reader sees stays the same.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "reproduce_quick.json"
#: The OpenBLAS kernels the golden run used. Float32 products round differently on other
#: kernels, and the chaotic cells (the summed-gradient protocol's large steps) then end a few
#: images apart: seen on Haswell kernels (AMD EPYC), 2 of 13 tables, 2 rows, 0.45% at most.
GOLDEN_BLAS = "SkylakeX"
#: Tolerances: exact up to float printing on the golden's kernels, else float32 drift.
SAME_KERNELS, OTHER_KERNELS = 1e-6, 0.02


def blas_kernels() -> str | None:
    """The architecture OpenBLAS picked on this machine (e.g. ``Haswell``), if it says."""
    import numpy  # noqa: F401  (loads OpenBLAS for threadpoolctl to see)
    from threadpoolctl import threadpool_info

    found = [info.get("architecture") for info in threadpool_info()]
    return next((name for name in found if name), None)


def tolerance() -> float:
    """The relative tolerance for comparing numbers with the golden run on this machine."""
    return SAME_KERNELS if blas_kernels() == GOLDEN_BLAS else OTHER_KERNELS


def is_timing(column: str) -> bool:
    """Seconds and speed-ups: they change from run to run."""
    return column.endswith((" s", "_s")) or "speedup" in column


def snapshot(run_dir: Path) -> dict[str, dict]:
    """Per table (path under ``run_dir``): columns, rows without timings, title and notes."""
    tables = {}
    for path in sorted(run_dir.glob("section_*/*/*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        kept = [i for i, column in enumerate(rows[0]) if not is_timing(column)]
        entry = {"columns": rows[0], "rows": [[row[i] for i in kept] for row in rows[1:]]}
        meta = path.with_suffix(".json")
        if meta.is_file():
            header = json.loads(meta.read_text(encoding="utf-8"))
            entry.update(title=header["title"], notes=header["notes"])
        tables[path.relative_to(run_dir).as_posix()] = entry
    return tables


def differences(expected: dict, actual: dict, rel: float = 1e-6) -> list[str]:
    """Where two snapshots differ (numbers compared to ``rel``), as readable lines."""
    found = [f"{name}: missing" for name in expected if name not in actual]
    found += [f"{name}: new table" for name in actual if name not in expected]
    for name in sorted(set(expected) & set(actual)):
        old, new = expected[name], actual[name]
        for key in ("columns", "title", "notes"):
            if old.get(key) != new.get(key):
                found.append(f"{name} {key}: {old.get(key)!r} -> {new.get(key)!r}")
        if len(old["rows"]) != len(new["rows"]):
            found.append(f"{name}: {len(old['rows'])} rows -> {len(new['rows'])}")
        for i, (a, b) in enumerate(zip(old["rows"], new["rows"])):
            if not all(_same(x, y, rel) for x, y in zip(a, b)) or len(a) != len(b):
                found.append(f"{name} row {i}: {a} -> {b}")
    return found


def _same(a: str, b: str, rel: float) -> bool:
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=rel, abs_tol=1e-12)


if __name__ == "__main__":  # python tests/golden_tables.py RUN_DIR: write the golden file
    import sys

    GOLDEN.write_text(json.dumps(snapshot(Path(sys.argv[1])), indent=1) + "\n")
