"""Section C of the report: the Fashion-MNIST studies, the original beside scikit-learn and us.

Every sweep folder under ``section_c/`` whose study declared its view (``view.json``) becomes
one subsection (:mod:`~scratchnet.report.study_section`), in the order of the views' titles.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.report import study_section
from scratchnet.report.document import Note, Paragraph, Section, guarded
from scratchnet.runfiles import RunFolderError


def build(folder: Path) -> Section:
    """The section from ``folder/<study>/`` sweep folders; a missing section is noted."""
    section = Section("Section C: Fashion-MNIST studies", anchor="section-c")
    section.blocks.append(
        Paragraph(
            "Each study runs with scikit-learn's MLPClassifier / MLPRegressor (the original "
            "study's tool) and with scratchnet's estimators on the same data, beside the original "
            "study's figures; the improved rows use a recipe of our own with scratchnet."
        )
    )
    found = studies(folder)
    if not found:
        section.blocks.append(Note(f"Not run: no studies in {folder}.", "missing"))
    section.subsections = [
        guarded(title, lambda f=study: study_section.build(f)) for title, study in found
    ]
    return section


def studies(folder: Path) -> list[tuple[str, Path]]:
    """(title, folder) of every study with a view, sorted by title; a damaged view keeps its
    folder's name as title (its section then says what is wrong)."""
    found = []
    for study in sorted(p for p in folder.glob("*") if study_section.has_view(p)):
        try:
            found.append((study_section.view_title(study), study))
        except RunFolderError:
            found.append((study.name, study))
    return sorted(found, key=lambda item: item[0])
