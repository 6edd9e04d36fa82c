"""``scratchnet reproduce``: every study of the original, in order, into one run folder, then
the report.

The plan is a list of steps, each a config file of ``configs/`` run through the sweep engine
(Section A is computed, not trained). A finished step is resumed for free: its cells are
already complete. ``quick`` merges each config's ``[quick]`` table (subsets, few epochs) over
it, so the whole pipeline runs in minutes with the same code.

Run folder::

    OUT/environment.json  timings.json  report.json (the report's plan)  report.html  report.md
    OUT/section_a/                      the worked examples
    OUT/section_b/{original,original_summed,improved}/   the MNIST sweeps
    OUT/section_b/comparison.csv  view.json               the protocols side by side
    OUT/section_c/{preprocessing,activations,gridsearch,autoencoder,features}/
    OUT/records/{mnist,fashion,autoencoder}/   the record studies (beyond the original)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from scratchnet.config import apply_quick, read_toml
from scratchnet.errors import ConfigError
from scratchnet.fileio import write_json
from scratchnet.runfiles import read_json
from scratchnet.studies.plan import PLAN, Step, configs_folder

logger = logging.getLogger(__name__)

ENGINES = ("sklearn", "scratchnet")


def step_table(step: Step, configs: Path, out: Path, *, quick: bool) -> dict[str, Any]:
    """The config table a step runs with: quick overrides and links between steps."""
    table = apply_quick(read_toml(configs / step.config), quick, str(configs / step.config))
    if step.folder == "section_c/features":  # reuse the autoencoders of the step before
        table.setdefault("options", {})["autoencoder"] = str(out / "section_c" / "autoencoder")
    return table


def estimate_minutes(
    quick: bool, engines: tuple[str, ...], finished: Collection[str] = ()
) -> float:
    """A rough duration on this machine of the run's steps not ``finished`` (their titles, as
    an earlier run recorded them in ``timings.json``), for the message shown up front."""
    if quick:
        return 3.0
    total = sum(step.full_minutes for step in PLAN if step.title not in finished)
    return total * (0.6 if engines == ("scratchnet",) else 1.0) * _speed_factor()


def reproduce(
    out: str | Path,
    *,
    quick: bool = False,
    engines: tuple[str, ...] = ENGINES,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    configs: str | Path | None = None,
    progress: bool = True,
    echo: Callable[[str], None] = logger.info,
) -> Path:
    """Run every step into ``out`` (resuming what is there) and write the report.

    Returns the path of ``report.html``.
    """
    from scratchnet.report.build import write_report
    from scratchnet.run import environment
    from scratchnet.studies.views import complete_views
    from scratchnet.sweep import backends

    out = Path(out)
    _check_engines(engines)
    backends.check(backend, n_jobs, scheduler)  # before Section A, not at the first sweep
    configs = Path(configs) if configs else configs_folder()
    tables = {
        step: step_table(step, configs, out, quick=quick) for step in PLAN if step.config
    }  # read every config first: fail fast
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "environment.json", environment.describe())
    complete_views(out, configs)  # a study not run yet shows in the report as such
    timings = _start_timings(out / "timings.json", quick, engines)
    finished = {entry["study"] for entry in timings["studies"]}
    minutes = estimate_minutes(quick, engines, finished)
    echo(
        f"reproducing the study into {out} ({'quick' if quick else 'full'} run, engines "
        f"{', '.join(engines)}); estimated duration ~{minutes:.0f} min"
        + (f" ({len(finished)} of {len(PLAN)} steps finished earlier)" if finished else "")
    )
    sweep_options = dict(
        n_jobs=n_jobs, backend=backend, scheduler=scheduler, progress=progress, engines=engines
    )
    _run_plan(out, tables, timings, sweep_options, echo)
    complete_views(out, configs)  # and the views across studies, from their results
    html_path, md_path = write_report(out)
    echo(f"report: {html_path} (and {md_path.name})")
    return html_path


def _check_engines(engines: tuple[str, ...]) -> None:
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or not engines:
        raise ConfigError(f"--engine must be among {', '.join(ENGINES)}, got {list(engines)}")


def _run_plan(out: Path, tables: dict, timings: dict, sweep_options: dict, echo) -> None:
    """Run every step of the plan in order, recording each one's time in ``timings.json``."""
    for number, step in enumerate(PLAN, start=1):
        echo(f"[{number}/{len(PLAN)}] {step.title}")
        seconds = _run_step(step, tables.get(step), out, sweep_options)
        # A step finished by an earlier run keeps the time of the run that did the work.
        if not any(entry["study"] == step.title for entry in timings["studies"]):
            timings["studies"].append({"study": step.title, "seconds": round(seconds, 1)})
        write_json(out / "timings.json", timings)
        echo(f"    done in {seconds:.1f} s")


def _run_step(step: Step, table: dict | None, out: Path, sweep_options: dict) -> float:
    """Run one step (Section A's exercises, or a study's sweep); return its seconds."""
    from scratchnet.studies import worked_examples
    from scratchnet.studies.registry import run_sweep

    start = time.perf_counter()
    if step.config is None:
        worked_examples.run(out / step.folder)
    else:
        run_sweep(table, out / step.folder, **sweep_options)
    return time.perf_counter() - start


def _start_timings(path: Path, quick: bool, engines: tuple[str, ...]) -> dict:
    """The run's ``timings.json`` so far; ConfigError if it is a run of the other mode."""
    timings = _read_timings(path)
    if timings.get("quick", quick) != quick:
        raise ConfigError(
            f"{path.parent} holds a {'quick' if timings['quick'] else 'full'} run; use another "
            f"--out for a {'quick' if quick else 'full'} one"
        )
    timings.update(quick=quick, engines=list(engines))
    timings.setdefault("studies", [])  # in the plan's order
    return timings


def _speed_factor() -> float:
    """How much slower this machine's float32 matrix products are than the reference's."""
    import numpy as np

    # sgemm at 128x784x256 on the 2-core reference machine, quiet: 89-120 GFLOP/s (median 97)
    reference_gflops = 100.0
    a = np.ones((128, 784), np.float32)
    b = np.ones((784, 256), np.float32)
    a @ b
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < 0.2:
        a @ b
        count += 1
    gflops = 2 * 128 * 784 * 256 * count / (time.perf_counter() - start) / 1e9
    return max(reference_gflops / gflops, 0.25)


def _read_timings(path: Path) -> dict:
    """The ``timings.json`` of an earlier run into this folder, checked; ``{}`` if absent."""
    if not path.exists():
        return {}
    timings = read_json(path)
    if "quick" in timings.value:
        timings["quick"].expect(bool)
    for entry in timings.get("studies", []).items():
        entry["study"].text()
        entry["seconds"].number()
    return dict(timings.value)
