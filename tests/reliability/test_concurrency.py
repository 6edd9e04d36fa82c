"""Two `scratchnet sweep` processes on one folder share the cells: each cell runs once, and
both end with the whole table."""

import subprocess
import sys

from studyconfigs import digits_mnist_study


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
