"""The MNIST study through the sweep engine on a small subset: outputs, table, CLI, SIGKILL and
resume, and the same table from joblib workers and from a real Dask LocalCluster."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from scratchnet import persistence
from scratchnet.cli import main
from scratchnet.studies.mnist import ORIGINAL_TEST_ACCURACY, cell_key
from scratchnet.studies.registry import run_sweep

ACTIVATIONS = ("relu", "tanh")
INITS = ("zero", "normal")
KEYS = [cell_key(a, i) for a in ACTIVATIONS for i in INITS]
TIME_COLUMNS = ("wall_time_s", "epoch_time_s")


def small_config(folder: Path, epochs: int = 3, hidden: int = 32, name: str = "small.toml"):
    """Two activations x two inits, 2,000 MNIST images, one small hidden layer."""
    path = folder / name
    path.write_text(
        f"""
study = "mnist-activation-init"
protocol = "small"
[data]
dataset = "mnist"
train_subset = 2000
seed = 0
[model]
layers = [784, {hidden}, 10]
optimizer = "adam"
lr = 3e-3
epochs = {epochs}
batch_size = 64
random_state = 0
[grid]
activations = {list(ACTIVATIONS)!r}
weight_init = {list(INITS)!r}
""".replace("'", '"')
    )
    return path


def read_table(out: Path) -> list[dict]:
    with open(out / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def without_times(rows):
    return [{k: v for k, v in row.items() if k not in TIME_COLUMNS} for row in rows]


def model_arrays(out: Path, key: str) -> list[np.ndarray]:
    with np.load(out / "cells" / key / f"{key}.npz") as archive:
        return [archive[name] for name in sorted(archive.files) if name != "header"]


def check_every_file_loads(out: Path) -> None:
    """Every file of a sweep folder parses as what its name says; no temp leftovers."""
    from matplotlib.image import imread

    from scratchnet.config import read_toml

    for path in out.rglob("*"):
        assert not path.name.startswith(".") and not path.name.endswith(".lock"), path
        if path.is_dir():
            continue
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".npz":
            persistence.load(path)
        elif path.suffix == ".png":
            assert imread(path).ndim == 3
        elif path.suffix == ".csv":
            read_table(path.parent)
        elif path.suffix == ".toml":
            read_toml(path)
        else:
            assert path.name in ("COMPLETE", "results.md"), path


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    config = small_config(folder)
    out = folder / "run"
    results = run_sweep(config, out, progress=False)
    return config, out, results


def test_small_sweep_writes_every_output_and_a_correct_table(small_run):
    _, out, results = small_run
    assert sorted(p.name for p in out.iterdir()) == [
        "cells",
        "config.toml",
        "loss_curves.png",
        "results.csv",
        "results.md",
        "sweep.json",
        "test_accuracy_heatmap.png",
        "view.json",
    ]
    assert sorted(p.name for p in (out / "cells").iterdir()) == sorted(KEYS)
    for key in KEYS:
        folder = out / "cells" / key
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["COMPLETE", "metrics.json", "history.json", f"{key}.npz"]
        )
        history = json.loads((folder / "history.json").read_text())
        assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"}
        assert all(len(values) == 3 for values in history.values())
    check_every_file_loads(out)

    rows = read_table(out)
    assert [(r["activation"], r["weight_init"]) for r in rows] == [
        (a, i) for a in ACTIVATIONS for i in INITS
    ]
    data_x = None
    for row, record in zip(rows, results):
        key = cell_key(row["activation"], row["weight_init"])
        metrics = record["metrics"]
        assert record["key"] == key and row["status"] == "complete"
        assert float(row["test_accuracy_pct"]) == pytest.approx(100 * metrics["test_accuracy"])
        assert float(row["official_test_accuracy_pct"]) == pytest.approx(
            100 * metrics["official_test_accuracy"]
        )
        assert (
            float(row["original_test_accuracy_pct"])
            == ORIGINAL_TEST_ACCURACY[row["activation"], row["weight_init"]]
        )
        assert int(row["best_epoch"]) == metrics["best_epoch"] and int(row["epochs"]) == 3
        history = json.loads((out / "cells" / key / "history.json").read_text())
        assert float(row["final_train_loss"]) == pytest.approx(history["loss"][-1])
        assert float(row["final_val_loss"]) == pytest.approx(history["val_loss"][-1])
        assert float(row["wall_time_s"]) > 0
        assert metrics["sizes"] == {"train": 1600, "val": 200, "test": 200, "official_test": 10000}
        # the saved model reproduces the recorded test accuracy
        if data_x is None:
            from scratchnet.data.prepare import DataConfig
            from scratchnet.data.prepare_cache import prepared

            data_x = prepared(DataConfig(train_subset=2000))
        model = persistence.load(out / "cells" / key / f"{key}.npz")
        assert model.score(data_x.X_test, data_x.y_test) == metrics["test_accuracy"]
    by_init = {r["weight_init"]: float(r["test_accuracy_pct"]) for r in rows}
    zero = [float(r["test_accuracy_pct"]) for r in rows if r["weight_init"] == "zero"]
    normal = [float(r["test_accuracy_pct"]) for r in rows if r["weight_init"] == "normal"]
    assert max(zero) < 15 < 70 < min(normal), by_init

    markdown = (out / "results.md").read_text()
    assert markdown.count("\n| relu |") == 2 and markdown.count("\n| tanh |") == 2
    assert "original study's %" in markdown and "96.17" in markdown


def test_rerun_runs_nothing_and_rebuilds_the_same_table(small_run):
    config, out, _ = small_run
    before = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*")}
    csv_text = (out / "results.csv").read_text()
    (out / "results.csv").write_text("stale")  # the table is rebuilt, never appended to
    run_sweep(config, out, progress=False)
    assert {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*")} == before
    assert (out / "results.csv").read_text() == csv_text


def test_two_loky_workers_give_the_same_table(small_run, tmp_path):
    config, out, _ = small_run
    run_sweep(config, tmp_path / "loky", n_jobs=2, progress=False)
    assert without_times(read_table(tmp_path / "loky")) == without_times(read_table(out))
    for key in KEYS:
        for a, b in zip(model_arrays(out, key), model_arrays(tmp_path / "loky", key)):
            np.testing.assert_array_equal(a, b)


def test_a_dask_local_cluster_gives_the_same_table(small_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    config, out, _ = small_run
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        run_sweep(
            config,
            tmp_path / "dask",
            backend="dask",
            scheduler=cluster.scheduler_address,
            n_jobs=2,
            progress=False,
        )
    assert without_times(read_table(tmp_path / "dask")) == without_times(read_table(out))
    for key in KEYS:
        for a, b in zip(model_arrays(out, key), model_arrays(tmp_path / "dask", key)):
            np.testing.assert_array_equal(a, b)
    check_every_file_loads(tmp_path / "dask")


def test_the_cli_prints_a_line_per_cell_and_refuses_a_changed_config(small_run, tmp_path, capsys):
    config, out, _ = small_run
    assert main(["sweep", str(config), "--out", str(tmp_path / "cli"), "--only", KEYS[1]]) == 0
    captured = capsys.readouterr()
    assert "relu / normal test" in captured.out and "(the original 96.17%)" in captured.out
    assert "mnist-activation-init: 100%" in captured.err  # the grid bar
    assert "NeuralNetwork:" in captured.err  # the running cell's epoch bar
    assert "1 finished cell(s), 0 failed" in captured.out
    changed = small_config(tmp_path, epochs=4, name="changed.toml")
    assert main(["sweep", str(changed), "--out", str(out)]) == 2
    assert "different config" in capsys.readouterr().err


def complete_cells(out: Path) -> list[Path]:
    """Folders of the complete cells (not the hidden temp folders of a cell being written)."""
    return [m.parent for m in out.glob("cells/*/COMPLETE") if not m.parent.name.startswith(".")]


def kill_when(process: subprocess.Popen, out: Path, n_complete: int, timeout: float = 60.0):
    """SIGKILL ``process`` as soon as ``n_complete`` cells of ``out`` are complete."""
    deadline = time.monotonic() + timeout
    while len(complete_cells(out)) < n_complete:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def snapshot(out: Path) -> dict[str, dict[str, int]]:
    """Modification times of every file of every complete cell."""
    return {
        folder.name: {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
        for folder in complete_cells(out)
    }


def test_a_killed_sweep_resumes_without_redoing_or_corrupting_anything(tmp_path):
    config = small_config(tmp_path, epochs=40, hidden=64)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--out", str(out)]
    finished_before: dict[str, dict[str, int]] = {}
    for n_complete in (1, 2):
        process = subprocess.Popen(
            [*command, "--no-progress"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        kill_when(process, out, n_complete)
        done = snapshot(out)
        assert len(done) < len(KEYS), "the sweep ended before it could be killed"
        for key, times in finished_before.items():
            assert done[key] == times  # kept, not rewritten
        finished_before = done
    results = run_sweep(config, out, progress=False)
    after = snapshot(out)
    for key, times in finished_before.items():
        assert after[key] == times
    assert sorted(after) == sorted(KEYS)
    check_every_file_loads(out)  # also: no temp folders, temp files or locks left
    rows = read_table(out)
    assert len(rows) == len(KEYS) == len(results)
    assert sorted(cell_key(r["activation"], r["weight_init"]) for r in rows) == sorted(KEYS)
