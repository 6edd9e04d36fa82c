"""Measure a sweep's worker processes (run by hand; not a test).

Two figures, on a tiny digits sweep (configs/mnist_original.toml on scikit-learn's digits):

* ``count N``: the most processes the sweep's tree held at once with ``--n-jobs N --only`` one
  cell (the sweep itself included), and how the command ended;
* ``kill``: a ``--n-jobs 2`` sweep's parent is SIGKILLed once its workers run; how long its
  workers (and loky's resource trackers) outlive it, polled every 0.1 s up to a limit. Any
  leftover is killed by its pid at the end.

Usage::

    PYTHONPATH=src python scripts/measure_sweep_workers.py count 64
    PYTHONPATH=src python scripts/measure_sweep_workers.py kill
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
KEY = "model_activation_relu_weight_init_normal"


def _config(folder: Path, epochs: int) -> Path:
    text = (ROOT / "configs" / "mnist_original.toml").read_text()
    text = text.replace('dataset = "mnist"', 'dataset = "digits"')
    text = text.replace("layers = [784, 256, 128, 64, 32, 10]", "layers = [64, 16, 10]")
    text = text.replace("epochs = 50", f"epochs = {epochs}").replace(
        "early_stopping = true", "early_stopping = false"
    )
    path = folder / "study.toml"
    path.write_text(text)
    return path


def _sweep(config: Path, out: Path, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "scratchnet.cli", "sweep", str(config), "--out", str(out)]
    return subprocess.Popen(
        [*command, "--no-progress", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def count(n_jobs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), epochs=5)
        child = _sweep(config, Path(tmp) / "run", "--n-jobs", str(n_jobs), "--only", KEY)
        most = 0
        while child.poll() is None:
            most = max(most, len(_tree(child.pid)))
            time.sleep(0.05)
        last = (child.stderr.read().strip().splitlines() or [""])[-1]
        print(f"--n-jobs {n_jobs} --only 1 cell: at most {most} processes; exit {child.returncode}")
        if last:
            print(f"  stderr: {last}")


def kill(limit: float = 120.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), epochs=4000)
        child = _sweep(config, Path(tmp) / "run", "--n-jobs", "2")
        deadline = time.monotonic() + 60
        while len(_tree(child.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)  # let the workers start their cells
        survivors = _tree(child.pid)[1:]
        names = [" ".join(p.cmdline()[-2:]) for p in survivors]
        child.send_signal(signal.SIGKILL)
        child.wait()
        start = time.monotonic()
        while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in survivors):
            if time.monotonic() - start > limit:
                break
            time.sleep(0.1)
        alive = [p for p in survivors if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        waited = time.monotonic() - start
        rss = sum(p.memory_info().rss for p in alive) / 2**20 if alive else 0.0
        print(f"{len(survivors)} descendants at the kill: {names}")
        print(
            f"after SIGKILL of the parent: {len(alive)} still alive after {waited:.1f} s"
            + (f" ({rss:.0f} MiB resident)" if alive else "")
        )
        for process in alive:  # ours: started by this script's sweep
            process.kill()


if __name__ == "__main__":
    if sys.argv[1] == "count":
        count(int(sys.argv[2]))
    else:
        kill(float(sys.argv[2]) if len(sys.argv) > 2 else 120.0)
