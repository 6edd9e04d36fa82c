"""The views of a run folder's studies, written where they are missing or of an older format:
by ``scratchnet reproduce`` before it runs (so that a study not run yet shows as such) and
after, and by ``scratchnet report``. For a reproduction also the run's plan (``report.json``:
its sections in order, :func:`scratchnet.studies.plan.run_view`) and each section's view
across its parts, from the study that declares one (``summarize_parts``). A folder of an older
format is first brought to the current one (:func:`scratchnet.runformat.upgrade`)."""

from __future__ import annotations

from pathlib import Path

from scratchnet import runformat
from scratchnet.config import apply_quick, read_toml
from scratchnet.errors import ConfigError
from scratchnet.runfiles import RunFolderError, read_json
from scratchnet.studies import registry
from scratchnet.studies.plan import PLAN, Step, configs_folder, run_view, section_of
from scratchnet.sweep.engine import SWEEP_FILE
from scratchnet.views import VIEW_FILE, write_view


def complete_views(run_dir: str | Path, configs: Path | None = None) -> list[Path]:
    """Write the missing or outdated ``view.json`` of a sweep folder, or of a reproduction's
    study folders (their study known from the plan, or from the step's config in
    ``configs`` when the folder has no ``sweep.json``), with the run's ``report.json`` and
    its sections' views; return the views written. A folder whose sweep file is damaged is
    left as it is (its report says what is wrong)."""
    run_dir = Path(run_dir)
    runformat.upgrade(run_dir)
    if (run_dir / SWEEP_FILE).is_file():
        return _complete(run_dir, None, configs)
    if not (any(run_dir.glob("section_*")) or (run_dir / "timings.json").is_file()):
        return []  # not a run folder: nothing to add
    write_view(run_dir, run_view())
    written = [path for step in PLAN if step.study for path in _complete(run_dir, step, configs)]
    _summarize_sections(run_dir)
    return written


def _complete(run_dir: Path, step: Step | None, configs: Path | None) -> list[Path]:
    folder = run_dir / step.folder if step else run_dir
    if _current(folder / VIEW_FILE):
        return []
    view = _view(folder, step, configs)
    if view is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return [write_view(folder, view)]


def _current(path: Path) -> bool:
    """Whether a view is there in the current format (or too damaged to replace)."""
    if not path.exists():
        return False
    try:
        return read_json(path).value.get(runformat.FORMAT_KEY) == runformat.FORMAT
    except RunFolderError:
        return True


def _view(folder: Path, step: Step | None, configs: Path | None):
    """The study's view: its fixed one, else from the folder's config, else from the step's;
    None if none can be read."""
    study = registry.STUDIES.get(step.study) if step and step.study else None
    if study is not None and hasattr(study, "VIEW"):
        return study.VIEW
    readers = [lambda: registry.load_sweep(folder)[:2]] if (folder / SWEEP_FILE).is_file() else []
    readers += [lambda: _step_config(step, configs)] if step is not None and step.config else []
    for read in readers:
        try:
            study, config = read()
        except (ConfigError, RunFolderError, OSError):
            continue
        view = getattr(study, "view", None)
        return None if view is None else view(config)
    return None


def _step_config(step: Step, configs: Path | None):
    """The study and parsed config of a step, from its file in the configs folder."""
    path = (configs or configs_folder()) / step.config
    table = apply_quick(read_toml(path), False, str(path))  # its view does not depend on it
    study = registry.get_study(table.get("study"), str(path))
    body = {key: value for key, value in table.items() if key != "study"}
    return study, study.parse_config(body, str(path))


def _summarize_sections(run_dir: Path) -> None:
    """Each section's view across its parts, where the parts' study declares one."""
    for section in run_view().sections:
        steps = [step for step in PLAN if section_of(step) == section.folder and step.study]
        names = {step.study for step in steps}
        study = registry.STUDIES.get(names.pop()) if len(names) == 1 else None
        summarize = getattr(study, "summarize_parts", None)
        if summarize is not None:
            summarize(run_dir / section.folder, [run_dir / step.folder for step in steps])
