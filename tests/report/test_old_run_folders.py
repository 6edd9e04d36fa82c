"""Run folders written before the original study was called "original" (format 1: the
reproduced study was "seed" in folder names, columns, labels and cell keys) resume without
retraining and report as new ones (scratchnet.runformat)."""

import json
from pathlib import Path

from scratchnet import runformat
from scratchnet.cli import main
from scratchnet.studies.registry import run_sweep

from studyconfigs import digits_mnist_study


def _as_format_1(sweep: Path) -> None:
    """Undo format 2 in a sweep folder: its names of the original study back to "seed"."""
    record = json.loads((sweep / "sweep.json").read_text())
    del record["format"]
    record["config"]["protocol"] = "seed"
    record["config"]["description"] = record["config"]["description"].replace(
        "The original study's", "The seed's"
    )
    (sweep / "sweep.json").write_text(json.dumps(record))
    results = sweep / "results.csv"
    text = results.read_text().replace("original_test_accuracy_pct", "seed_test_accuracy_pct")
    results.write_text(text.replace("\noriginal,", "\nseed,"))
    (sweep / "view.json").unlink()


def _old_run(tmp_path) -> tuple:
    """A reproduction's folder of format 1: Section B's "seed" protocol (digits, two cells),
    a Fashion study's table and finished cells keyed with the "seed" recipe."""
    run = tmp_path / "run"
    config = digits_mnist_study(tmp_path, epochs="2")
    text = (
        config.read_text()
        .replace(
            'activations = ["sigmoid", "tanh", "relu", "leaky_relu"]', 'activations = ["relu"]'
        )
        .replace('weight_init = ["zero", "random", "normal"]', 'weight_init = ["zero", "normal"]')
    )
    config.write_text(text)
    run_sweep(config, run / "section_b" / "original", progress=False)
    (run / "section_b" / "original").rename(run / "section_b" / "seed")
    _as_format_1(run / "section_b" / "seed")
    fashion = run / "section_c" / "activations"
    cell = fashion / "cells" / "sklearn-seed-relu"
    cell.mkdir(parents=True)
    params = {"engine": "sklearn", "recipe": "seed", "activation": "relu"}
    (cell / "metrics.json").write_text(json.dumps({"key": cell.name, "params": params}))
    (cell / "COMPLETE").write_text("done\n")
    (fashion / "activations.csv").write_text("activation,source,val acc %\nrelu,seed,87.7\n")
    (fashion / "activations.json").write_text(
        json.dumps({"title": "Study 2 (seed recipe)", "notes": ["seed recipe: adam"],
                    "rows": [{"activation": "relu", "source": "seed", "val acc %": 87.7}]})
    )  # fmt: skip
    title = "Section B: MNIST, the seed's protocol"
    (run / "timings.json").write_text(
        json.dumps({"quick": True, "studies": [{"study": title, "seconds": 2.0}]})
    )
    return run, config


def test_an_old_run_folder_is_renamed_once_and_reports_as_a_new_one(tmp_path):
    run, _ = _old_run(tmp_path)
    assert main(["report", str(run)]) == 0
    sweep = run / "section_b" / "original"
    assert not (run / "section_b" / "seed").exists() and sweep.is_dir()
    assert json.loads((sweep / "sweep.json").read_text())["format"] == runformat.FORMAT
    assert "original_test_accuracy_pct" in (sweep / "results.csv").read_text()
    fashion = run / "section_c" / "activations"
    record = json.loads((fashion / "cells" / "sklearn-original-relu" / "metrics.json").read_text())
    assert record["key"] == "sklearn-original-relu" and record["params"]["recipe"] == "original"
    table = json.loads((fashion / "activations.json").read_text())
    assert (
        table["title"] == "Study 2 (original recipe)" and table["rows"][0]["source"] == "original"
    )
    md = (run / "report.md").read_text()
    assert "### The original study's protocol, as written" in md
    assert "| relu | zero | 10.67 |" in md and "| relu | the original | 87.70 |" in md
    assert "MNIST best, as written" in md and "seed" not in md.replace("random_seed", "")
    timings = json.loads((run / "timings.json").read_text())
    assert timings["studies"][0]["study"] == "Section B: MNIST, the original study's protocol"


def test_an_old_sweep_folder_resumes_without_training_again(tmp_path):
    run, config = _old_run(tmp_path)
    old = run / "section_b" / "seed"
    stamps = {p.name: p.stat().st_mtime_ns for p in (old / "cells").glob("*/COMPLETE")}
    runformat.upgrade(run)
    new = run / "section_b" / "original"
    results = run_sweep(config, new, progress=False)  # the config of format 2: "original"
    assert len(results) == 2
    assert {p.name: p.stat().st_mtime_ns for p in (new / "cells").glob("*/COMPLETE")} == stamps


def test_a_folder_of_the_current_format_is_left_as_it_is(tmp_path):
    run, _ = _old_run(tmp_path)
    assert runformat.upgrade(run)
    files = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in run.rglob("*") if p.is_file()}
    runformat.upgrade(run)
    assert {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in run.rglob("*") if p.is_file()
    } == files
