"""Build the report (``report.html`` and ``report.md``) from a reproduction's run folder.

The folder holds ``environment.json`` and ``timings.json`` (written by ``scratchnet reproduce``)
and one sub-folder per section. Nothing is trained or recomputed here: a section whose files are
missing says so in the report.
"""

from __future__ import annotations

import json
from pathlib import Path

from scratchnet.fileio import write_text
from scratchnet.report import html, markdown, section_a, section_b, section_c
from scratchnet.report.document import Document, Section

TITLE = "scratchnet: the study, reproduced"
SUBTITLE = (
    "Every experiment of the seed study (Sections A, B and C) rerun from scratch, with the "
    "seed's figures beside ours. Green cells beat the seed, red ones fall short."
)


def build_document(run_dir: Path) -> Document:
    """The report's document model for ``run_dir``."""
    environment = _read_json(run_dir / "environment.json")
    timings = _read_json(run_dir / "timings.json")
    header = [(key, str(value)) for key, value in environment.items()]
    if "quick" in timings:
        header.append(("mode", "quick (subsets, few epochs)" if timings["quick"] else "full"))
    studies = timings.get("studies", [])
    header += [(f"wall time, {entry['study']}", _duration(entry["seconds"])) for entry in studies]
    if studies:
        header.append(("wall time, total", _duration(sum(e["seconds"] for e in studies))))
    sections: list[Section] = [
        section_a.build(run_dir / "section_a"),
        section_b.build(run_dir / "section_b"),
        section_c.build(run_dir / "section_c"),
    ]
    return Document(TITLE, SUBTITLE, header, sections)


def write_report(run_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` into ``run_dir``; return their paths."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        from scratchnet.errors import ConfigError

        raise ConfigError(f"run folder {run_dir} does not exist")
    doc = build_document(run_dir)
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    write_text(html_path, html.render(doc))
    write_text(md_path, markdown.render(doc, run_dir))
    return html_path, md_path


def _duration(seconds: float) -> str:
    """``12.3 s`` or ``4 min 05 s``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}
