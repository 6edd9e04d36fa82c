"""The views of a run folder's studies, written where they are missing: by ``scratchnet
reproduce`` before it runs (so that a study not run yet shows as such), and by ``scratchnet
report`` for folders written before studies declared their views."""

from __future__ import annotations

from pathlib import Path

from scratchnet.errors import ConfigError
from scratchnet.runfiles import RunFolderError
from scratchnet.studies import registry
from scratchnet.studies.plan import PLAN
from scratchnet.sweep.engine import SWEEP_FILE
from scratchnet.sweep.views import VIEW_FILE, write_view


def complete_views(run_dir: str | Path) -> list[Path]:
    """Write the missing ``view.json`` of a sweep folder, or of a reproduction's study folders
    (their study known from the plan; a study with a fixed view gets its folder even if it has
    not run); return the files written. A folder whose sweep file is damaged is left as it is
    (its report says what is wrong)."""
    run_dir = Path(run_dir)
    if (run_dir / SWEEP_FILE).is_file():
        folders = [(run_dir, None)]
    elif any(run_dir.glob("section_*")) or (run_dir / "timings.json").is_file():
        folders = [(run_dir / step.folder, step.study) for step in PLAN if step.study]
    else:
        folders = []  # not a run folder: nothing to add
    written = []
    for folder, study in folders:
        if not (folder / VIEW_FILE).exists():
            view = _view(folder, study)
            if view is not None:
                folder.mkdir(parents=True, exist_ok=True)
                written.append(write_view(folder, view))
    return written


def _view(folder: Path, name: str | None):
    """The study's view: its fixed one, else from the folder's config; None if unreadable."""
    study = registry.STUDIES.get(name) if name else None
    if study is not None and hasattr(study, "VIEW"):
        return study.VIEW
    if not folder.is_dir():
        return None
    try:
        study, config, _, _ = registry.load_sweep(folder)
    except (ConfigError, RunFolderError, OSError):
        return None
    view = getattr(study, "view", None)
    return None if view is None else view(config)
