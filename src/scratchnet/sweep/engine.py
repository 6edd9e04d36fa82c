"""The sweep engine: run every cell of a study's grid once, resumably, in parallel or on Dask.

A *study* (the original's MNIST activation x initialization grid, a Fashion-MNIST comparison, ...)
says what its cells are and how to run one; this engine owns everything else.

The contract a study implements
-------------------------------
::

    @dataclass(frozen=True)
    class Cell:                 # scratchnet.sweep.cells.Cell, re-exported here
        key: str                # unique folder name within the sweep
        params: dict            # JSON-safe settings of this cell

    class Study(Protocol):
        name: str               # registry name: `study = "..."` in config files
        def parse_config(self, table: dict, where: str) -> Any
        def cells(self, config) -> list[Cell]
        def run_cell(self, config, cell: Cell, cell_dir: Path) -> dict
        def summarize(self, config, results: list[dict], out_dir: Path) -> None
        # optional:
        def describe(self, config, record: dict) -> str     # one line for a complete cell
        def cell_inputs(self, config, cell: Cell) -> dict   # what a cell's result depends on
        def view(self, config) -> StudyView      # its part of the report (scratchnet.views)

* ``parse_config`` gets the config file's table *without* its ``study`` key and ``where`` (the
  file name, for messages); it validates every key (raise :class:`~scratchnet.errors.ConfigError`
  naming ``where`` and the key) and returns a picklable config object, which is sent to the
  workers as is.
* ``cells`` lists the grid, in the order tables show it; keys must be unique.
* ``run_cell`` trains one cell and writes its files (model, history, ...) into ``cell_dir``, a
  private temp folder on the worker; it returns JSON-safe metrics. It must not use the names
  in :data:`~scratchnet.sweep.cells.RESERVED`. A :class:`~scratchnet.errors.DivergenceError`
  marks the cell *failed* (its ``history`` is kept) and the sweep goes on; any other exception
  stops the sweep. For an epoch bar, pass :func:`~scratchnet.sweep.progress.
  epoch_bars_enabled` to the estimator's ``verbose``; load data through
  :func:`scratchnet.data.prepare_cache.prepared` (once per worker process). Results must
  depend only on ``config`` and ``cell`` (seeds included), never on where they ran.
* ``summarize`` writes tables and figures into ``out_dir`` from ``results`` and the cell
  folders only (``out_dir / "cells" / key``); it runs after every sweep, rebuilding from
  scratch.
* ``view`` declares what the report shows of the study (title, intro, tables, figures and
  their captions); the engine writes it as ``view.json`` after every summary.

``results`` (what :func:`run_sweep` returns and ``summarize`` receives) holds one engine record
per finished cell, in grid order: ``{"key", "params", "status": "complete", "metrics": <what
run_cell returned>, "seconds", "blas_threads"}`` or ``{"key", "params", "status": "failed",
"error", "error_type", "epoch", "history", "seconds", "blas_threads"}``. Cells not finished
yet are absent.

The engine imports no study: the caller passes ``lookup``, which finds a study by name
(:mod:`scratchnet.studies.registry` holds the package's studies).

What the engine does
--------------------
* reads the config (a TOML path or a table), dispatches on its ``study`` key;
* writes ``out_dir/sweep.json`` (the study and its config; a copy of the TOML text as
  ``config.toml``, written first and restored by a rerun if it is missing) and refuses to
  resume into a folder made from a different config, unless the study declares each cell's
  inputs and no finished cell's changed (:mod:`scratchnet.sweep.resume`);
* skips finished cells (see :mod:`scratchnet.sweep.cells` for the folder protocol and the
  per-cell locks that keep two sweeps on one folder from running the same cell);
* runs the rest through joblib (:mod:`scratchnet.sweep.backends`): in this process,
  on ``n_jobs`` local workers, or on a Dask cluster, each cell with a pinned number of BLAS
  threads (``blas_threads``, 1 by default) so that its numbers do not depend on where it ran;
  each result comes back to this process, which writes the cell's folder atomically and
  marks it complete last;
* rebuilds ``results`` from the cell folders and calls the study's ``summarize``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from scratchnet.errors import ConfigError, DivergenceError
from scratchnet.fileio import (
    remove_stray_temp_files,
    write_json,
    write_text,
    writer_alive,
    writer_tag,
)
from scratchnet.numbers import significant
from scratchnet.runfiles import read_json
from scratchnet.runformat import FORMAT, FORMAT_KEY, upgrade
from scratchnet.sweep import backends, cells, resume
from scratchnet.sweep.cells import Cell
from scratchnet.sweep.killpoints import kill_point
from scratchnet.sweep.progress import GridProgress, epoch_bars

__all__ = [
    "Cell", "CellOutcome", "Study", "StudyLookup", "collect_results", "execute_cell", "load_sweep",
    "run_sweep",
]  # fmt: skip

logger = logging.getLogger(__name__)

SWEEP_FILE = "sweep.json"
CONFIG_COPY = "config.toml"
CELLS = "cells"


@runtime_checkable
class Study(Protocol):
    """What a study provides to the engine (see the module docstring)."""

    name: str

    def parse_config(self, table: dict, where: str) -> Any: ...

    def cells(self, config: Any) -> list[Cell]: ...

    def run_cell(self, config: Any, cell: Cell, cell_dir: Path) -> dict: ...

    def summarize(self, config: Any, results: list[dict], out_dir: Path) -> None: ...


#: ``lookup(name, where)``: the study called ``name``, or ConfigError naming ``where``.
StudyLookup = Callable[[str, str], Study]


@dataclass
class CellOutcome:
    """What a worker sends back: the cell's files and its engine record."""

    key: str
    record: dict
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.record["status"] == "failed"


# --- the sweep ------------------------------------------------------------------------------------


def run_sweep(
    config_path_or_table: str | os.PathLike[str] | Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    lookup: StudyLookup,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: Any = None,
    progress: bool = True,
    only: Sequence[str] | None = None,
    retry_failed: bool = False,
    blas_threads: int | None = 1,
    quick: bool = False,
    engines: Sequence[str] | None = None,
) -> list[dict]:
    """Run (or resume) the sweep a config describes; return every finished cell's record, in
    grid order (see the module docstring).

    Parameters
    ----------
    config_path_or_table : path or mapping
        A TOML file, or its table, whose ``study`` key names a study ``lookup`` finds.
    out_dir : path
        The sweep's folder: ``sweep.json``, ``cells/<key>/``, the study's tables and figures.
    lookup : callable
        ``lookup(name, where)``: the study called ``name`` (the engine knows none).
    n_jobs, backend, scheduler
        Cells run at once (``-1``: one per core or Dask thread), on ``"loky"`` or ``"dask"``
        (``scheduler``: ``tcp://host:port`` or a ``distributed.Client``).
    progress : bool
        Draw the bars and print each finished cell's line.
    only, engines : sequence of str, optional
        Run only these cell keys, or the cells whose ``params["engine"]`` is one of these;
        the config and the summary are unchanged.
    retry_failed : bool
        Rerun cells that failed before instead of keeping their failure.
    blas_threads : int or None
        BLAS threads per cell, wherever it runs (1: its numbers do not depend on where it ran;
        None: the BLAS's default, whose last digits depend on the machine).
    quick : bool
        Merge the config's ``[quick]`` table (subsets, few epochs) over it first.
    """
    backends.check(backend, n_jobs, scheduler)
    _check_blas_threads(blas_threads)
    study, config, grid, selected, out, root = _open_sweep(
        config_path_or_table, out_dir, lookup, quick, only, engines
    )
    tasks = _Tasks(study, config, root, _finished_states(retry_failed), blas_threads)
    _run_selected(tasks, selected, progress, backend=backend, n_jobs=n_jobs, scheduler=scheduler)
    return _summarized(study, config, grid, out)


def _open_sweep(
    source: Any,
    out_dir: str | os.PathLike[str],
    lookup: StudyLookup,
    quick: bool,
    only: Sequence[str] | None,
    engines: Sequence[str] | None,
) -> tuple[Study, Any, list[Cell], list[Cell], Path, Path]:
    """Read and check the config, list its grid and the cells selected to run, then create or
    reopen the sweep's folder: the study, its config, the grid, the selection, the folder and
    its ``cells/``."""
    table, where, text = _read_config(source, quick)
    study, config = _parse(table, where, lookup)
    grid = _grid(study, config, where)
    selected = _select(grid, only, engines, where)
    out = Path(out_dir)
    root = _open_folder(out, table, text, where, partial(_parse, lookup=lookup))
    return study, config, grid, selected, out, root


def _finished_states(retry_failed: bool) -> set[str]:
    """The states of a cell that is not run again: complete, and failed unless retrying."""
    return {"complete", "failed"} if not retry_failed else {"complete"}


def _summarized(study: Study, config: Any, grid: list[Cell], out: Path) -> list[dict]:
    """The finished cells' records, in grid order, after the study's summary and view are
    written from them."""
    results = collect_results(out, grid)
    study.summarize(config, results, out)
    _write_view(study, config, out)
    return results


def _run_selected(tasks: _Tasks, selected: list[Cell], progress: bool, **where: Any) -> None:
    """Run the selected cells not finished yet, with the bars; warn of those left to another
    sweep running on the same folder."""
    pending = [cell for cell in selected if cells.state(tasks.root, cell.key) not in tasks.finished]
    bar = GridProgress(len(selected), len(selected) - len(pending), tasks.study.name, progress)
    workers = backends.workers(where["backend"], where["n_jobs"], len(pending))  # <= cells
    in_process = backends.in_process(where["backend"], workers)
    with contextlib.closing(bar), epoch_bars(progress and in_process):
        _run(tasks, pending, bar, **{**where, "n_jobs": workers})
    if tasks.busy:
        logger.warning(
            "%d cell(s) left to another running sweep on %s: %s",
            len(tasks.busy),
            tasks.root.parent,
            ", ".join(tasks.busy),
        )


def _open_folder(
    out: Path, table: Mapping[str, Any], text: str | None, where: str, parse: resume.Parser
) -> Path:
    """Create or reopen the sweep folder (checking its config); return its ``cells/``."""
    root = out / CELLS
    root.mkdir(parents=True, exist_ok=True)
    upgrade(out)  # a folder of an older format (scratchnet.runformat) resumes as a new one
    _record_config(out, table, text, where, parse)
    remove_stray_temp_files(out)  # of killed summaries and claims; a live writer's are kept
    cells.remove_stale_locks(root)  # of killed sweeps, finished cells' included
    return root


def _run(tasks: _Tasks, pending: list[Cell], bar: GridProgress, **where_to_run: Any) -> None:
    """Run the pending cells; write each finished one's folder here, then release its lock."""
    try:
        for outcome in backends.run_unordered(tasks.claim(pending), **where_to_run):
            cells.commit(tasks.root, outcome.key, outcome.files, outcome.record, outcome.failed)
            kill_point("cell-committed")
            cells.unlock(tasks.root, outcome.key)
            tasks.claimed.discard(outcome.key)
            bar.cell_finished(_describe(tasks.study, tasks.config, outcome.record))
    finally:
        for key in tasks.claimed:
            cells.unlock(tasks.root, key)


def collect_results(out_dir: str | os.PathLike[str], grid: Iterable[Cell]) -> list[dict]:
    """The engine records of the finished cells of ``grid``, read from ``out_dir/cells``."""
    root = Path(out_dir) / CELLS
    records = (cells.read_record(root, cell.key) for cell in grid)
    return [record for record in records if record is not None]


def load_sweep(
    out_dir: str | os.PathLike[str], lookup: StudyLookup
) -> tuple[Study, Any, list[Cell], list[dict]]:
    """Reopen a sweep folder: its study (found by ``lookup``), parsed config, grid and records."""
    out = Path(out_dir)
    path = out / SWEEP_FILE
    if not path.is_file():
        raise ConfigError(f"{out} is not a sweep folder: it has no {SWEEP_FILE}")
    table = read_json(path)["config"].expect(dict)
    study, config = _parse(table, str(path), lookup)
    grid = _grid(study, config, str(path))
    return study, config, grid, collect_results(out, grid)


# --- the worker side ------------------------------------------------------------------------------


def execute_cell(study: Study, config: Any, cell: Cell, blas_threads: int | None) -> CellOutcome:
    """Run one cell in a private temp folder and pack its files and record (on a worker)."""
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(blas_threads) if blas_threads else contextlib.nullcontext()
    record: dict[str, Any] = {"key": cell.key, "params": cell.params}
    _remove_orphan_cell_folders()
    prefix = f"{CELL_TEMP_PREFIX}{writer_tag()}.{cell.key}."
    with limits, tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        start = time.perf_counter()
        try:
            metrics = study.run_cell(config, cell, Path(tmp))
        except DivergenceError as exc:
            record.update(
                status="failed",
                error=str(exc),
                error_type=type(exc).__name__,
                epoch=getattr(exc, "epoch", None),
                history=getattr(exc, "history", None),
            )
        else:
            if not isinstance(metrics, Mapping):
                raise TypeError(
                    f"study {study.name!r}: run_cell must return a dict of metrics, "
                    f"got {type(metrics).__name__}"
                )
            record.update(status="complete", metrics=dict(metrics))
        record["seconds"] = time.perf_counter() - start
        record["blas_threads"] = blas_threads
        files = _pack(Path(tmp), study.name)
    return CellOutcome(cell.key, cells.json_safe(record), files)


CELL_TEMP_PREFIX = "scratchnet-cell-"


def _remove_orphan_cell_folders() -> None:
    """Delete private cell folders that killed workers left in the system temp folder."""
    import shutil

    for folder in Path(tempfile.gettempdir()).glob(f"{CELL_TEMP_PREFIX}*"):
        tag = folder.name[len(CELL_TEMP_PREFIX) :].split(".", 1)[0]
        if folder.is_dir() and not writer_alive(tag, folder):
            shutil.rmtree(folder, ignore_errors=True)


def _pack(folder: Path, study_name: str) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path; refuses the engine's names."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            if name in cells.RESERVED:
                raise ValueError(
                    f"study {study_name!r} wrote {name!r}, a name the engine reserves "
                    f"({', '.join(sorted(cells.RESERVED))})"
                )
            files[name] = path.read_bytes()
    return files


# --- steps of run_sweep ---------------------------------------------------------------------------


def _check_blas_threads(value: Any) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"blas_threads must be a positive integer or None, got {value!r}")


def _read_config(source: Any, quick: bool) -> tuple[dict, str, str | None]:
    """The config table (``[quick]`` applied or dropped), a name for messages, and the TOML
    text when read from a file."""
    from scratchnet.config import apply_quick, parse_toml, read_toml_text

    if isinstance(source, Mapping):
        return apply_quick(source, quick, "config table"), "config table", None
    path = Path(source)
    text = read_toml_text(path)
    return apply_quick(parse_toml(text, path), quick, str(path)), str(path), text


def _parse(table: Mapping[str, Any], where: str, lookup: StudyLookup) -> tuple[Study, Any]:
    if "study" not in table:
        raise ConfigError(f"{where}: missing key 'study' (which study the sweep runs)")
    study = lookup(table["study"], where)
    body = {key: value for key, value in table.items() if key != "study"}
    return study, study.parse_config(body, where)


def _grid(study: Study, config: Any, where: str) -> list[Cell]:
    grid = list(study.cells(config))
    keys = [cell.key for cell in grid]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ConfigError(f"{where}: the grid repeats cell keys {', '.join(duplicates)}")
    if not grid:
        raise ConfigError(f"{where}: the grid is empty")
    return grid


def _select(grid: list[Cell], only, engines: Sequence[str] | None, where: str) -> list[Cell]:
    """The cells ``only`` names (all if none), of the ``engines`` given (cells without an
    engine always run)."""
    return [
        cell
        for cell in _named(grid, only, where)
        if engines is None or cell.params.get("engine", engines[0]) in engines
    ]


def _named(grid: list[Cell], only: Sequence[str] | None, where: str) -> list[Cell]:
    if not only:
        return grid
    known = {cell.key for cell in grid}
    unknown = [key for key in only if key not in known]
    if unknown:
        raise ConfigError(
            f"--only: no cell {', '.join(map(repr, unknown))} in the grid of {where}; "
            f"cells: {', '.join(sorted(known))}"
        )
    return [cell for cell in grid if cell.key in set(only)]


def _canonical(table: Mapping[str, Any]) -> dict:
    return json.loads(json.dumps(table, sort_keys=True, default=str))


def _record_config(
    out: Path, table: Mapping[str, Any], text: str | None, where: str, parse: resume.Parser
) -> None:
    """Write ``sweep.json`` and ``config.toml``, or check that they match this config (or
    that no finished cell depends on what changed: :mod:`scratchnet.sweep.resume`).

    ``config.toml`` is written first and ``sweep.json``, which makes the folder a sweep, last;
    a rerun restores a missing ``config.toml``. So a kill between the two writes leaves a
    folder the next run completes.
    """
    path = out / SWEEP_FILE
    current = _canonical(table)
    recorded = path.exists()
    changed = False
    if recorded:
        saved = read_json(path)["config"].expect(dict)
        if saved != current:
            differences = _differences(saved or {}, current)
            resume.check_change(saved, current, out / CELLS, where, parse, differences)
            shown = "; ".join(d if len(d) <= 80 else d[:77] + "..." for d in differences)
            logger.warning("%s: resuming under a changed config (%s)", out, shown)
            changed = True
    if text is not None and (changed or not (recorded and (out / CONFIG_COPY).is_file())):
        write_text(out / CONFIG_COPY, text)
        kill_point("sweep-config-copied")
    if changed or not recorded:
        record = {"study": table["study"], "config": current, "source": where}
        write_json(path, {**record, FORMAT_KEY: FORMAT})


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two tables, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            name = f"{prefix}{key}"
            if key not in old:
                found.append(f"{name} is new")
            elif key not in new:
                found.append(f"{name} was removed")
            else:
                found += _differences(old[key], new[key], f"{name}.")
        return found
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]


@dataclass
class _Tasks:
    """The cells this sweep claims: each is locked only when a worker is ready for it."""

    study: Study
    config: Any
    root: Path
    finished: set[str]
    threads: int | None
    claimed: set[str] = field(default_factory=set)
    busy: list[str] = field(default_factory=list)

    def claim(self, pending: list[Cell]) -> Iterator[backends.Task]:
        """Tasks for the pending cells another sweep has not finished or locked meanwhile."""
        for cell in pending:
            if cells.state(self.root, cell.key) in self.finished:
                continue  # another sweep finished it meanwhile
            if not cells.try_lock(self.root, cell.key):
                self.busy.append(cell.key)
                continue
            self.claimed.add(cell.key)
            cells.remove_temp_dirs(self.root, cell.key)
            if cells.state(self.root, cell.key) in self.finished:  # between check and lock
                cells.unlock(self.root, cell.key)
                self.claimed.discard(cell.key)
                continue
            cells.discard(self.root, cell.key)  # a failed cell being retried, or broken
            yield execute_cell, (self.study, self.config, cell, self.threads)


def _write_view(study: Study, config: Any, out: Path) -> None:
    """The study's :class:`~scratchnet.views.StudyView` as ``view.json``, if it has one."""
    from scratchnet.views import write_view

    view = getattr(study, "view", None)
    if view is not None:
        write_view(out, view(config))


def _describe(study: Study, config: Any, record: dict) -> str:
    """One line for a finished cell: its error, or the study's ``describe`` of its metrics."""
    if record["status"] != "complete":
        return f"{record['key']}: FAILED ({record.get('error')})"
    describe = getattr(study, "describe", None)
    if describe is not None:
        return describe(config, record)
    metrics = list(record["metrics"].items())[:4]
    shown = ", ".join(f"{name} {significant(value, missing='None')}" for name, value in metrics)
    return f"{record['key']}: {shown} ({record['seconds']:.1f} s)"
