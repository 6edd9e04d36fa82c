"""The reproduction's plan makes the report's sections: a study added to the plan shows up in
the report, and on its first screen, with no edit of the report."""

import json

import pytest

from scratchnet.report.build import build_document, write_report
from scratchnet.studies.plan import PLAN, Step, run_view
from scratchnet.views import StudyView, TableView, write_view


def test_the_plan_groups_steps_into_sections_in_order():
    view = run_view()
    assert [s.folder for s in view.sections] == ["section_a", "section_b", "section_c", "records"]
    assert view.sections[3].parts == ("records/mnist", "records/fashion", "records/autoencoder")
    assert view.sections[1].parts == (
        "section_b/original",
        "section_b/original_summed",
        "section_b/improved",
    )
    assert view.sections[0].kind == "worked-examples" and view.sections[0].parts == ()


def test_a_new_step_becomes_its_own_section_with_its_headline(tmp_path):
    plan = (*PLAN, Step("extras/mnist", "Extras: MNIST", "mnist_extra.toml"))
    write_view(tmp_path, run_view(plan))
    study = tmp_path / "extras" / "mnist"
    study.mkdir(parents=True)
    (study / "records.csv").write_text(
        "model,source,test acc %\nmlp,original,96.2\nmlp,ours,98.1\n"
    )
    (study / "records.json").write_text(json.dumps({"title": "Records", "notes": []}))
    table = TableView("records", best_by="test acc %", headline="test acc %")
    write_view(study, StudyView("Records on MNIST", "Our best networks.", (table,)))
    doc = build_document(tmp_path)
    assert [s.title for s in doc.sections][-1] == "Extras: MNIST"
    assert doc.sections[-1].subsections[0].title == "Records on MNIST"
    rows = doc.summary.blocks[0].rows
    assert rows[-1][0].text == "Records on MNIST, best test acc %"
    assert rows[-1][0].link == "records-on-mnist" and rows[-1][2].status == "good"
    _, md = write_report(tmp_path)
    assert "## Extras: MNIST" in md.read_text() and "| mlp | ours | 98.10 ▲ |" in md.read_text()


def test_the_estimate_counts_only_the_steps_not_finished_earlier(monkeypatch):
    from scratchnet.studies import reproduce

    monkeypatch.setattr(reproduce, "_speed_factor", lambda: 1.0)
    engines = reproduce.ENGINES
    total = sum(step.full_minutes for step in PLAN)
    assert reproduce.estimate_minutes(False, engines) == total
    assert 60 <= total <= 90  # the measured full run: about 75 minutes on the reference machine
    records = [step for step in PLAN if step.folder.startswith("records/")]
    finished = {step.title for step in records}
    assert len(finished) == 3 and all(step.full_minutes > 0 for step in records)
    rest = sum(step.full_minutes for step in PLAN if step not in records)
    assert reproduce.estimate_minutes(False, engines, finished) == pytest.approx(rest)
    assert reproduce.estimate_minutes(False, engines, {step.title for step in PLAN}) == 0.0
