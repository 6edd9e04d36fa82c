"""A section of a run's report as its plan declares it: the theory exercises' section, or a
section of studies (the section folder's own view first, if it has one, then a subsection per
part with a study's view, in the plan's order). A damaged file takes out the part reading it.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.report import section_a, study_section
from scratchnet.report.document import Note, Paragraph, Section, guarded
from scratchnet.report.plan import WORKED_EXAMPLES
from scratchnet.runfiles import RunFolderError, read_json
from scratchnet.views import SectionView


def build(run_dir: Path, planned: SectionView) -> Section:
    """The section ``planned`` of the run folder ``run_dir``."""
    if planned.kind == WORKED_EXAMPLES:
        return section_a.build(run_dir / planned.folder, planned.title, planned.anchor)
    return guarded(planned.title, lambda: _studies(run_dir, planned), anchor=planned.anchor)


def parts(run_dir: Path, planned: SectionView) -> list[tuple[str, Path]]:
    """(title, folder) of the section's parts whose study declared a view; a damaged view
    keeps its folder's name as title (its part then says what is wrong)."""
    found = []
    for folder in (run_dir / part for part in planned.parts):
        if study_section.has_view(folder):
            try:
                found.append((study_section.view_title(folder), folder))
            except RunFolderError:
                found.append((folder.name, folder))
    return found


def _studies(run_dir: Path, planned: SectionView) -> Section:
    folder = run_dir / planned.folder
    section = Section(planned.title, anchor=planned.anchor)
    section.blocks += [Paragraph(planned.intro)] if planned.intro else []
    section.blocks += _own_view(folder)
    found = parts(run_dir, planned)
    if not found and not study_section.has_view(folder):
        section.blocks.append(Note(f"Not run: no studies in {folder}.", "missing"))
    section.subsections = [
        guarded(title, lambda f=part: study_section.build(f)) for title, part in found
    ]
    return section


def _own_view(folder: Path) -> list:
    """The blocks of the section folder's own view (a table across its parts), if run."""
    if not study_section.has_view(folder):
        return []
    try:
        found = study_section.blocks(folder, read_json(folder / study_section.VIEW_FILE))
    except RunFolderError as exc:
        return [Note(str(exc), "damaged")]
    return [] if any(isinstance(b, Note) and b.kind == "missing" for b in found) else found
