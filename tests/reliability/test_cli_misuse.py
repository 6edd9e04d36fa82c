"""Bad command-line use ends in one line on stderr and exit status 2, never a traceback;
``--debug`` shows the traceback instead."""

import subprocess
import sys

import pytest

from scratchnet.cli import main

from studyconfigs import digits_mnist_study

CASES = {
    "unknown option": (["train", "--learning-rate", "0.1"], "unrecognized arguments"),
    "unknown command": (["fly"], "invalid choice"),
    "layer of size 0": (
        ["train", "--dataset", "digits", "--layers", "64", "0", "10"],
        "positive integer",
    ),
    "negative learning rate": (
        ["train", "--dataset", "digits", "--lr", "-0.1"],
        "'lr' parameter of NeuralNetwork must be",
    ),
    "unknown activation": (
        ["train", "--dataset", "digits", "--activations", "swish"],
        "unknown activation 'swish'",
    ),
    "batch larger than the data": (
        ["train", "--dataset", "digits", "--batch-size", "99999"],
        "larger than the 1077 training samples",
    ),
    "missing config file": (["train", "--config", "nowhere.toml"], "does not exist"),
    "missing sweep config": (["sweep", "nowhere.toml"], "does not exist"),
    "missing model file": (["evaluate", "nowhere.npz", "--dataset", "digits"], "no such model"),
    "not a run folder": (["report", "nowhere"], "does not exist"),
    "bad explain input": (
        ["explain", "backprop", "--x", "1", "2", "--y", "3"],
        "2 inputs but 1 targets",
    ),
    "unknown dataset": (["data", "fetch", "cifar"], "invalid choice"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_line_and_status_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, message = CASES[case]
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert message in err
    assert "Traceback" not in err and len(err.splitlines()) <= 2  # usage line + error line


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"layers": "[64, 0, 10]"}, "positive integer"),
        ({"lr": "-0.5"}, "lr"),
        ({"batch_size": "100000"}, "batch_size=100000 is larger than the"),
    ],
)
def test_impossible_sweep_configs(tmp_path, capsys, changes, message):
    status = main(
        [
            "sweep",
            str(digits_mnist_study(tmp_path, **changes)),
            "--out",
            str(tmp_path / "o"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2 and message in err and "Traceback" not in err, err
    assert len(err.splitlines()) == 1


def test_unknown_activation_in_a_sweep_grid(tmp_path, capsys):
    path = digits_mnist_study(tmp_path)
    path.write_text(path.read_text().replace('"tanh"', '"swish"'))
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "swish" in capsys.readouterr().err


def test_debug_shows_the_traceback():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratchnet.cli",
            "--debug",
            "train",
            "--dataset",
            "digits",
            "--lr",
            "-1",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr
