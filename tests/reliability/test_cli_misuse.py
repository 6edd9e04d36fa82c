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
        ({"layers": "[64, 0, 10]"}, "model.layers[1] must be an integer >= 1"),
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


# --- issue 18: every OSError and MemoryError is one line naming the path, before the work ---


def _one_line_error(argv, capsys, stdout=None) -> str:
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's checks
        status = exit_.code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert status == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert stdout is None or captured.out == stdout
    return err


TRAIN = ["train", "--dataset", "digits", "--layers", "64", "8", "10", "--epochs", "1"]


@pytest.mark.parametrize("where", ["file", "file/sub", "long"])
def test_train_checks_its_output_folder_before_training(tmp_path, capsys, where):
    (tmp_path / "file").write_text("not a folder")
    out = str(tmp_path / ("a" * 300)) if where == "long" else str(tmp_path / where)
    err = _one_line_error([*TRAIN, "--out", out], capsys, stdout="")  # nothing was trained
    assert out in err
    assert (tmp_path / "file").read_text() == "not a folder"


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "CONFIG", "--quick", "--no-progress", "--out", "FILE"],
        ["reproduce", "--quick", "--out", "FILE"],
        ["data", "export", "mnist", "--offline", "--out", "FILE"],
        ["data", "show", "mnist", "--offline", "--out", "FILE/x.png"],
    ],
    ids=["sweep", "reproduce", "export", "show"],
)
def test_out_that_is_a_file_is_one_line(tmp_path, capsys, argv):
    target = tmp_path / "file"
    target.write_text("kept")
    config = str(digits_mnist_study(tmp_path))
    argv = [a.replace("CONFIG", config).replace("FILE", str(target)) for a in argv]
    assert str(target) in _one_line_error(argv, capsys)
    assert target.read_text() == "kept"


def test_random_state_minus_one_is_one_line(tmp_path, capsys):
    err = _one_line_error([*TRAIN, "--random-state", "-1", "--out", str(tmp_path)], capsys)
    assert "--random-state" in err and "-1" in err


@pytest.mark.parametrize(
    "argv",
    [["data", "show", "mnist", "--out", "x.xyz"], ["explain", "svm", "--plot", "x.xyz"]],
    ids=["data-show", "explain-svm"],
)
def test_unknown_image_format_is_refused_before_any_work(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    assert "unknown image format 'xyz'" in _one_line_error(argv, capsys)
    assert list(tmp_path.iterdir()) == []


def _run_limited(argv, limit, cwd, **env):
    """Run the CLI in a subprocess under a resource limit (a real condition, not a mock)."""
    import os
    import resource

    def preexec():
        resource.setrlimit(limit[0], (limit[1], limit[1]))

    return subprocess.run(
        [sys.executable, "-m", "scratchnet.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        preexec_fn=preexec,
        env={**os.environ, **env},
        check=False,
    )


def test_a_file_size_limit_while_writing_is_one_line_naming_the_file(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG), like a full disk mid-file."""
    import resource

    out = tmp_path / "run"
    result = _run_limited([*TRAIN, "--out", str(out)], (resource.RLIMIT_FSIZE, 20_000), tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "File too large" in result.stderr and str(out / "curves.png") in result.stderr
    assert not [p for p in out.iterdir() if "scratchnet-tmp" in p.name]  # no half-written files


def test_a_full_disk_is_one_line_naming_the_file(tmp_path):
    """A real full disk: a 32 KiB tmpfs in a private mount namespace (needs root)."""
    import shutil

    if (
        shutil.which("unshare") is None
        or subprocess.run(
            ["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(tmp_path)],
            capture_output=True,
            check=False,
        ).returncode
    ):
        pytest.skip("cannot mount a tmpfs here (needs root and unshare)")
    command = " ".join([sys.executable, "-m", "scratchnet.cli", *TRAIN, "--out", "disk/run"])
    (tmp_path / "disk").mkdir()
    script = f"mount -t tmpfs -o size=32k tmpfs disk && {command}"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "disk/run/" in result.stderr and "No space left on device" in result.stderr


def test_out_of_memory_is_one_line(tmp_path):
    """Issue 18: ``--layers 64 1000000000 10`` was a MemoryError traceback; under an address
    space limit, whatever raises MemoryError ends in one line."""
    import resource

    argv = [*TRAIN[:3], "--layers", "64", "1000000000", "10", "--out", str(tmp_path / "o")]
    result = _run_limited(argv, (resource.RLIMIT_AS, 3 * 2**30), tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
