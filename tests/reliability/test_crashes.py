"""SIGKILL at any moment of a model save, a cache write or a sweep: nothing half-written
survives, the next run recovers and finishes, the strays of the killed writer are cleaned up,
and a killed sweep's workers do not outlive it."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np

from scratchnet import load
from scratchnet.fileio import TEMP_MARKER
from scratchnet.sweep import killpoints

from processes import alive, cmdline, descendants, is_tracker, kill_all, needs_proc, wait_until
from studyconfigs import digits_mnist_study

KILLS = 4


def _start(code: str, *args: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"ready"
    return child


def _kill_soon(child: subprocess.Popen, rng: random.Random, longest: float) -> None:
    time.sleep(rng.uniform(0.0, longest))
    child.send_signal(signal.SIGKILL)
    child.wait()


SAVER = """
import sys
import numpy as np
from scratchnet import NeuralNetwork, save
rng = np.random.default_rng(0)
X, y = rng.random((64, 300)).astype(np.float32), np.arange(64) % 4
models = [NeuralNetwork(layers=[300, width, 4], epochs=1, random_state=0).fit(X, y)
          for width in (2000, 1000)]
print("ready", flush=True)
i = 0
while True:
    save(models[i % 2], sys.argv[1]); i += 1
"""


def test_sigkill_during_model_saves_never_leaves_a_broken_model(tmp_path):
    rng = random.Random(0)
    target = tmp_path / "model.npz"
    for _ in range(KILLS):
        _kill_soon(_start(SAVER, str(target)), rng, longest=0.8)
        if target.exists():  # whatever moment the kill came, the file is a whole model
            assert load(target).network_.layer_sizes[1] in (2000, 1000)
    strays = list(tmp_path.glob(f"*{TEMP_MARKER}"))
    assert len(strays) <= KILLS  # a killed writer can leave its temp file behind...
    from scratchnet import NeuralNetwork, save

    X = np.zeros((8, 300), np.float32)
    save(NeuralNetwork(layers=[300, 3, 4], epochs=1).fit(X, np.arange(8) % 4), target)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # ...until the next save


CACHER = """
import shutil, sys
from pathlib import Path
import numpy as np
from scratchnet.data import write_idx
from scratchnet.data.datasets import load_dataset
from scratchnet.data.digests import array_digest
from scratchnet.data.specs import MNIST_FILES, DatasetSpec

def arrays():
    rng = np.random.default_rng(7)
    return {"X_train": rng.integers(0, 256, (12000, 28, 28), dtype=np.uint8),
            "y_train": (np.arange(12000) % 10).astype(np.uint8),
            "X_test": rng.integers(0, 256, (3000, 28, 28), dtype=np.uint8),
            "y_test": (np.arange(3000) % 10).astype(np.uint8)}

data = arrays()
spec = DatasetSpec("crashy", "Crashy", MNIST_FILES,
                   {k: array_digest(v) for k, v in data.items()}, tuple("abcdefghij"))
folder, cache = Path(sys.argv[1]), Path(sys.argv[2])
if not folder.exists():
    folder.mkdir()
    for role, name in MNIST_FILES.items():
        write_idx(folder / name, data[role])
if len(sys.argv) > 3:  # the parent's check: load from the cache alone, or from the folder
    ds = load_dataset(spec, data_dir=None if sys.argv[3] == "cache" else folder, cache_dir=cache,
                      download=False)
    print(ds.source, flush=True)
    sys.exit(0)
print("ready", flush=True)
while True:
    shutil.rmtree(cache / "crashy", ignore_errors=True)
    load_dataset(spec, data_dir=folder, cache_dir=cache, download=False)
"""


def test_sigkill_during_cache_writes_never_leaves_a_trusted_broken_cache(tmp_path):
    rng = random.Random(1)
    folder, cache = tmp_path / "idx", tmp_path / "cache"
    subprocess.run(
        [sys.executable, "-c", CACHER, str(folder), str(cache), "folder"],
        check=True,
        capture_output=True,
    )
    for _ in range(KILLS):
        _kill_soon(_start(CACHER, str(folder), str(cache)), rng, longest=1.0)
        # Whatever the cache holds now, a load either trusts it after verifying every array,
        # or refuses it and falls back to the folder, which refills it.
        result = subprocess.run(
            [sys.executable, "-c", CACHER, str(folder), str(cache), "folder"],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert "crashy" in result.stdout or "folder" in result.stdout
    from_cache = subprocess.run(
        [sys.executable, "-c", CACHER, str(folder), str(cache), "cache"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert from_cache.stdout.startswith("cache")
    assert not list(cache.rglob(f"*{TEMP_MARKER}"))


def test_a_killed_workers_private_cell_folder_is_removed_by_the_next_cell(tmp_path, monkeypatch):
    import tempfile

    from scratchnet.fileio import writer_tag
    from scratchnet.sweep import engine as sweep

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = writer_tag().split("~")[0]
    orphan = tmp_path / f"{sweep.CELL_TEMP_PREFIX}{host}~{dead.pid}.some_cell.abc"
    live = tmp_path / f"{sweep.CELL_TEMP_PREFIX}{writer_tag()}.other_cell.def"
    for folder in (orphan, live):
        folder.mkdir()
        (folder / "model.npz").write_bytes(b"half")
    sweep._remove_orphan_cell_folders()
    assert not orphan.exists() and live.exists()


# --- a killed sweep's workers -------------------------------------------------------------------


@needs_proc
def test_workers_exit_within_seconds_when_the_sweep_is_killed(tmp_path):
    """kill -9 of a --n-jobs 2 sweep: its loky workers and resource trackers go too."""
    config = digits_mnist_study(tmp_path, epochs="100000", early_stopping="false")
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--no-progress"]
    sweep = subprocess.Popen([*command, "--out", str(tmp_path / "run"), "--n-jobs", "2"])
    started = []
    try:
        assert wait_until(
            lambda: len([p for p in descendants(sweep.pid) if not is_tracker(p)]) >= 2, 120
        ), "the sweep never started its two workers"
        started = descendants(sweep.pid)
        sweep.send_signal(signal.SIGKILL)
        sweep.wait()
        # A bounded wait, not a speed test: loky's own timeout would keep them 300 s.
        gone = wait_until(lambda: not any(alive(pid) for pid in started), 30)
        assert gone, [cmdline(pid) for pid in started if alive(pid)]
    finally:
        sweep.kill()
        kill_all(started)


# --- the sweep's kill windows, killed for real --------------------------------------------------

TWO_CELLS = ["model_activation_relu_weight_init_normal", "model_activation_tanh_weight_init_zero"]


def test_a_sweep_killed_holding_a_lock_is_finished_by_the_rerun(tmp_path, point="lock-claimed"):
    """The command, SIGKILLed between linking a cell's lock and removing its claim file: the
    rerun runs every cell and leaves no lock or temp file. (Every kill point, in a forked
    process: tests/sweep/test_sweep_engine.py.)"""
    config = digits_mnist_study(tmp_path, epochs="3")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--out", str(out)]
    command += ["--no-progress", "--only", *TWO_CELLS]
    env = {**os.environ, killpoints.ENV: point}
    killed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "left to another running sweep" not in rerun.stderr
    assert all((out / "cells" / key / "COMPLETE").is_file() for key in TWO_CELLS)
    assert (out / "config.toml").read_text() == config.read_text()
    assert (out / "sweep.json").is_file()
    assert not list(out.rglob("*.lock")) and not list(out.rglob(f"*{TEMP_MARKER}"))
