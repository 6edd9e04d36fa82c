"""The cell folder protocol of a sweep: where a cell's files live, when it counts as done,
how it is claimed, and how its folder appears atomically.

Layout under a sweep's ``cells/`` folder::

    cells/<key>/                 a finished cell: the study's files, then
        metrics.json             (complete cells) engine record with the study's metrics
        failure.json             (failed cells) the error, its epoch and the history so far
        COMPLETE | FAILED        the marker, written last
    cells/<key>.lock             a claim: JSON with the owner's pid and host
    cells/.tmp-<key>-<uuid>/     a cell being written; renamed to ``<key>/`` when whole

A cell's final folder only ever appears by ``os.rename`` of a temp folder whose marker is
already written and synced, so ``cells/<key>/`` is either absent or whole. A lock appears
the same way: its owner is written and synced into a claim file beside it, which is then
hard-linked to ``<key>.lock`` (the link fails if the lock exists), so a lock is never seen
empty, whatever moment its writer is killed at. A lock whose owner is a dead process on this
host, or that cannot be read, is stale and is broken by the next claimant, which also removes
the temp folders the dead owner left behind. A claim file a killed writer left is a temp file
of :mod:`scratchnet.fileio`'s naming, removed with the other strays of dead writers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scratchnet.fileio import TEMP_MARKER, fsync_dir, json_safe, writer_tag
from scratchnet.runfiles import read_json
from scratchnet.sweep.killpoints import kill_point

logger = logging.getLogger(__name__)

COMPLETE = "COMPLETE"
FAILED = "FAILED"
METRICS = "metrics.json"
FAILURE = "failure.json"
#: File names the engine writes into a cell folder; a study must not use them.
RESERVED = frozenset({COMPLETE, FAILED, METRICS, FAILURE})
TEMP_PREFIX = ".tmp-"
LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class Cell:
    """One point of a sweep's grid.

    Parameters
    ----------
    key : str
        Unique folder name within the sweep, e.g. ``model_activation_relu_weight_init_normal``;
        letters, digits, ``_``, ``-`` and ``.`` only, not starting with ``.``.
    params : dict
        JSON-safe settings of this cell (what the study needs to run it, shown in tables).
    """

    key: str
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_key(self.key)


def check_key(key: str) -> None:
    """Raise ValueError unless ``key`` is a safe, non-hidden folder name."""
    ok = isinstance(key, str) and key and not key.startswith(".")
    ok = ok and all(ch.isalnum() or ch in "_-." for ch in key) and not key.endswith(LOCK_SUFFIX)
    if not ok:
        raise ValueError(
            f"cell key {key!r} must be a folder name of letters, digits, '_', '-' and '.', "
            f"not starting with '.' nor ending in {LOCK_SUFFIX!r}"
        )


# --- state --------------------------------------------------------------------------------------


def cell_dir(root: Path, key: str) -> Path:
    """The final folder of cell ``key`` under the ``cells/`` folder ``root``."""
    return root / key


def state(root: Path, key: str) -> str:
    """``"complete"``, ``"failed"``, ``"missing"``, or ``"broken"`` (a folder with no marker)."""
    folder = cell_dir(root, key)
    if (folder / COMPLETE).is_file():
        return "complete"
    if (folder / FAILED).is_file():
        return "failed"
    return "broken" if folder.exists() else "missing"


def read_record(root: Path, key: str) -> dict | None:
    """The engine record of a finished cell (``metrics.json`` or ``failure.json``), else None."""
    status = state(root, key)
    if status not in ("complete", "failed"):
        return None
    name = METRICS if status == "complete" else FAILURE
    return read_json(cell_dir(root, key) / name).value


# --- writing a cell folder ----------------------------------------------------------------------


def new_temp_dir(root: Path, key: str) -> Path:
    """A fresh private folder ``root/.tmp-<key>-<uuid>/`` to build cell ``key`` in."""
    folder = root / f"{TEMP_PREFIX}{key}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    return folder


def commit(
    root: Path,
    key: str,
    files: Mapping[str, bytes],
    record: dict,
    failed: bool = False,
) -> Path:
    """Write a cell's folder whole: its files, the record, the marker last, then rename.

    Parameters
    ----------
    root : Path
        The sweep's ``cells/`` folder.
    key : str
    files : mapping of relative POSIX path to content
        The files the study wrote.
    record : dict
        JSON-safe engine record, written as ``metrics.json`` (or ``failure.json`` if
        ``failed``).
    failed : bool

    Returns
    -------
    Path
        The cell's final folder.
    """
    final = cell_dir(root, key)
    tmp = new_temp_dir(root, key)
    try:
        for name, content in files.items():
            _write_synced(tmp / name, content)
        payload = json.dumps(json_safe(record), indent=2, sort_keys=True, allow_nan=False)
        _write_synced(tmp / (FAILURE if failed else METRICS), (payload + "\n").encode())
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z") + "\n"
        _write_synced(tmp / (FAILED if failed else COMPLETE), stamp.encode())
        fsync_dir(tmp)
        os.rename(tmp, final)  # atomic; fails if another folder got there first
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def discard(root: Path, key: str) -> None:
    """Remove cell ``key``'s final folder (to rerun it), atomically: rename away, then delete."""
    final = cell_dir(root, key)
    if not final.exists():
        return
    doomed = root / f"{TEMP_PREFIX}{key}-{uuid.uuid4().hex[:12]}-discarded"
    os.rename(final, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def remove_temp_dirs(root: Path, key: str) -> list[Path]:
    """Delete the temp folders of cell ``key`` (call only while holding its lock)."""
    removed = []
    pattern = re.compile(re.escape(f"{TEMP_PREFIX}{key}-") + r"[0-9a-f]{12}(-discarded)?")
    for folder in root.glob(f"{TEMP_PREFIX}{key}-*"):
        if pattern.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _write_synced(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


# --- claims -------------------------------------------------------------------------------------


def lock_path(root: Path, key: str) -> Path:
    """The lock file of cell ``key``."""
    return root / f"{key}{LOCK_SUFFIX}"


def try_lock(root: Path, key: str) -> bool:
    """Claim cell ``key`` for this process; False if a live owner holds it.

    The lock holds ``{"pid", "host", "time"}`` from the moment it exists: it is a hard link
    to a claim file written and synced first. A lock whose owner is a dead process on this
    host, or that is unreadable, is stale: it is broken and the claim retried.
    """
    path = lock_path(root, key)
    for _ in range(3):
        claim = _write_claim(path)
        try:
            kill_point("lock-claim-written")
            os.link(claim, path)  # atomic, and fails if a lock is there
            kill_point("lock-claimed")
            fsync_dir(root)
            return True
        except FileExistsError:
            if not _break_if_stale(path):
                return False
        finally:
            claim.unlink(missing_ok=True)
    return False


def _write_claim(lock: Path) -> Path:
    """A synced file beside ``lock`` holding this process's owner record; return its path."""
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}
    claim = lock.with_name(f".{lock.name}.{writer_tag()}.{uuid.uuid4().hex[:12]}{TEMP_MARKER}")
    _write_synced(claim, json.dumps(owner).encode())
    return claim


def remove_stale_locks(root: Path) -> list[Path]:
    """Break every stale lock under ``root`` (also of cells finished by a sweep killed before
    it released them); return the paths broken."""
    broken = []
    for path in sorted(root.glob(f"*{LOCK_SUFFIX}")):
        owner = _read_lock(path)
        if owner is not None and _is_stale(owner) and _break_if_stale(path):
            broken.append(path)
    return broken


def unlock(root: Path, key: str) -> None:
    """Release this process's claim on cell ``key`` (no-op if it is not ours)."""
    path = lock_path(root, key)
    owner = _read_lock(path)
    if owner is not None and owner.get("pid") == os.getpid() and _is_this_host(owner):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def lock_owner(root: Path, key: str) -> dict | None:
    """The owner record of cell ``key``'s lock, if the lock exists and is live."""
    path = lock_path(root, key)
    owner = _read_lock(path)
    if owner is None or _is_stale(owner):
        return None
    return owner


def _read_lock(path: Path) -> dict | None:
    """The owner record of the lock ``path``; ``{}`` if it is unreadable, None if absent."""
    try:
        text = path.read_bytes().decode("utf-8")
        owner = json.loads(text)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):  # damaged, or written by an older scratchnet's O_EXCL claim
        return {}
    return owner if isinstance(owner, dict) else {}


def _is_stale(owner: dict) -> bool:
    if not owner:  # a lock is never empty while its writer lives: damaged, hence stale
        return True
    if not _is_this_host(owner):
        return False  # cannot tell from here: assume it is alive
    return not _pid_alive(owner.get("pid"))


def _break_if_stale(path: Path) -> bool:
    """Remove ``path`` if it is a stale lock (rename first, so a fresh lock is never lost)."""
    owner = _read_lock(path)
    if owner is None:
        return True  # vanished: retry the claim
    if not _is_stale(owner):
        return False
    # named like a temp file of fileio: if we are killed before unlinking it, the next run does
    aside = path.with_name(
        f".{path.name}.stale.{writer_tag()}.{uuid.uuid4().hex[:12]}{TEMP_MARKER}"
    )
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return True
    kill_point("stale-lock-set-aside")
    if _read_lock(aside) != owner:  # someone re-locked between our read and rename: give back
        with contextlib.suppress(OSError):
            os.link(aside, path)
    aside.unlink(missing_ok=True)
    logger.warning("broke the stale lock %s (owner %s)", path, owner)
    return True


def _is_this_host(owner: dict) -> bool:
    return owner.get("host") == socket.gethostname()


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
