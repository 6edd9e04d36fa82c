"""`scratchnet report` over damaged run folders: a real run folder is made once, then each
generated case damages one of the JSON or CSV files the report reads. The only outcomes
allowed: the report is built, or it is built without the damaged part and a one-line
:class:`~scratchnet.runfiles.RunFolderError` names the file; memory stays bounded."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from scratchnet.fileio import write_json
from scratchnet.report.build import write_report
from scratchnet.run import environment
from scratchnet.runfiles import RunFolderError
from scratchnet.studies import worked_examples
from scratchnet.studies.registry import run_sweep

from bounded import MiB, call_bounded
from studyconfigs import digits_mnist_study

CI = os.environ.get("SCRATCHNET_FUZZ", "ci") == "ci"
EXAMPLES = 60 if CI else settings.default.max_examples
FASHION = {
    "study": "fashion-activations",
    "engines": ["scratchnet"],
    "data": {"train_subset": 600, "test_subset": 200, "val_size": 200},
    "model": {"activations": ["relu", "tanh"], "epochs": 1, "lr": 1e-3},
    "improved": {"activations": ["relu"], "epochs": 1},
}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A small real run folder: Section A, Section B on digits, one Section C study."""
    out = tmp_path_factory.mktemp("run")
    worked_examples.run(out / "section_a")
    config = digits_mnist_study(tmp_path_factory.mktemp("config"), epochs="2")
    run_sweep(config, out / "section_b" / "original", progress=False)
    run_sweep(FASHION, out / "section_c" / "activations", progress=False)
    write_json(out / "environment.json", environment.describe())
    write_json(out / "timings.json", {"quick": True, "studies": [{"study": "A", "seconds": 1}]})
    shutil.rmtree(out / "section_b" / "original" / "cells")  # the report never reads them
    shutil.rmtree(out / "section_c" / "activations" / "cells")
    write_report(out)
    return out


def report_files(run: Path) -> list[str]:
    return sorted(
        p.relative_to(run).as_posix() for p in run.rglob("*") if p.suffix in (".json", ".csv")
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def damages(draw, data: bytes, suffix: str):
    """New content for a file that held ``data``."""
    kind = draw(st.sampled_from(["bytes", "truncate", "insert", "value", "csv_row", "special"]))
    at = draw(st.integers(min_value=0, max_value=len(data)))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    if kind == "special":
        return draw(
            st.sampled_from(
                [b"", b"NaN", b"[" * 100_000, b"1" * 5000, b'"\xff"', b"\xef\xbb\xbf{}", b"{}"]
            )
        )
    if kind == "value" and suffix == ".json":
        return _replace_value(json.loads(data), draw)
    lines = data.decode().splitlines()
    row = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    fields = lines[row].split(",")
    field = draw(st.integers(min_value=0, max_value=len(fields)))
    fields[field:field] = [draw(st.text(max_size=10))] if draw(st.booleans()) else []
    fields = fields if fields != lines[row].split(",") else fields[:-1]
    lines[row] = ",".join(fields)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def _replace_value(value, draw) -> bytes:
    slots = []

    def walk(node):
        if isinstance(node, dict | list):
            for key in node if isinstance(node, dict) else range(len(node)):
                slots.append((node, key))
                walk(node[key])

    walk(value)
    new = draw(JSON_VALUES)
    if not slots:
        return json.dumps(new).encode()
    container, key = draw(st.sampled_from(slots))
    container[key] = new
    return json.dumps(value).encode()  # NaN and Infinity as JSON's non-standard words


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_a_damaged_run_folder_gives_a_report_or_one_line_naming_the_file(run_folder, data):
    name = data.draw(st.sampled_from(report_files(run_folder)), label="file")
    original = (run_folder / name).read_bytes()
    damaged = data.draw(damages(original, Path(name).suffix), label="content")
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "run"
        shutil.copytree(run_folder, case)
        (case / name).write_bytes(damaged)
        outcome = call_bounded(lambda: write_report(case), (RunFolderError,), 64 * MiB)
        assert (case / "report.html").is_file() and (case / "report.md").is_file()
        event("named error" if isinstance(outcome, RunFolderError) else "report")
        if isinstance(outcome, RunFolderError):
            message = str(outcome)
            assert "\n" not in message and str(case / name) in message, message
