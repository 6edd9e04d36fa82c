"""Build the report (``report.html`` and ``report.md``) from a reproduction's run folder.

The folder holds ``environment.json`` and ``timings.json`` (written by ``scratchnet reproduce``),
``report.json`` (the run's plan: title and sections in order, see :mod:`scratchnet.report.plan`)
and one sub-folder per section. Nothing is trained or recomputed here: a section whose files are
missing says so in the report. A damaged file (see :mod:`scratchnet.runfiles`) takes out only
the part of the report that reads it, which says so; :func:`write_report` writes the rest and
then raises :class:`DamagedRunFolderError` listing what was left out.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.fileio import write_text
from scratchnet.report import html, markdown, plan, sections, study_section, summary
from scratchnet.report.document import Document, Note, Section, guarded
from scratchnet.runfiles import JsonView, RunFolderError, read_json

SWEEP_SUBTITLE = "One sweep, from the files of its folder: its table and its figures."


class DamagedRunFolderError(RunFolderError):
    """The report was written, but some of the run folder's files are damaged."""


def build_document(run_dir: Path) -> Document:
    """The report's document model for ``run_dir``: a reproduction, or one sweep's folder."""
    if study_section.has_view(run_dir):
        return _sweep_document(run_dir)
    problems: list[str] = []
    header = _guarded_header(_environment, run_dir / "environment.json", problems)
    header += _guarded_header(_timings, run_dir / "timings.json", problems)
    try:
        planned = plan.read(run_dir)
    except RunFolderError as exc:
        damaged = Section("The run's plan", [Note(str(exc), "damaged")])
        return Document(plan.DEFAULT_TITLE, "", header, [damaged], problems)
    parts = [sections.build(run_dir, section) for section in planned.sections]
    summary.anchor_all(parts)
    first_screen = summary.build(run_dir, planned)
    return Document(planned.title, planned.subtitle, header, parts, problems, first_screen)


def _sweep_document(run_dir: Path) -> Document:
    """The report of one sweep (``scratchnet sweep``'s folder): its study's section alone."""
    try:
        title = study_section.view_title(run_dir)
    except RunFolderError:
        title = run_dir.name  # the section says what is wrong with the view
    section = guarded(title, lambda: study_section.build(run_dir), anchor="study")
    return Document(f"scratchnet: {title}", SWEEP_SUBTITLE, [], [section], [])


def write_report(run_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` into ``run_dir``; return their paths.

    Raises
    ------
    DamagedRunFolderError
        After writing both files, if parts were left out because their files are damaged;
        the message names the first few files and what is wrong with them.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        from scratchnet.errors import ConfigError

        raise ConfigError(f"run folder {run_dir} does not exist")
    doc = build_document(run_dir)
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    write_text(html_path, html.render(doc))
    write_text(md_path, markdown.render(doc, run_dir))
    damaged = doc.damaged()
    if damaged:
        shown = "; ".join(damaged[:3]) + (
            f"; and {len(damaged) - 3} more" if len(damaged) > 3 else ""
        )
        raise DamagedRunFolderError(
            f"wrote {html_path} and {md_path.name} without {len(damaged)} part(s) whose files "
            f"are damaged: {shown}"
        )
    return html_path, md_path


def _guarded_header(read, path: Path, problems: list[str]) -> list[tuple[str, str]]:
    """``read(path)``'s header lines, or one line saying the file is damaged (and why, also
    appended to ``problems``)."""
    if not path.exists():
        return []
    try:
        return read(read_json(path))
    except RunFolderError as exc:
        problems.append(str(exc))
        return [("left out, a file is damaged", str(exc))]


def _environment(environment: JsonView) -> list[tuple[str, str]]:
    return [(key, value.scalar()) for key, value in environment.entries()]


def _timings(timings: JsonView) -> list[tuple[str, str]]:
    header = []
    if "quick" in timings.value:
        quick = timings["quick"].expect(bool)
        header.append(("mode", "quick (subsets, few epochs)" if quick else "full"))
    studies = [
        (e["study"].text(), e["seconds"].number()) for e in timings.get("studies", []).items()
    ]
    header += [(f"wall time, {study}", _duration(seconds)) for study, seconds in studies]
    if studies:
        header.append(("wall time, total", _duration(sum(s for _, s in studies))))
    return header


def _duration(seconds: float) -> str:
    """``12.3 s`` or ``4 min 05 s``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
