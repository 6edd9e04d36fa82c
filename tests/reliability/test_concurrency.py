"""Two `scratchnet sweep` processes on one folder share the cells: each cell runs once, and
both end with the whole table. A sweep never starts more worker processes than it has cells
to run, nor more than a few per core."""

import os
import subprocess
import sys
import time

from scratchnet.sweep import backends

from processes import descendants, is_tracker, needs_proc, wait_until
from studyconfigs import digits_mnist_study

ONE_CELL = "model_activation_relu_weight_init_normal"
TWO_CELLS = [ONE_CELL, "model_activation_tanh_weight_init_normal"]
MANY = 4  # within the limit on any machine (4 per core)


def test_two_sweeps_on_one_folder_run_each_cell_once(tmp_path):
    config = digits_mnist_study(tmp_path, epochs="40", early_stopping="false")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--out", str(out)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    # each finished cell prints one line "activation / init  test ...%" on its sweep's stdout
    ran = [
        line.split("test")[0].split()
        for stdout, _ in outputs
        for line in stdout.splitlines()
        if " / " in line
    ]
    keys = [tuple(words[::2]) for words in ran]
    assert len(keys) == len(set(keys)) == 12, outputs  # every cell, none twice
    cells = sorted((out / "cells").iterdir())
    assert len(cells) == 12 and all((c / "COMPLETE").is_file() for c in cells)
    table = (out / "results.csv").read_text().splitlines()
    assert len(table) == 1 + 12
    assert not list(out.rglob("*.lock")) and not list(out.rglob(".tmp-*"))


def _most_workers(tmp_path, n_jobs: int, only: list[str]) -> tuple[int, int, str]:
    """Run a digits sweep; the most worker processes (trackers aside) seen at once, the
    exit status and stderr."""
    config = digits_mnist_study(tmp_path, epochs="5", early_stopping="false")
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--no-progress"]
    command += ["--out", str(tmp_path / "run"), "--n-jobs", str(n_jobs), "--only", *only]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    most = 0
    while child.poll() is None:
        workers = [pid for pid in descendants(child.pid) if not is_tracker(pid)]
        most = max(most, len(workers))
        time.sleep(0.02)
    _, err = child.communicate()
    return most, child.returncode, err


@needs_proc
def test_a_sweep_of_one_cell_starts_no_worker_whatever_n_jobs(tmp_path):
    most, status, err = _most_workers(tmp_path, MANY, [ONE_CELL])
    assert status == 0, err
    assert most == 0  # one cell runs in the sweep's own process


@needs_proc
def test_a_sweep_starts_no_more_workers_than_cells(tmp_path):
    most, status, err = _most_workers(tmp_path, MANY, TWO_CELLS)
    assert status == 0, err
    assert most <= 2


@needs_proc
def test_n_jobs_over_the_limit_is_one_line_naming_the_option_and_the_limit(tmp_path):
    most, status, err = _most_workers(tmp_path, 1000, TWO_CELLS)
    assert status == 2 and most == 0
    assert len(err.strip().splitlines()) == 1
    assert "--n-jobs" in err and f"limit of {backends.worker_limit()}" in err


def test_workers_never_outnumber_the_cells_nor_the_limit():
    cores = os.cpu_count() or 1
    assert backends.workers("loky", 64, 1) == 1
    assert backends.workers("loky", 3, 2) == 2
    assert backends.workers("loky", -1, 1000) == cores
    assert backends.workers("loky", 4, 0) == 1  # nothing to run: nothing started
    assert backends.workers("dask", 16, 3) == 3 and backends.workers("dask", -1, 3) == -1
    assert not wait_until(lambda: False, 0.0)
