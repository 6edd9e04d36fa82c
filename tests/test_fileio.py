"""Atomic writes and the clean-up of temp files left by killed writers."""

import os
import signal
import subprocess
import sys
import time

import pytest

from scratchnet.fileio import TEMP_MARKER, atomic_open, remove_stray_temp_files, write_text


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "f.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("writer fails")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
    write_text(target, "new")
    assert target.read_text() == "new"


def test_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_text(tmp_path / "f", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 in (0o640, 0o644)


def _writer_that_hangs(folder):
    """A child process stuck inside an atomic write, holding its temp file."""
    code = (
        "import sys, time\n"
        "from scratchnet.fileio import atomic_open\n"
        "with atomic_open(sys.argv[1] + '/big.bin', 'wb') as h:\n"
        "    h.write(b'x' * 1000); h.flush(); print('writing', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"writing"
    return child


def test_strays_of_dead_writers_go_and_live_writers_keep_theirs(tmp_path):
    live = _writer_that_hangs(tmp_path)
    dead = _writer_that_hangs(tmp_path)
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    temps = sorted(tmp_path.glob(f"*{TEMP_MARKER}"))
    assert len(temps) == 2
    (tmp_path / f".legacy.abc{TEMP_MARKER}").write_text("from an older writer")
    removed = remove_stray_temp_files(tmp_path)
    assert len(removed) == 2  # the killed writer's and the unparseable legacy one
    left = list(tmp_path.glob(f"*{TEMP_MARKER}"))
    assert len(left) == 1 and f"~{live.pid}." in left[0].name
    live.kill()
    live.wait()
    assert not (tmp_path / "big.bin").exists()


def test_foreign_host_temp_files_are_kept_for_a_day(tmp_path):
    foreign = tmp_path / f".x.otherhost~123.abcd{TEMP_MARKER}"
    foreign.write_text("a writer on another machine")
    assert remove_stray_temp_files(tmp_path) == []
    old = time.time() - 2 * 24 * 3600
    os.utime(foreign, (old, old))
    assert remove_stray_temp_files(tmp_path) == [foreign]


def test_rewriting_a_file_clears_the_strays_of_its_killed_writers(tmp_path):
    dead = _writer_that_hangs(tmp_path)
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    assert len(list(tmp_path.glob(f".big.bin.*{TEMP_MARKER}"))) == 1
    write_text(tmp_path / "big.bin", "done")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]
