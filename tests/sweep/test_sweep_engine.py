"""The sweep engine with a toy study: cell folders, resume, failures, locks, config checks."""

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from scratchnet.errors import ConfigError, DivergenceError
from scratchnet.studies import registry
from scratchnet.studies.registry import load_sweep, run_sweep
from scratchnet.sweep import cells
from scratchnet.sweep.engine import Cell, Study


@dataclass(frozen=True)
class ToyConfig:
    values: tuple
    diverge: tuple


class ToyStudy:
    """Cells square a number; ``diverge`` ones raise DivergenceError with a history."""

    name = "toy"

    def __init__(self):
        self.ran = []
        self.summaries = []

    def parse_config(self, table, where):
        from scratchnet.config import check_keys

        check_keys(table, {"values", "diverge"}, where)
        return ToyConfig(tuple(table["values"]), tuple(table.get("diverge", ())))

    def cells(self, config):
        return [Cell(f"cell_{v}", {"value": v}) for v in config.values]

    def run_cell(self, config, cell, cell_dir):
        self.ran.append(cell.key)
        value = cell.params["value"]
        if value in config.diverge:
            error = DivergenceError(f"value {value} diverged")
            error.history = {"loss": [1.0, float("nan")]}
            error.epoch = 2
            raise error
        (cell_dir / "value.txt").write_text(str(value))
        (cell_dir / "sub").mkdir()
        (cell_dir / "sub" / "square.txt").write_text(str(value**2))
        return {"square": value**2, "half": value / 2}

    def summarize(self, config, results, out_dir):
        self.summaries.append(results)
        (out_dir / "summary.json").write_text(json.dumps([r["key"] for r in results]))


@pytest.fixture
def toy(monkeypatch):
    study = ToyStudy()
    monkeypatch.setitem(registry.STUDIES, "toy", study)
    return study


def table(values=(1, 2, 3), diverge=()):
    return {"study": "toy", "values": list(values), "diverge": list(diverge)}


def test_toy_study_satisfies_the_protocol(toy):
    assert isinstance(toy, Study)


def test_sweep_writes_every_cell_folder_whole_and_summarizes(toy, tmp_path):
    results = run_sweep(table(), tmp_path, progress=False)
    assert [r["key"] for r in results] == ["cell_1", "cell_2", "cell_3"]
    assert all(r["status"] == "complete" for r in results)
    assert results[1]["metrics"] == {"square": 4, "half": 1.0}
    assert results[1]["params"] == {"value": 2}
    folder = tmp_path / "cells" / "cell_3"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "COMPLETE",
        "metrics.json",
        "sub",
        "sub/square.txt",
        "value.txt",
    ]
    assert (folder / "sub" / "square.txt").read_text() == "9"
    assert json.loads((folder / "metrics.json").read_text())["metrics"]["square"] == 9
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == [
        "cell_1",
        "cell_2",
        "cell_3",
    ]  # no locks, no temp folders left
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert saved["study"] == "toy" and saved["config"]["values"] == [1, 2, 3]
    assert json.loads((tmp_path / "summary.json").read_text()) == ["cell_1", "cell_2", "cell_3"]


def test_rerun_skips_finished_cells_and_rebuilds_the_summary(toy, tmp_path):
    run_sweep(table(), tmp_path, progress=False)
    stamp = (tmp_path / "cells" / "cell_2" / "COMPLETE").stat().st_mtime_ns
    toy.ran.clear()
    results = run_sweep(table(), tmp_path, progress=False)
    assert toy.ran == []
    assert len(results) == 3 and len(toy.summaries) == 2
    assert (tmp_path / "cells" / "cell_2" / "COMPLETE").stat().st_mtime_ns == stamp


def test_a_diverging_cell_is_recorded_as_failed_and_the_sweep_goes_on(toy, tmp_path):
    results = run_sweep(table(diverge=[2]), tmp_path, progress=False)
    assert [r["status"] for r in results] == ["complete", "failed", "complete"]
    failed = tmp_path / "cells" / "cell_2"
    assert (failed / "FAILED").is_file() and not (failed / "COMPLETE").exists()
    failure = json.loads((failed / "failure.json").read_text())
    assert failure["error"] == "value 2 diverged" and failure["epoch"] == 2
    assert failure["history"] == {"loss": [1.0, None]}  # NaN stored as null
    toy.ran.clear()
    run_sweep(table(diverge=[2]), tmp_path, progress=False)
    assert toy.ran == []  # failures count as finished...
    run_sweep(table(diverge=[2]), tmp_path, progress=False, retry_failed=True)
    assert toy.ran == ["cell_2"]  # ...unless retried
    assert (failed / "FAILED").is_file()


def test_a_failed_cell_is_described_by_the_engine_not_the_study():
    from scratchnet.sweep.engine import _describe

    class Described(ToyStudy):
        def describe(self, config, record):
            return f"{record['key']}: square {record['metrics']['square']}"

    done = {"key": "cell_3", "status": "complete", "metrics": {"square": 9}}
    failed = {"key": "cell_2", "status": "failed", "error": "value 2 diverged"}
    assert _describe(Described(), None, done) == "cell_3: square 9"
    assert _describe(Described(), None, failed) == "cell_2: FAILED (value 2 diverged)"


def test_resuming_with_a_different_config_is_refused(toy, tmp_path):
    run_sweep(table(), tmp_path, progress=False)
    with pytest.raises(ConfigError, match=r"different config.*values: \[1, 2, 3\] -> \[1, 2\]"):
        run_sweep(table(values=(1, 2)), tmp_path, progress=False)


def test_a_config_file_is_copied_into_the_sweep_folder(toy, tmp_path):
    config = tmp_path / "toy.toml"
    config.write_text('study = "toy"  # comment\nvalues = [4]\n')
    run_sweep(config, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "config.toml").read_text() == config.read_text()
    study, parsed, grid, results = load_sweep(tmp_path / "out")
    assert study is toy and parsed.values == (4,) and [c.key for c in grid] == ["cell_4"]
    assert results[0]["metrics"]["square"] == 16


def test_only_runs_the_named_cells(toy, tmp_path):
    results = run_sweep(table(), tmp_path, progress=False, only=["cell_3"])
    assert toy.ran == ["cell_3"] and [r["key"] for r in results] == ["cell_3"]
    with pytest.raises(ConfigError, match="no cell 'cell_9'"):
        run_sweep(table(), tmp_path, progress=False, only=["cell_9"])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"values": [1]}, "missing key 'study'"),
        ({"study": "nope", "values": [1]}, "unknown study 'nope'"),
        ({"study": "toy", "values": [1], "extra": 1}, "unknown key extra"),
        ({"study": "toy", "values": []}, "grid is empty"),
        ({"study": "toy", "values": [1, 1]}, "repeats cell keys cell_1"),
    ],
)
def test_bad_configs_name_the_problem(toy, tmp_path, bad, message):
    with pytest.raises(ConfigError, match=message):
        run_sweep(bad, tmp_path, progress=False)


def test_bad_backend_options_are_refused(toy, tmp_path):
    with pytest.raises(ConfigError, match="backend must be one of"):
        run_sweep(table(), tmp_path, backend="spark")
    with pytest.raises(ConfigError, match="needs the address"):
        run_sweep(table(), tmp_path, backend="dask")
    with pytest.raises(ConfigError, match="n_jobs"):
        run_sweep(table(), tmp_path, n_jobs=0)


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_locks_and_temp_folders_of_a_dead_sweep_are_cleaned_up(toy, tmp_path):
    root = tmp_path / "cells"
    root.mkdir()
    import socket

    owner = {"pid": dead_pid(), "host": socket.gethostname(), "time": 0}
    (root / "cell_1.lock").write_text(json.dumps(owner))
    half = root / ".tmp-cell_1-0123456789ab"
    half.mkdir()
    (half / "value.txt").write_text("partial")
    other = root / ".tmp-cell_1x-0123456789ab"  # another key's: left alone here
    other.mkdir()
    run_sweep(table(values=(1, 2)), tmp_path, progress=False)
    assert toy.ran == ["cell_1", "cell_2"]
    assert not half.exists() and other.exists()
    assert not (root / "cell_1.lock").exists()


def test_a_cell_locked_by_a_live_process_is_left_to_it(toy, tmp_path):
    root = tmp_path / "cells"
    root.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        owner = {"pid": sleeper.pid, "host": socket.gethostname(), "time": 0}
        (root / "cell_2.lock").write_text(json.dumps(owner))
        results = run_sweep(table(), tmp_path, progress=False)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert toy.ran == ["cell_1", "cell_3"]
    assert [r["key"] for r in results] == ["cell_1", "cell_3"]
    assert (root / "cell_2.lock").is_file()  # not ours to remove
    run_sweep(table(), tmp_path, progress=False)  # the owner is dead now: cell_2 runs
    assert toy.ran == ["cell_1", "cell_3", "cell_2"]


def test_a_folder_without_a_marker_is_rerun(toy, tmp_path):
    broken = tmp_path / "cells" / "cell_1"
    broken.mkdir(parents=True)
    (broken / "value.txt").write_text("junk")
    results = run_sweep(table(values=(1,)), tmp_path, progress=False)
    assert toy.ran == ["cell_1"] and results[0]["status"] == "complete"
    assert (broken / "value.txt").read_text() == "1"


def test_try_lock_is_exclusive_and_unlock_only_releases_our_own(tmp_path):
    assert cells.try_lock(tmp_path, "k")
    assert not cells.try_lock(tmp_path, "k")  # held by a live process: us
    assert cells.lock_owner(tmp_path, "k")["pid"] == os.getpid()
    cells.unlock(tmp_path, "k")
    assert not (tmp_path / "k.lock").exists()
    (tmp_path / "k.lock").write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
    cells.unlock(tmp_path, "k")
    assert (tmp_path / "k.lock").exists()  # another host's lock is never assumed stale
    assert not cells.try_lock(tmp_path, "k")


@pytest.mark.parametrize("key", ["", ".hidden", "a/b", "x.lock", "sp ace"])
def test_cell_keys_must_be_safe_folder_names(key):
    with pytest.raises(ValueError, match="cell key"):
        Cell(key, {})


def test_a_study_may_not_write_the_engine_files(toy, tmp_path, monkeypatch):
    def run_cell(config, cell, cell_dir):
        Path(cell_dir, "COMPLETE").write_text("fake")
        return {}

    monkeypatch.setattr(toy, "run_cell", run_cell)
    with pytest.raises(ValueError, match="reserves"):
        run_sweep(table(values=(1,)), tmp_path, progress=False)
    assert not (tmp_path / "cells" / "cell_1").exists()
    assert not (tmp_path / "cells" / "cell_1.lock").exists()


def test_temp_files_of_a_killed_summary_are_removed(toy, tmp_path):
    import socket

    from scratchnet.fileio import TEMP_MARKER

    host = socket.gethostname().replace(".", "_").replace("~", "_")
    stray = tmp_path / f".summary.json.{host}~{dead_pid()}.x1y2{TEMP_MARKER}"
    stray.write_text("half")
    run_sweep(table(values=(1,)), tmp_path, progress=False)
    assert not stray.exists()


# --- kill windows and damaged sweep folders -------------------------------------------------------


def test_an_empty_lock_of_a_writer_killed_mid_claim_does_not_hold_its_cell(toy, tmp_path):
    """Kill window 1 as older versions left it: a lock created, its owner never written."""
    root = tmp_path / "cells"
    root.mkdir()
    (root / "cell_2.lock").write_bytes(b"")  # fresh: no grace period to wait out
    results = run_sweep(table(), tmp_path, progress=False)
    assert [r["key"] for r in results] == ["cell_1", "cell_2", "cell_3"]
    assert not (root / "cell_2.lock").exists()


def test_a_lock_is_never_seen_without_its_owner(tmp_path, monkeypatch):
    """The lock appears by a hard link of a synced claim file: whole, or not at all."""
    seen = []
    real_link = os.link

    def spy(source, target):
        seen.append(json.loads(open(source, "rb").read()))  # what the link will publish
        assert not os.path.exists(target)
        real_link(source, target)

    monkeypatch.setattr(os, "link", spy)
    assert cells.try_lock(tmp_path, "k")
    assert seen[0]["pid"] == os.getpid()
    assert [p.name for p in tmp_path.iterdir()] == ["k.lock"]  # the claim file is gone


def test_a_missing_config_copy_is_restored_by_the_rerun(toy, tmp_path):
    """Kill window 2 as older versions left it: sweep.json written, config.toml not."""
    config = tmp_path / "toy.toml"
    config.write_text('study = "toy"\nvalues = [4, 5]\n')
    out = tmp_path / "out"
    run_sweep(config, out, progress=False, only=["cell_4"])
    (out / "config.toml").unlink()
    run_sweep(config, out, progress=False)
    assert (out / "config.toml").read_text() == config.read_text()


def test_the_config_copy_is_written_before_the_folder_becomes_a_sweep(toy, tmp_path, monkeypatch):
    from scratchnet.sweep import engine as sweep

    order = []
    monkeypatch.setattr(sweep, "write_text", lambda path, text: order.append(Path(path).name))
    monkeypatch.setattr(sweep, "write_json", lambda path, obj: order.append(Path(path).name))
    config = tmp_path / "toy.toml"
    config.write_text('study = "toy"\nvalues = [4]\n')
    table, unused = {"study": "toy", "values": [4]}, None  # a new folder parses no old config
    sweep._record_config(tmp_path, table, config.read_text(), "x", unused)
    assert order == ["config.toml", "sweep.json"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b'{"study": "toy", "config": {"values": [1, ', "not valid JSON"),
        (b'{"study": "toy", "config": NaN}', "NaN"),
        (b'{"study": "toy", "config": "\xff"}', "not UTF-8"),
        (b'{"study": "toy", "config": [1]}', "expected an object"),
    ],
)
def test_a_damaged_sweep_json_is_named_in_one_line(toy, tmp_path, content, problem):
    from scratchnet.runfiles import RunFolderError

    (tmp_path / "sweep.json").write_bytes(content)
    for call in (
        lambda: run_sweep(table(), tmp_path, progress=False),
        lambda: load_sweep(tmp_path),
    ):
        with pytest.raises(RunFolderError, match=problem) as error:
            call()
        assert str(tmp_path / "sweep.json") in str(error.value)
        assert "\n" not in str(error.value)


def test_a_damaged_cell_record_is_named(toy, tmp_path):
    from scratchnet.runfiles import RunFolderError

    run_sweep(table(), tmp_path, progress=False)
    record = tmp_path / "cells" / "cell_2" / "metrics.json"
    record.write_bytes(record.read_bytes()[:20])
    with pytest.raises(RunFolderError, match="cell_2/metrics.json: not valid JSON"):
        run_sweep(table(), tmp_path, progress=False)


KILL_POINTS = {
    "sweep-config-copied",
    "lock-claim-written",
    "lock-claimed",
    "stale-lock-set-aside",
    "cell-committed",
}


def _killed_at(point: str, call) -> bool:
    """Run ``call()`` in a forked child with the kill point ``point`` armed; True if the
    child died of SIGKILL (there, and not elsewhere: it has no other way to get one)."""
    import signal

    from scratchnet.sweep import killpoints

    pid = os.fork()
    if pid == 0:  # the child: dies at the point, or reports that it did not
        os.environ[killpoints.ENV] = point
        try:
            call()
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_a_sweep_killed_at_each_kill_point_is_finished_by_the_rerun(toy, tmp_path, point):
    from scratchnet.fileio import TEMP_MARKER

    config = tmp_path / "toy.toml"
    config.write_text('study = "toy"\nvalues = [1, 2, 3]\n')
    out = tmp_path / "out"
    (out / "cells").mkdir(parents=True)
    owner = {"pid": dead_pid(), "host": socket.gethostname(), "time": 0}
    (out / "cells" / "cell_2.lock").write_text(json.dumps(owner))  # a stale lock to break
    assert _killed_at(point, lambda: run_sweep(config, out, progress=False))
    results = run_sweep(config, out, progress=False)
    assert [r["key"] for r in results] == ["cell_1", "cell_2", "cell_3"]
    assert (out / "config.toml").read_text() == config.read_text()
    assert load_sweep(out)[1].values == (1, 2, 3)
    assert not list(out.rglob("*.lock")) and not list(out.rglob(f"*{TEMP_MARKER}"))
    assert sorted(p.name for p in (out / "cells").iterdir()) == ["cell_1", "cell_2", "cell_3"]


def test_every_kill_point_is_tested():
    from scratchnet.sweep import killpoints

    assert killpoints.POINTS == KILL_POINTS


def test_the_stale_lock_of_a_finished_cell_is_removed(toy, tmp_path):
    """Killed between committing a cell and releasing its lock: the rerun removes the lock."""
    import socket

    run_sweep(table(), tmp_path, progress=False)
    owner = {"pid": dead_pid(), "host": socket.gethostname(), "time": 0}
    (tmp_path / "cells" / "cell_2.lock").write_text(json.dumps(owner))
    run_sweep(table(), tmp_path, progress=False)
    assert toy.ran == ["cell_1", "cell_2", "cell_3"]  # nothing rerun
    assert not list((tmp_path / "cells").glob("*.lock"))


def test_n_jobs_over_the_limit_is_refused_before_anything_is_written(toy, tmp_path):
    over = 4 * (os.cpu_count() or 1) + 1  # one more than 4 workers per core
    with pytest.raises(ConfigError, match=rf"--n-jobs\) {over} is over the limit of {over - 1}"):
        run_sweep(table(), tmp_path / "out", n_jobs=over, progress=False)
    assert not (tmp_path / "out").exists() and toy.ran == []
