"""`scratchnet reproduce --quick` end to end: every study, the report in a real browser, and a
rerun that resumes everything and rewrites the same report."""

import csv
import re

import pytest

from golden_tables import GOLDEN, differences, snapshot, tolerance
from scratchnet.cli import main

from browser import check_page

STUDY_TITLES = [
    "Section A: worked examples",
    "Q1(a)",
    "Q1(b)",
    "Q3",
    "Section B: activations and initializations on MNIST",
    "The original study's protocol, as written",
    "summed batch gradient",
    "An improved recipe",
    "Section C: Fashion-MNIST studies",
    "C.1 Preprocessing",
    "C.2 Activations",
    "C.3 Grid search",
    "C.4 Autoencoder",
    "C.5 Hidden features",
    "Records: how far the original's networks go",
    "Record: MNIST",
    "Record: Fashion-MNIST, the original's hidden layers",
    "Record: Fashion-MNIST autoencoder",
]
#: SVM; heatmap + loss grid per MNIST protocol; Fashion figures; the records' curves (and
#: augmented samples where a step augments: MNIST and Fashion-MNIST)
FIGURES = 1 + 3 * 2 + 6 + 3 + 3 + 1


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    assert main(["reproduce", "--quick", "--out", str(out), "--no-progress"]) == 0
    return out


def test_the_report_lists_every_study_with_tables_and_figures(quick_run):
    md = (quick_run / "report.md").read_text()
    for title in STUDY_TITLES:
        assert title in md, title
    assert "Not run" not in md
    assert md.count("![") == FIGURES
    assert md.count("| the original |") >= 3 and "| activation | init | the original % |" in md
    for name in ("scikit-learn", "numpy", "cpu", "wall time, Section C.4: autoencoder"):
        assert f"**{name}" in md


def test_every_record_anchor_finds_its_figure_in_the_run(quick_run):
    # An anchor read from another study's table names a column and values that study writes.
    paths = sorted(quick_run.glob("records/*/record.csv"))
    assert len(paths) == 3
    for path in paths:
        rows = list(csv.reader(path.open()))[1:]
        assert len(rows) >= 4 and [row for row in rows if row[2] == ""] == [], path


def test_the_html_report_renders_in_chromium(quick_run):
    page = check_page(quick_run / "report.html", quick_run / "screenshot.png")
    assert len(page.images) == FIGURES
    assert all(i["complete"] and i["naturalWidth"] > 0 for i in page.images), page.images
    assert page.console_errors == []
    assert page.screenshot.stat().st_size > 50_000
    assert "Section C: Fashion-MNIST studies" in page.text


def test_a_rerun_resumes_everything_and_writes_the_same_report(quick_run, capsys):
    cell_files = sorted(quick_run.glob("section_*/*/cells/*/*"))
    before = {p: p.stat().st_mtime_ns for p in cell_files}
    report = (quick_run / "report.md").read_text()
    assert main(["reproduce", "--quick", "--out", str(quick_run), "--no-progress"]) == 0
    assert {p: p.stat().st_mtime_ns for p in cell_files} == before  # nothing was retrained
    undated = re.compile(r"^- \*\*date\*\*: .*$", re.M)
    assert undated.sub("", (quick_run / "report.md").read_text()) == undated.sub("", report)


def test_a_quick_folder_refuses_a_full_run(quick_run, capsys):
    assert main(["reproduce", "--out", str(quick_run), "--no-progress"]) == 2
    assert "holds a quick run" in capsys.readouterr().err


def test_the_tables_match_the_golden_run_made_before_the_redesign(quick_run):
    """Every table, caption and number (timings aside) of tests/golden/reproduce_quick.json,
    to float printing on the golden run's BLAS kernels, to float32 drift on others."""
    import json

    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(expected) == 13
    assert differences(expected, snapshot(quick_run), rel=tolerance()) == []
