"""Every config file shipped in configs/ parses, in full and in --quick mode."""

import math
from pathlib import Path

import pytest

from scratchnet.config import apply_quick, read_toml
from scratchnet.studies.registry import get_study

from studyconfigs import mutated_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))
STUDY_CONFIGS = [p for p in CONFIGS if "study" in read_toml(p)]


def test_configs_are_found():
    assert len(STUDY_CONFIGS) >= 8


@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
@pytest.mark.parametrize("path", STUDY_CONFIGS, ids=lambda p: p.stem)
def test_study_config_parses_and_lists_cells(path, quick):
    table = apply_quick(read_toml(path), quick, str(path))
    study = get_study(table.pop("study"), str(path))
    config = study.parse_config(table, str(path))
    assert study.cells(config)


@pytest.mark.parametrize("path", STUDY_CONFIGS, ids=lambda p: p.stem)
def test_every_study_config_has_a_quick_table(path):
    table = read_toml(path)
    quick = table.get("quick", {})
    assert quick, f"{path.name} has no [quick] table for reproduce --quick"


# --- issue 18: every config is validated against its study's schema before anything is written


CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
MUTATIONS = [
    ("mnist_original.toml", "data", 5, "data must be a table, got 5"),
    ("mnist_original.toml", "model", "x", "model must be a table, got 'x'"),
    ("mnist_original.toml", "model.layers", -math.inf, "model.layers must be a list"),
    ("mnist_original.toml", "data.ratios.0", "x", "data.ratios[0] must be a finite number"),
    ("mnist_original.toml", "data.ratios.0", math.nan, "data.ratios[0] must be a finite number"),
    ("mnist_original.toml", "study", ["x"], "unknown study ['x']"),
    ("mnist_original.toml", "model.random_state", "x", "model.random_state must be an integer"),
    ("mnist_original.toml", "model.random_state", -1, "model.random_state must be an integer"),
    ("mnist_original.toml", "model.random_state", 2**63 - 1, "model.random_state must be"),
    ("mnist_original.toml", "model.lr_scheduel", 1, "unknown key model.lr_scheduel"),
    ("mnist_original.toml", "grid.activations", [], "grid.activations must be a non-empty list"),
    ("fashion_activations.toml", "model.epochs", math.inf, "model.epochs must be an integer"),
    ("fashion_activations.toml", "improved", 5, "improved must be a table"),
    ("fashion_autoencoder.toml", "options.n_images", [], "options.n_images must be"),
    ("fashion_features.toml", "options", 5, "options must be a table"),
    ("fashion_gridsearch.toml", "options.lr.0", "x", "options.lr[0] must be a finite number"),
    ("fashion_preprocessing.toml", "data.seed", math.nan, "data.seed must be an integer"),
]


@pytest.mark.parametrize(("name", "key", "new", "message"), MUTATIONS)
def test_mutated_configs_are_named_errors_before_anything_is_written(
    tmp_path, capsys, name, key, new, message
):
    """Issue 18: 40 of 306 mutated configs were tracebacks; a NaN in ``ratios`` also left a
    stray empty ``OUT/cells/``."""
    from scratchnet.cli import main

    config = mutated_config(CONFIG_DIR / name, tmp_path, key, new)
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and str(config) in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("key", "new", "message"),
    [
        ("data", 5, "data must be a table"),
        ("model.layers", -math.inf, "model.layers must be a list"),
        ("model.random_state", "x", "model.random_state must be an integer"),
        ("task", ["x"], "task must be one of"),
        ("data.ratios.0", math.nan, "data.ratios[0] must be a finite number"),
        ("model.lr", "x", "model.lr must be a finite number"),
    ],
)
def test_mutated_train_configs_are_named_errors(tmp_path, capsys, key, new, message):
    from scratchnet.cli import main

    config = mutated_config(CONFIG_DIR / "train_mnist.toml", tmp_path, key, new)
    out = tmp_path / "out"
    assert main(["train", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_configs_that_are_not_utf8_are_named(tmp_path, capsys, command):
    """Issue 18: a config that is not UTF-8 was a traceback in train and sweep."""
    from scratchnet.cli import main

    config = tmp_path / "c.toml"
    config.write_bytes(b'# r\xe9sum\xe9\nstudy = "mnist-activation-init"\n')
    argv = ["train", "--config", str(config)] if command == "train" else ["sweep", str(config)]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{config}: line 1 column 4: byte 0xe9 is not UTF-8" in err, err
