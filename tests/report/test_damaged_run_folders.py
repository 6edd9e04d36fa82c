"""`scratchnet report` on damaged run folders (issue 18): every damaged file is named in one
line with exit status 2, the report is still written without the part that file feeds, and
strings from configs cannot change the Markdown's structure."""

import json
import re
from pathlib import Path

import pytest

from scratchnet.cli import main
from scratchnet.report.build import write_report
from scratchnet.studies import worked_examples
from scratchnet.studies.views import complete_views

HEADER = (
    "protocol,activation,weight_init,status,test_accuracy_pct,official_test_accuracy_pct,"
    "original_test_accuracy_pct,best_epoch,epochs,final_train_loss,final_val_loss,best_val_loss,"
    "wall_time_s,epoch_time_s"
)
ROW = "original,relu,normal,complete,97.5,97.1,96.9,3,3,0.1,0.12,0.12,1.5,0.5"


@pytest.fixture
def run(tmp_path) -> Path:
    """A small run folder: Section A, one Section B protocol, one Section C study."""
    worked_examples.run(tmp_path / "section_a")
    original = tmp_path / "section_b" / "original"
    original.mkdir(parents=True)
    (original / "results.csv").write_text(f"{HEADER}\n{ROW}\n")
    config = {"study": "mnist-activation-init", "model": {"optimizer": "sgd", "lr": 0.002}}
    (original / "sweep.json").write_text(json.dumps({"study": config["study"], "config": config}))
    study = tmp_path / "section_c" / "activations"
    study.mkdir(parents=True)
    (study / "activations.csv").write_text(
        "activation,source,val acc %\nrelu,original,87.7\nrelu,scratchnet,88.1\n"
    )
    (study / "activations.json").write_text(json.dumps({"title": "Activations", "notes": []}))
    (tmp_path / "environment.json").write_text(json.dumps({"numpy": "2.0"}))
    (tmp_path / "timings.json").write_text(
        json.dumps({"quick": True, "studies": [{"study": "A", "seconds": 1.5}]})
    )
    complete_views(tmp_path)  # the views and the plan a reproduction writes
    return tmp_path


DAMAGES = {  # what each damage does, and what the message says for a JSON / a CSV file
    "empty": (lambda data: b"", "empty", "empty"),
    "truncated": (lambda data: data[: len(data) // 2], "not valid JSON", r"field\(s\)|column"),
    "bad UTF-8": (lambda data: data[:9] + b"\xff" + data[9:], "not UTF-8", "not UTF-8"),
    "NaN": (lambda data: re.sub(rb"(?<=: )[0-9.]+", b"NaN", data, count=1), "NaN", None),
}
FILES = {  # file: a title of the part that must still render when it is damaged
    "timings.json": "Section A: worked examples",
    "section_a/backprop.json": "Q1(b): a hard-margin linear SVM",
    "section_a/comparisons.json": "Section B: activations",
    "section_b/original/results.csv": "C.2 Activations",
    "section_b/original/sweep.json": "Q1(a)",
    "section_c/activations/activations.json": "The original study's protocol, as written",
}
CASES = [(name, damage) for name in FILES for damage in ("empty", "truncated", "bad UTF-8")]
CASES += [(name, "NaN") for name in ("timings.json", "section_b/original/sweep.json")]


def _report(run: Path, capsys) -> tuple[int, str, str]:
    status = main(["report", str(run)])
    err = capsys.readouterr().err
    return status, err, (run / "report.md").read_text()


@pytest.mark.parametrize(("name", "damage"), CASES)
def test_a_damaged_file_is_named_in_one_line_and_the_rest_is_reported(run, capsys, name, damage):
    change, json_problem, csv_problem = DAMAGES[damage]
    path = run / name
    original = path.read_bytes()
    path.write_bytes(change(original))
    assert path.read_bytes() != original
    status, err, md = _report(run, capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and str(path) in err, err
    assert re.search(json_problem if path.suffix == ".json" else csv_problem, err), err
    assert FILES[name] in md and "left out, a file is damaged" in md.lower()
    assert (run / "report.html").is_file()


def test_a_value_of_the_wrong_type_is_named_with_its_place(run, capsys):
    path = run / "section_a" / "backprop.json"
    trace = json.loads(path.read_text())
    trace["samples"][1]["x"] = "one"
    path.write_text(json.dumps(trace))
    status, err, md = _report(run, capsys)
    assert status == 2 and f'{path}: samples[1].x: expected a list, got "one"' in err
    assert "Q1(a)" in md and "Q3: margins" in md


def test_a_csv_row_with_a_missing_field_is_named_with_its_line(run, capsys):
    path = run / "section_b" / "original" / "results.csv"
    path.write_text(f"{HEADER}\n{ROW}\n{ROW.rsplit(',', 1)[0]}\n")
    status, err, _ = _report(run, capsys)
    assert status == 2 and f"{path}: line 3: 13 field(s), expected 14" in err


def test_a_complete_cell_without_its_accuracy_shows_a_dash(run):
    path = run / "section_b" / "original" / "results.csv"
    path.write_text(f"{HEADER}\n{ROW.replace('97.5', '')}\n")
    write_report(run)
    assert "| relu | normal | – |" in (run / "report.md").read_text()


def test_write_report_raises_after_writing_both_files(run):
    from scratchnet.report.build import DamagedRunFolderError

    (run / "section_a" / "svm.json").write_bytes(b"{")
    with pytest.raises(DamagedRunFolderError, match=r"without 1 part\(s\).*svm.json"):
        write_report(run)
    assert "Q1(b)" in (run / "report.md").read_text()


def test_strings_from_configs_cannot_add_markdown_structure(run):
    hostile = "<img src=x onerror=alert(1)>\n# Owned | [link](http://x) ![i](y.png) *em*"
    path = run / "section_b" / "original" / "sweep.json"
    table = json.loads(path.read_text())
    table["config"]["model"]["optimizer"] = hostile
    path.write_text(json.dumps(table))
    (run / "section_b" / "original" / "results.csv").write_text(
        f"{HEADER}\n{ROW.replace('relu', '- <b>x</b>|y')}\n"
    )
    write_report(run)
    md = (run / "report.md").read_text()
    for markup in (r"<img", r"<b>", r"\]\(http", r"!\[i\]", r"\*em\*"):
        assert not re.search(r"(?<!\\)" + markup, md), markup  # only escaped forms
    assert not any(line.startswith("# Owned") for line in md.splitlines())
    rows = [line for line in md.splitlines() if line.startswith("| optimizer")]
    assert rows and rows[0].count(" | ") == 1  # the value stays in its one cell
    html = (run / "report.html").read_text()
    assert "<img src=x" not in html and "&lt;img src=x" in html


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[" * 100_000, "nested too deep"),
        (b"1" * 5000, "digits"),
        (b"[Infinity]", "Infinity"),
        (b"[]", "expected an object, got a list"),
        (b'{"a": 1} x', "Extra data"),
    ],
    ids=["deep", "long-integer", "infinity", "list", "trailing"],
)
def test_the_strict_json_reader_names_each_fault(tmp_path, content, problem):
    from scratchnet.runfiles import RunFolderError, read_json

    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(RunFolderError, match=problem) as error:
        read_json(path)
    assert str(error.value).startswith(f"{path}: ")


def test_the_strict_csv_reader_refuses_repeated_and_missing_columns(tmp_path):
    from scratchnet.runfiles import RunFolderError, read_csv

    path = tmp_path / "t.csv"
    path.write_text("a,a\n1,2\n")
    with pytest.raises(RunFolderError, match="'a' repeated"):
        read_csv(path)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(RunFolderError, match="missing column.*'c'"):
        read_csv(path, required=("c",))
    assert read_csv(path) == (["a", "b"], [{"a": "1", "b": "2"}])


def test_a_missing_file_of_a_part_that_ran_is_named(run, capsys):
    (run / "section_a" / "hyperplane.json").unlink()
    status, err, md = _report(run, capsys)
    assert status == 2 and "hyperplane.json: cannot be read" in err
    assert "Q1(a)" in md and "Q1(b)" in md
