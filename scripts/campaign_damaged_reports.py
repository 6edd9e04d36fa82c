"""`scratchnet report DIR` on damaged run folders: a seeded campaign (run by hand; not a test).

Makes one real run folder (``scratchnet reproduce --quick --engine scratchnet``, about 30 s;
or give one with ``--run``), then for each case copies it, damages one of the JSON or CSV files
the report reads in one of a few ways (empty, truncated, bad UTF-8, a NaN, a value of the
wrong type, a CSV row with a field too many or too few), runs ``scratchnet report`` in this
process and sorts the outcome:

* ``report``: exit 0, the report written;
* ``named``: exit 2 with a one-line message that names the damaged file;
* ``unnamed``: exit 2 with a message that does not name it;
* ``traceback``: an exception escaped the command.

Usage::

    PYTHONPATH=src python scripts/campaign_damaged_reports.py [--cases 150] [--run DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

KINDS = ("empty", "truncate", "bad_utf8", "nan", "wrong_type", "csv_fields")


def make_run(folder: Path) -> Path:
    from scratchnet.cli import main

    run = folder / "run"
    argv = ["reproduce", "--quick", "--engine", "scratchnet", "--out", str(run), "--no-progress"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0
    return run


def report_files(run: Path) -> list[Path]:
    """The JSON and CSV files the report reads (the cells' own files are not)."""
    files = [p for p in run.rglob("*") if p.suffix in (".json", ".csv") and "cells" not in p.parts]
    return sorted(p.relative_to(run) for p in files)


def damage(path: Path, kind: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncate":
        path.write_bytes(data[: rng.randrange(1, max(len(data), 2))])
    elif kind == "bad_utf8":
        at = rng.randrange(len(data) + 1)
        path.write_bytes(data[:at] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80"]) + data[at:])
    elif kind == "nan":
        numbers = list(re.finditer(rb"-?\d+\.?\d*(e-?\d+)?", data))
        if not numbers:
            return damage(path, "truncate", rng)
        hit = rng.choice(numbers)
        word = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"nan", b"1e999"])
        path.write_bytes(data[: hit.start()] + word + data[hit.end() :])
    elif kind == "wrong_type":
        path.write_bytes(_wrong_type(path, data, rng))
    else:
        path.write_bytes(_csv_fields(data, rng))


def _wrong_type(path: Path, data: bytes, rng: random.Random) -> bytes:
    if path.suffix == ".csv":
        lines = data.decode().splitlines()
        row = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
        fields = lines[row].split(",")
        fields[rng.randrange(len(fields))] = rng.choice(["abc", "", "[1]", "true"])
        lines[row] = ",".join(fields)
        return ("\n".join(lines) + "\n").encode()
    value = json.loads(data)
    replacement = rng.choice(["text", 7, None, [], {}, True, [1, 2], {"a": 1}])
    slots = list(_slots(value))
    if not slots or rng.random() < 0.15:
        return json.dumps(replacement).encode()
    container, key = rng.choice(slots)
    container[key] = replacement
    return json.dumps(value, indent=2).encode()


def _slots(value):
    """Every (container, key) pair in a JSON value."""
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in list(items):
            yield value, key
            yield from _slots(child)


def _csv_fields(data: bytes, rng: random.Random) -> bytes:
    lines = data.decode("utf-8", "replace").splitlines()
    if len(lines) < 2:
        return data + b"\n1,2,3,4,5,6,7,8,9,10,11,12,13\n"
    row = rng.randrange(1, len(lines))
    lines[row] = lines[row] + ",extra" if rng.random() < 0.5 else lines[row].rsplit(",", 1)[0]
    return ("\n".join(lines) + "\n").encode()


def run_case(run: Path, target: Path, kind: str, rng: random.Random, scratch: Path) -> str:
    from scratchnet.cli import main

    case = scratch / "case"
    shutil.rmtree(case, ignore_errors=True)
    shutil.copytree(run, case, ignore=shutil.ignore_patterns("cells"))
    damage(case / target, kind, rng)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(["report", str(case)])
    except Exception as exc:  # what the campaign counts
        return f"traceback ({type(exc).__name__})"
    if status == 0:
        return "report"
    message = err.getvalue().strip()
    named = len(message.splitlines()) == 1 and str(case / target) in message
    return "named" if named else "unnamed"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--run", help="an existing run folder (else one is made)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(args.run) if args.run else make_run(Path(tmp))
        files = report_files(run)
        outcomes: Counter[str] = Counter()
        tracebacks: Counter[str] = Counter()
        for _ in range(args.cases):
            target, kind = rng.choice(files), rng.choice(KINDS)
            outcome = run_case(run, target, kind, rng, Path(tmp))
            outcomes[outcome.split(" ")[0]] += 1
            if outcome.startswith("traceback"):
                tracebacks[f"{kind} {target.name}: {outcome}"] += 1
        print(f"{args.cases} damaged run folders ({len(files)} files): {dict(outcomes)}")
        for line, count in tracebacks.most_common(12):
            print(f"  {count} x {line}")


if __name__ == "__main__":
    main()
