"""The sections of a run's report, in order, as the run declared them (``report.json`` at its
root: title, subtitle and sections, each a folder with its parts; see
:class:`scratchnet.views.RunView`). A study folder the plan does not name, with a view of
its own, is shown too: after the planned parts of its section, or in a section of its own
folder's name, after the planned ones (so a run folder without a plan gets one section per
sub-folder).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from scratchnet.runfiles import JsonView, read_json
from scratchnet.views import RUN_VIEW_FILE, VIEW_FILE, RunView, SectionView

WORKED_EXAMPLES = "worked-examples"  # a section of the theory exercises' files
DEFAULT_TITLE = "scratchnet: the study, reproduced"


def read(run_dir: Path) -> RunView:
    """The run's plan from ``report.json``, or one made from its folders (see the module
    docstring); RunFolderError if ``report.json`` is damaged."""
    path = run_dir / RUN_VIEW_FILE
    found = _from_folders(run_dir)
    if not path.exists():
        return RunView(DEFAULT_TITLE, "", tuple(found.values()))
    plan = read_json(path)
    planned = [_section(s) for s in plan["sections"].items()]
    sections = [_with_unplanned(s, found.pop(s.folder, None)) for s in planned]
    title, subtitle = plan["title"].text(), plan.get("subtitle", "").text()
    return RunView(title, subtitle, (*sections, *found.values()))


def _with_unplanned(planned: SectionView, found: SectionView | None) -> SectionView:
    """``planned`` with the parts found in its folder that it does not list, after its own."""
    extra = tuple(p for p in (found.parts if found else ()) if p not in planned.parts)
    return replace(planned, parts=planned.parts + extra)


def _section(view: JsonView) -> SectionView:
    return SectionView(
        view["title"].text(),
        view["folder"].text(),
        view.get("anchor", "").text(),
        view.get("intro", "").text(),
        tuple(part.text() for part in view.get("parts", []).items()),
        view.get("kind", "studies").text(),
    )


def _from_folders(run_dir: Path) -> dict[str, SectionView]:
    """A section per sub-folder with studies' views (or the worked examples' files), by name."""
    sections = {}
    for folder in sorted(p for p in run_dir.glob("*") if p.is_dir()):
        parts = sorted(p for p in folder.glob("*") if (p / VIEW_FILE).is_file())
        if (folder / "comparisons.json").is_file():
            sections[folder.name] = SectionView(folder.name, folder.name, kind=WORKED_EXAMPLES)
        elif parts or (folder / VIEW_FILE).is_file():
            names = tuple(p.relative_to(run_dir).as_posix() for p in parts)
            sections[folder.name] = SectionView(folder.name, folder.name, parts=names)
    return sections
