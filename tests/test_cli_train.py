"""`scratchnet train` and `scratchnet evaluate` end to end on the bundled digits."""

import json
import subprocess
import sys

import pytest

from scratchnet import load
from scratchnet.cli import main


def test_train_writes_model_history_metrics_and_curves(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(
        [
            "train",
            "--dataset",
            "digits",
            "--layers",
            "64",
            "32",
            "10",
            "--epochs",
            "15",
            "--lr",
            "0.003",
            "--activations",
            "tanh",
            "--random-state",
            "1",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "curves.png",
        "history.json",
        "metrics.json",
        "model.npz",
    ]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 15 and metrics["test_score"] > 0.85
    history = json.loads((out / "history.json").read_text())
    assert len(history["val_loss"]) == 15
    model = load(out / "model.npz")
    assert model.get_params()["activations"] == "tanh" and model.random_state == 1
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(["evaluate", str(out / "model.npz"), "--dataset", "digits", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 450 and result["accuracy"] > 0.85
    assert sum(map(sum, result["confusion_matrix"])) == 450


def test_config_file_and_flags_combine(tmp_path):
    config = tmp_path / "exp.toml"
    config.write_text(
        'task = "autoencode"\n[data]\ndataset = "digits"\n'
        "[model]\nlayers = [64, 16, 64]\nepochs = 3\nlr = 0.01\n"
    )
    out = tmp_path / "ae"
    assert main(["train", "--config", str(config), "--epochs", "4", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "autoencode" and metrics["epochs"] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layers", "64", "0", "10"], "positive integer"),
        (["--lr", "-1"], "'lr' parameter of NeuralNetwork must be"),
        (["--activations", "swish"], "unknown activation 'swish'"),
        (["--batch-size", "5000"], "larger than the 1077 training samples"),
        (["--config", "missing.toml"], "missing.toml does not exist"),
    ],
)
def test_bad_settings_end_in_one_line_and_status_2(tmp_path, capsys, argv, message):
    status = main(
        ["train", "--dataset", "digits", "--epochs", "1", "--out", str(tmp_path / "x"), *argv]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_unknown_config_key_is_named(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[model]\nlearning_rate = 0.1\n")
    assert main(["train", "--config", str(config), "--dataset", "digits"]) == 2
    assert "unknown key model.learning_rate" in capsys.readouterr().err


def test_console_script_usage_error_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "scratchnet.cli", "train", "--no-such-flag"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_newer_parameters_have_flags_and_config_keys(tmp_path):
    from scratchnet import load
    from scratchnet.cli import main

    config = tmp_path / "net.toml"
    config.write_text(
        '[data]\ndataset = "digits"\n[model]\nlayers = [64, 32, 16, 10]\nepochs = 2\n'
        'class_weight = "balanced"\ntol = 0.001\nbatch_size = "auto"\n'
        "batch_norm = [true, false]\nbatch_norm_momentum = 0.8\n",
        encoding="utf-8",
    )
    argv = ["train", "--config", str(config), "--dropout", "0.2", "0.1", "--max-fun", "99"]
    argv += ["--batch-norm-epsilon", "0.001"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    model = load(tmp_path / "run" / "model.npz")
    names = ("class_weight", "tol", "batch_size", "dropout", "batch_norm", "batch_norm_momentum")
    settings = {k: model.get_params()[k] for k in names}
    assert settings == {
        "class_weight": "balanced",
        "tol": 0.001,
        "batch_size": "auto",
        "dropout": [0.2, 0.1],
        "batch_norm": [True, False],
        "batch_norm_momentum": 0.8,
    }
    assert model.max_fun == 99 and model.batch_norm_epsilon == 0.001
    assert model.network_.batch_norm == (True, False)
    argv = ["train", "--config", str(config), "--no-batch-norm", "--out", str(tmp_path / "b")]
    assert main(argv) == 0 and load(tmp_path / "b" / "model.npz").batch_norm is False
