"""The report's first screen: the summary of the original study's headline numbers beside
ours, each row linking to its section, and the machine details folded at the end."""

import json
import os
import shutil
from pathlib import Path

import pytest

from scratchnet.report import html, summary
from scratchnet.report.build import build_document, write_report
from scratchnet.report.document import Cell, Section
from scratchnet.studies import worked_examples
from scratchnet.studies.views import complete_views

from browser import chromium, console_errors

B_HEADER = (
    "protocol,activation,weight_init,status,test_accuracy_pct,official_test_accuracy_pct,"
    "original_test_accuracy_pct,best_epoch,epochs,final_train_loss,final_val_loss,best_val_loss,"
    "wall_time_s,epoch_time_s"
)
B_ROWS = (  # relu+normal beats the original's best (tanh+normal); sigmoid+zero learns here
    "original,relu,normal,complete,97.5,97.1,96.9,3,3,0.1,0.12,0.12,1.5,0.5",
    "original,tanh,normal,complete,97.0,97.0,97.2,3,3,0.1,0.12,0.12,1.5,0.5",
    "original,sigmoid,zero,complete,40.0,40.0,11.35,3,3,0.1,0.12,0.12,1.5,0.5",
    "original,sigmoid,he,complete,50.0,50.0,,3,3,0.1,0.12,0.12,1.5,0.5",
)
C_TABLE = (
    "activation,source,val acc %\n"
    "relu,original,87.7\ntanh,original,86.0\n"
    "relu,sklearn,85.0\ntanh,sklearn,85.5\nrelu,scratchnet,84.0\ntanh,scratchnet,86.5\n"
)


def _run_folder(root: Path) -> Path:
    worked_examples.run(root / "section_a")
    original = root / "section_b" / "original"
    original.mkdir(parents=True)
    (original / "results.csv").write_text("\n".join((B_HEADER, *B_ROWS)) + "\n")
    study = root / "section_c" / "activations"
    study.mkdir(parents=True)
    (study / "activations.csv").write_text(C_TABLE)
    complete_views(root)  # the view.json a sweep writes (as `scratchnet report` adds it)
    (root / "environment.json").write_text(json.dumps({"numpy": "2.0", "cpu": "test-cpu"}))
    return root


@pytest.fixture
def run(tmp_path) -> Path:
    return _run_folder(tmp_path / "run")


def _rows(run_dir: Path) -> dict[str, list]:
    table = summary.build(run_dir).blocks[0]
    return {row[0].text.split(":")[0].split(", best")[0]: row for row in table.rows}


def test_rows_put_the_original_study_beside_ours(run):
    rows = _rows(run)
    comparisons = json.loads((run / "section_a" / "comparisons.json").read_text())
    wrong = [c for c in comparisons["backprop"] if c["verdict"] == "wrong"]
    backprop = rows["Q1(a) backprop"]
    assert (
        backprop[0].text == f"Q1(a) backprop: {len(wrong)} of {len(comparisons['backprop'])} differ"
    )
    assert backprop[1] == f"{wrong[0]['quantity']} = {wrong[0]['given']}"
    assert backprop[3] == "no"

    best = rows["MNIST best, as written"]
    assert best[1] == "tanh + normal 97.20%"  # the original's best cell, by its own figure
    assert best[2] == Cell("relu + normal 97.50%", "good")
    assert best[3] == "no"
    chance = rows["MNIST at chance, as written"]  # sigmoid+he: no original figure
    assert chance[1:] == ["1 of 3 cells", "0 of 3 cells", "no"]

    activations = rows["C.2 Activations"]
    assert activations[0].text == "C.2 Activations, best val acc %"
    assert activations[1] == "relu: 87.70"
    assert activations[2] == Cell("tanh: 86.50 (scratchnet)", "bad")
    assert activations[3] == "no"


def test_every_row_links_to_an_anchor_of_the_page(run):
    doc = build_document(run)
    page = html.render(doc)
    links = [row[0].link for row in doc.summary.blocks[0].rows]
    assert len(links) == 6 and len(set(links)) == 5
    for link in links:
        assert f'id="{link}"' in page
        assert f'<a href="#{link}">' in page


def test_a_damaged_or_missing_file_leaves_out_only_its_rows(run):
    (run / "section_b" / "original" / "results.csv").write_bytes(b"\xff\xfe broken")
    shutil.rmtree(run / "section_a")
    rows = _rows(run)
    assert list(rows) == ["C.2 Activations"]
    empty = summary.build(run.parent / "nothing")
    assert "No study has results" in empty.blocks[0].text


def test_anchors_are_made_once_and_unique():
    sections = [
        Section("A b", subsections=[Section("Same"), Section("Same", anchor="kept")]),
        Section("Same"),
    ]
    summary.anchor_all(sections)  # in reading order: the first "Same" gets the plain slug
    assert [sections[0].anchor, sections[1].anchor] == ["a-b", "same-2"]
    assert [s.anchor for s in sections[0].subsections] == ["same", "kept"]


def test_markdown_twin_links_rows_and_ends_with_the_machine(run):
    _, md_path = write_report(run)
    text = md_path.read_text()
    assert "| [MNIST best, as written](#the-original-study-s-protocol-as-written) |" in text
    assert text.index("## Summary") < text.index("## Section A") < text.index("test-cpu")


FIRST_SCREEN_JS = """
const table = document.querySelector('section.summary table');
const details = document.querySelector('details.env');
const links = Array.from(table.querySelectorAll('a')).map(a => a.getAttribute('href'));
return {
  tableBottom: table.getBoundingClientRect().bottom,
  screen: window.innerHeight,
  detailsOpen: details.open,
  detailsLast: details === document.querySelector('main').lastElementChild,
  envVisible: details.querySelector('dl').checkVisibility(),
  missing: links.filter(h => !document.getElementById(h.slice(1))),
  links: links,
};
"""


def test_first_screen_shows_the_findings_in_chromium(tmp_path):
    """The summary fits the first screen; machine details are folded at the end; a row's
    link scrolls to its section. The screenshot of the first screen is the README's
    (set SCRATCHNET_REPORT_RUN to a run folder and SCRATCHNET_REPORT_SCREENSHOT to
    docs/report.png to regenerate it from a real run)."""
    source = os.environ.get("SCRATCHNET_REPORT_RUN")
    run = (
        _run_folder(tmp_path / "run")
        if not source
        else Path(shutil.copytree(source, tmp_path / "run", ignore=shutil.ignore_patterns("cells")))
    )
    html_path, _ = write_report(run)
    screenshot = Path(os.environ.get("SCRATCHNET_REPORT_SCREENSHOT", tmp_path / "first.png"))
    with chromium(tmp_path / "profile", width=1100, height=900) as driver:
        driver.get(html_path.resolve().as_uri())
        page = driver.execute_script(FIRST_SCREEN_JS)
        driver.save_screenshot(str(screenshot))
        assert page["tableBottom"] <= page["screen"], page
        assert not page["detailsOpen"] and page["detailsLast"] and not page["envVisible"]
        assert page["links"] and page["missing"] == []
        target = page["links"][-1]
        driver.find_element("css selector", f'section.summary a[href="{target}"]').click()
        top = driver.execute_script(
            f"return document.getElementById('{target[1:]}').getBoundingClientRect().top;"
        )
        assert -2 <= top < 50, top  # scrolled to it (sub-pixel rounding aside)
        assert console_errors(driver) == []
    assert screenshot.read_bytes()[:4] == b"\x89PNG" and screenshot.stat().st_size > 10_000


RECORD_TABLE = (
    "result,source,test accuracy %,from\n"
    "the original's best cell,original,96.23,the paper\n"
    "a far larger published network,published,99.65,the paper\n"
    "our reproduction,reproduction,98.0,this run\n"
    "record: 200 epochs,record,99.45,this study\n"
)


def test_a_record_is_put_beside_the_original_not_a_published_figure(run):
    from scratchnet.views import StudyView, TableView, write_view

    folder = run / "records" / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "record.csv").write_text(RECORD_TABLE)
    table = TableView("record", headline="test accuracy %", headline_source="record")
    write_view(folder, StudyView("Records: MNIST", "", (table,)))
    row = _rows(run)["Records"]
    assert row[0].text == "Records: MNIST, best test accuracy %"
    assert row[1] == "the original's best cell: 96.23"
    assert row[2] == Cell("record: 200 epochs: 99.45 (record)", "good")  # not 99.65
    assert row[3] == "–"  # a record is not a setting the original tried: no "agrees"
