"""The report reads what each study declared (view.json), and old run folders get theirs."""

import json

from scratchnet.cli import main


def _table(folder, stem, csv_text, title):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.csv").write_text(csv_text)
    (folder / f"{stem}.json").write_text(json.dumps({"title": title, "notes": ["a note"]}))


def test_a_study_the_report_never_heard_of_gets_its_section_from_its_view(tmp_path):
    study = tmp_path / "section_c" / "zz_mine"
    _table(study, "scores", "width,source,acc %\n8,original,50\n8,scratchnet,60\n", "My scores")
    (study / "curve.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    view = {
        "title": "C.9 My own study",
        "intro": "Declared in one place.",
        "tables": [{"stem": "scores", "best_by": "acc %"}],
        "figures": [{"file": "curve.png", "caption": "My caption"}],
    }
    (study / "view.json").write_text(json.dumps(view))
    assert main(["report", str(tmp_path)]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "### C.9 My own study" in md and "Declared in one place." in md
    assert (
        "*My scores*" in md
        and "| 8 | the original | 50 |" in md
        and "| 8 | scratchnet | 60 ▲ |" in md
    )
    assert "My caption" in md


def test_an_old_run_folder_without_views_is_reported_as_before(tmp_path):
    """Written before views and before format 2 (the original's rows labelled "seed")."""
    study = tmp_path / "section_c" / "activations"
    _table(study, "activations", "activation,source,val acc %\nrelu,seed,87.7\n", "Activations")
    assert not (study / "view.json").exists()
    assert main(["report", str(tmp_path)]) == 0
    view = json.loads((study / "view.json").read_text())
    assert view["title"] == "C.2 Activations" and view["tables"][0]["stem"] == "activations"
    md = (tmp_path / "report.md").read_text()
    assert "### C.2 Activations" in md and "| relu | the original | 87.70 |" in md
    assert "### C.4 Autoencoder" in md and "Not run: no tables in" in md  # not run yet
