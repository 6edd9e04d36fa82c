"""The record study: a ladder of steps on digits from a TOML file written here; the record is
the step best on validation, only its model meets the test part, and the anchors (fixed, read
from another sweep folder, or missing) stand beside it; and its config errors."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data.prepare import DataConfig
from scratchnet.data.prepare_cache import prepared
from scratchnet.engines.base import load_model
from scratchnet.errors import ConfigError
from scratchnet.studies import registry
from scratchnet.studies.record import summary

CONFIG = """
study = "record"
title = "Record: digits"
description = "A ladder written by the test."

[data]
dataset = "digits"

[estimator]
engine = "scratchnet"
[estimator.params]
layers = [64, 16, 10]
optimizer = "adam"
lr = 1e-4
epochs = 2
random_state = 0

[[ladder]]
step = "slow"
set = {}

[[ladder]]
step = "faster"
set = { lr = 0.01 }

[[ladder]]
step = "longer, augmented"
set = { epochs = 20, augment = { shift = 1.0 } }

[[ladder]]
step = "slow, a branch"
after = "slow"
set = { epochs = 5 }

[record]
select = "val_accuracy"
test = "test_accuracy"
curves = ["loss", "accuracy"]

[[anchors]]
label = "a published figure"
value = 12.5
original = true

[[anchors]]
label = "another sweep's best"
run = "../other"
column = "test acc %"
best_by = "val loss"
best = "min"
where = { source = "ours" }

[[anchors]]
label = "a sweep that did not run"
run = "../missing"
column = "x"
best_by = "y"

[[anchors]]
label = "a value the other sweep's table does not hold"
run = "../other"
column = "test acc %"
best_by = "val loss"
where = { source = "improved" }
"""
OTHER = [  # the other sweep's table: the best "ours" row by val loss has 77.0
    {"source": "ours", "val loss": "0.5", "test acc %": "70.0"},
    {"source": "ours", "val loss": "0.2", "test acc %": "77.0"},
    {"source": "theirs", "val loss": "0.1", "test acc %": "99.0"},
]


@pytest.fixture(scope="module")
def record_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("record")
    (folder / "record.toml").write_text(CONFIG)
    other = folder / "other"
    other.mkdir()
    with open(other / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(OTHER[0]))
        writer.writeheader()
        writer.writerows(OTHER)
    out = folder / "out"
    results = registry.run_sweep(folder / "record.toml", out, progress=False)
    return out, results


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_every_step_trains_with_the_changes_of_the_step_it_follows(record_run):
    out, results = record_run
    params = [{k: v for k, v in r["params"].items() if k != "step"} for r in results]
    assert [p["lr"] for p in params] == [1e-4, 0.01, 0.01, 1e-4]
    assert [p["epochs"] for p in params] == [2, 2, 20, 5]
    assert "augment" not in params[1] and params[2]["augment"] == {"shift": 1.0}
    assert "augment" not in params[3]
    assert [r["metrics"]["epochs"] for r in results] == [2, 2, 20, 5]
    assert _rows(out / "ladder.csv")[3]["changes"] == "(after slow) epochs=5"


def test_steps_are_scored_on_validation_only(record_run):
    _, results = record_run
    for record in results:
        assert not [key for key in record["metrics"] if key.startswith("test_")]
        assert 0.0 <= record["metrics"]["val_accuracy"] <= 1.0


def test_the_record_is_the_best_step_on_validation_scored_once_on_test(record_run):
    out, results = record_run
    best = max(results, key=lambda r: r["metrics"]["val_accuracy"])
    ladder = _rows(out / "ladder.csv")
    assert [row["chosen"] for row in ladder] == ["record" if r is best else "" for r in results]
    assert best["params"]["step"] != "slow"  # 2 epochs at 1e-4 learn next to nothing
    data = prepared(DataConfig(dataset="digits"))
    model = load_model(out / "cells" / best["key"] / "model.npz")
    expected = 100 * np.mean(model.predict(data.X_test) == data.y_test)
    record = _rows(out / "record.csv")[-1]
    assert record["result"] == f"record: {best['params']['step']}"
    assert float(record["test accuracy %"]) == pytest.approx(expected, abs=1e-9)


def test_anchors_are_fixed_read_from_another_sweep_or_missing(record_run):
    out, _ = record_run
    rows = {row["result"]: row["test accuracy %"] for row in _rows(out / "record.csv")}
    assert rows["a published figure"] == "12.5"
    assert rows["another sweep's best"] == "77.0"
    assert rows["a sweep that did not run"] == ""
    md = (out / "record.md").read_text()
    assert "| a sweep that did not run | reproduction | - | not run here (missing) |" in md
    # A config naming a value the table does not have says so, instead of "not run here".
    assert rows["a value the other sweep's table does not hold"] == ""
    assert (
        "| - | no row of other/results.csv with numbers in 'test acc %' and 'val loss', "
        "source = 'improved' |"
    ) in md
    sources = [row["source"] for row in _rows(out / "record.csv")]
    assert sources == ["original", "reproduction", "reproduction", "reproduction", "record"]


def test_the_view_names_the_tables_figures_and_samples_that_exist(record_run):
    out, _ = record_run
    view = json.loads((out / "view.json").read_text())
    assert [t["stem"] for t in view["tables"]] == ["record", "ladder"]
    files = [f["file"] for f in view["figures"]]
    assert files == ["curves_loss.png", "curves_accuracy.png", summary.SAMPLES]
    for name in files:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('select = "val_accuracy"', 'select = "test_accuracy"', "select must be a val_"),
        ('step = "faster"', 'step = "slow"', "named twice"),
        ('after = "slow"', 'after = "later"', "'later', which is not a step above"),
        ("value = 12.5", 'value = 12.5\nrun = "x"', "give either value, or run"),
        ("set = { lr = 0.01 }", "set = { lr = -1.0 }", "lr"),
        ("set = { lr = 0.01 }", "set = { no_such = 1 }", "no_such"),
        ('curves = ["loss", "accuracy"]', 'curves = ["r2"]', "no per-epoch curve"),
        ('best = "min"', 'best = "lowest"', "best"),
    ],
)
def test_a_bad_config_is_refused_naming_the_file_and_key(tmp_path, old, new, expected):
    assert old in CONFIG
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace(old, new))
    with pytest.raises(ConfigError, match=expected) as error:
        registry.run_sweep(path, tmp_path / "out", progress=False)
    assert "bad.toml" in str(error.value)
    assert not (tmp_path / "out").exists()


REFIT = """
study = "record"
title = "Record: digits, refit"
[data]
dataset = "digits"
[estimator]
engine = "scratchnet"
[estimator.params]
layers = [64, 16, 10]
optimizer = "adam"
random_state = 0
[[ladder]]
step = "slow"
set = { lr = 1e-5, epochs = 2 }
[[ladder]]
step = "fast"
set = { lr = 0.01, epochs = 15 }
[[ladder]]
step = "fast on all"
refit = true
[[ladder]]
step = "slow on all"
after = "slow"
refit = true
[record]
select = "val_accuracy"
test = "test_accuracy"
curves = ["loss"]
"""


@pytest.fixture(scope="module")
def refit_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("refit")
    (folder / "refit.toml").write_text(REFIT)
    results = registry.run_sweep(folder / "refit.toml", folder / "out", progress=False)
    return folder / "out", {r["params"]["step"]: r for r in results}


def test_a_refit_trains_its_step_again_on_training_and_validation(refit_run):
    _, results = refit_run
    fast, refit = results["fast"], results["fast on all"]
    assert {k: v for k, v in refit["params"].items() if k != "step"} == {
        k: v for k, v in fast["params"].items() if k != "step"
    }
    sizes = fast["metrics"]["sizes"]
    assert refit["metrics"]["sizes"]["train"] == sizes["train"] + sizes["val"]
    assert not [k for k in refit["metrics"] if k.startswith(("val_", "test_"))]
    assert results["slow on all"]["params"]["lr"] == 1e-5


def test_the_refit_of_the_chosen_step_is_the_model_scored_on_test(refit_run):
    out, results = refit_run
    ladder = {row["step"]: row for row in _rows(out / "ladder.csv")}
    marked = {name: row["chosen"] for name, row in ladder.items() if row["chosen"]}
    assert marked == {"fast": "record", "fast on all": "its refit"}
    assert ladder["fast on all"]["validation accuracy %"] == ""
    assert ladder["slow on all"]["changes"] == "(after slow) refit on training + validation"
    data = prepared(DataConfig(dataset="digits"))
    refit = load_model(out / "cells" / results["fast on all"]["key"] / "model.npz")
    own = load_model(out / "cells" / results["fast"]["key"] / "model.npz")
    expected = 100 * np.mean(refit.predict(data.X_test) == data.y_test)
    assert expected != 100 * np.mean(own.predict(data.X_test) == data.y_test)
    record = _rows(out / "record.csv")[-1]
    assert record["result"] == "record: fast, trained again on training + validation"
    assert float(record["test accuracy %"]) == pytest.approx(expected, abs=1e-9)
    assert (out / summary.curves_file("loss")).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("refit = true\n[[ladder]]", "refit = true\nset = {}\n[[ladder]]", "not both"),
        (
            'step = "slow on all"\nafter = "slow"',
            'step = "x"\nafter = "fast on all"',
            "follows the refit step 'fast on all'",
        ),
        (
            'step = "slow"\nset = { lr = 1e-5, epochs = 2 }',
            'step = "slow"\nrefit = true',
            "needs a step above it",
        ),
        ('step = "fast"\nset = { lr = 0.01, epochs = 15 }', 'step = "fast"', "either set"),
    ],
)
def test_a_bad_refit_is_refused(tmp_path, old, new, expected):
    assert old in REFIT
    path = tmp_path / "bad.toml"
    path.write_text(REFIT.replace(old, new, 1))
    with pytest.raises(ConfigError, match=expected):
        registry.run_sweep(path, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_config_change_no_finished_step_depends_on_resumes_the_folder(tmp_path):
    """A new title, description and step keep the finished steps' folders byte for byte."""
    path, out = tmp_path / "refit.toml", tmp_path / "out"
    last = REFIT.index('[[ladder]]\nstep = "slow on all"')
    path.write_text(REFIT[:last] + REFIT[REFIT.index("[record]") :])
    registry.run_sweep(path, out, progress=False)
    before = _folder_bytes(out / "cells")
    changed = REFIT.replace('title = "Record: digits, refit"', 'title = "New"\ndescription = "d"')
    path.write_text(changed)
    results = registry.run_sweep(path, out, progress=False)
    after = _folder_bytes(out / "cells")
    assert {name: after[name] for name in before} == before
    assert [r["key"] for r in results][-1] == "04_slow_on_all"
    assert json.loads((out / "sweep.json").read_text())["config"]["title"] == "New"
    assert (out / "config.toml").read_text() == changed


def test_a_config_change_a_finished_step_depends_on_is_refused(tmp_path):
    path, out = tmp_path / "refit.toml", tmp_path / "out"
    path.write_text(REFIT)
    registry.run_sweep(path, out, progress=False, only=["01_slow"])
    saved = _folder_bytes(out)
    path.write_text(REFIT.replace("random_state = 0", "random_state = 1"))
    with pytest.raises(ConfigError, match=r"random_state: 0 -> 1.*depend on them: 01_slow;"):
        registry.run_sweep(path, out, progress=False)
    assert _folder_bytes(out) == saved
