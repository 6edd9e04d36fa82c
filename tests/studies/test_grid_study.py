"""The grid study: a 2x2 grid from a TOML file written here, killed after its first cell,
resumed, then its table, figures and report section checked; and its config errors."""

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnet.cli import main
from scratchnet.sweep import killpoints

CONFIG = """
study = "grid"
title = "Learning rate x batch size on digits"
description = "A two-by-two grid written by the test."

[data]
dataset = "digits"

[estimator]
engine = "scratchnet"
[estimator.params]
layers = [64, 16, 10]
optimizer = "adam"
epochs = 3
random_state = 0

[grid]
lr = [0.01, 0.1]
batch_size = [32, 64]

[record]
metrics = ["test_accuracy", "val_loss"]
curves = ["loss"]
heatmap = "test_accuracy"
"""
KEYS = ["lr_0.01__batch_size_32", "lr_0.01__batch_size_64", "lr_0.1__batch_size_32",
        "lr_0.1__batch_size_64"]  # fmt: skip


def _sweep(config: Path, out: Path, **env) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--out", str(out)]
    return subprocess.run(
        [*command, "--no-progress"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """The sweep killed right after its first cell is written, then resumed."""
    folder = tmp_path_factory.mktemp("grid")
    config = folder / "grid.toml"
    config.write_text(CONFIG)
    out = folder / "out"
    killed = _sweep(config, out, **{killpoints.ENV: "cell-committed"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    done = sorted(p.parent.name for p in out.glob("cells/*/COMPLETE"))
    assert done == KEYS[:1] and not (out / "results.csv").exists()
    first = {p: p.stat().st_mtime_ns for p in (out / "cells" / KEYS[0]).iterdir()}
    resumed = _sweep(config, out)
    assert resumed.returncode == 0, resumed.stderr
    return out, first


def test_the_resumed_grid_has_every_cell_and_kept_the_first(grid_run):
    out, first = grid_run
    assert sorted(p.parent.name for p in out.glob("cells/*/COMPLETE")) == KEYS
    assert {p: p.stat().st_mtime_ns for p in first} == first  # not retrained
    assert not list(out.rglob("*.lock"))


def test_the_table_has_one_row_per_cell_with_its_metrics(grid_run):
    out, _ = grid_run
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["lr", "batch_size", "status", "test_accuracy", "val_loss",
                             "epochs", "fit s"]  # fmt: skip
    assert [(r["lr"], r["batch_size"]) for r in rows] == [
        ("0.01", "32"), ("0.01", "64"), ("0.1", "32"), ("0.1", "64")
    ]  # fmt: skip
    for key, row in zip(KEYS, rows):
        metrics = json.loads((out / "cells" / key / "metrics.json").read_text())["metrics"]
        assert float(row["test_accuracy"]) == metrics["test_accuracy"]
        assert row["epochs"] == "3" and row["status"] == "complete"
    assert max(float(r["test_accuracy"]) for r in rows) > 0.5  # the networks learned
    meta = json.loads((out / "results.json").read_text())
    assert meta["title"] == "Learning rate x batch size on digits"


def test_the_figures_are_pngs_and_the_view_names_them(grid_run):
    out, _ = grid_run
    view = json.loads((out / "view.json").read_text())
    files = [figure["file"] for figure in view["figures"]]
    assert files == ["curves_loss.png", "heatmap.png"]
    for name in files:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [t["stem"] for t in view["tables"]] == ["results"]


def test_scratchnet_report_gives_the_grid_its_section(grid_run, capsys):
    out, _ = grid_run
    assert main(["report", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "Learning rate x batch size on digits" in md
    assert "A two-by-two grid written by the test." in md
    assert "| lr | batch_size | status | test_accuracy |" in md
    assert md.count("![") == 2 and "test_accuracy by lr (rows) and batch_size (columns)" in md
    assert (out / "report.html").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("batch_size = [32, 64]", "momentum_typo = [0.9]"), "momentum_typo"),
        (('heatmap = "test_accuracy"', 'heatmap = "val_r2"'), "heatmap"),
        (('"val_loss"]', '"val_mse"]'), "unknown metric(s) 'val_mse'"),
        (("epochs = 3", "epochs = 3\nlr = 0.5"), "lr is in [estimator.params] too"),
        (("lr = [0.01, 0.1]", "lr = [0.01, -1.0]"), "lr=-1.0"),
    ],
)
def test_a_bad_grid_config_is_one_line_naming_the_file(tmp_path, capsys, change, message):
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.replace(*change))
    assert main(["sweep", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(config) in err and message in err, err
    assert not (tmp_path / "out").exists()
