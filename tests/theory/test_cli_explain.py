"""``scratchnet explain``: in-process and once via a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scratchnet.cli import main


def run_json(capsys, *argv):
    assert main(["explain", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_backprop_default_text(capsys):
    assert main(["explain", "backprop"]) == 0
    out = capsys.readouterr().out
    assert "MSE = 48.9656 / 3 = 16.3218666667..." in out
    assert "w1 <- 0.1 - 0.01 * (-3.4293333333...) = 0.1342933333..." in out


def test_backprop_json_and_check(capsys):
    data = run_json(capsys, "backprop", "--check")
    q = data["result"]["quantities"]
    assert q["mse"] == pytest.approx(16.321866666666667)
    assert q["grad_b2"] == pytest.approx(-7.92) and q["new_w1"] == pytest.approx(0.13429333333)
    assert data["result"]["quantities_exact"]["grad_w1"] == "-1286/375"
    verdicts = {c["quantity"]: c["verdict"] for c in data["comparisons"]}
    assert verdicts["grad_w1"] == "wrong" and verdicts["y_hat_1"] == "correct"


def test_backprop_options_and_config(capsys, tmp_path):
    data = run_json(
        capsys, "backprop", "--x", "1", "--y", "1", "--w1", "1", "--w2", "1", "--lr", "0.5"
    )
    assert data["result"]["mse"] == pytest.approx(0.0)
    config = tmp_path / "net.toml"
    config.write_text(
        'x = [[1, 2]]\ny = [1]\nlearning_rate = "0.1"\n'
        '[[layers]]\nweights = [[1, 1]]\nbias = 0\nactivation = "identity"\n'
        '[answers]\nmse = "4"\n"grad_W1[1,2]" = 8\n'
    )
    data = run_json(capsys, "backprop", "--config", str(config), "--check")
    verdicts = {c["quantity"]: c["verdict"] for c in data["comparisons"]}
    assert verdicts == {"mse": "correct", "grad_W1[1,2]": "correct"}


def test_svm_json_plot_and_check(capsys, tmp_path):
    png = tmp_path / "svm.png"
    data = run_json(capsys, "svm", "--plot", str(png), "--check")
    assert data["result"]["w"] == [-2.0, -2.0] and data["result"]["b"] == 3.0
    assert data["result"]["alphas"] == [0, 2, 2, 4, 0, 0]
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert any(c["quantity"] == "w1 equation" for c in data["comparisons"])


def test_svm_points_csv_and_soft_margin(capsys, tmp_path):
    data = run_json(capsys, "svm", "--points", "0,0:+1", "2,0:-1")
    assert data["result"]["w"] == [-1.0, 0.0] and data["result"]["b"] == 1.0
    csv = tmp_path / "p.csv"
    csv.write_text("x1,x2,y\n0,0,1\n1,1,1\n1,0,-1\n0,1,-1\n")
    data = run_json(capsys, "svm", "--csv", str(csv), "--C", "1")
    assert data["result"]["C"] == 1.0
    assert data["result"]["dual_objective"] == pytest.approx(data["result"]["primal_objective"])


def test_hyperplane_json_and_answers_file(capsys, tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text(
        json.dumps({"margin": "2", "support_vectors": [[2, 3], [3, 3]], "class": -1})
    )
    data = run_json(capsys, "hyperplane", "--answers", str(answers))
    assert data["result"]["functional_margins"] == [3, 1, 1, 3]
    assert [c["verdict"] for c in data["comparisons"]] == ["wrong", "correct", "wrong"]


def test_original_command(capsys):
    assert main(["explain", "original", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"backprop", "svm", "hyperplane"}


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["svm", "--points", "0,0:+1", "1,1:+1", "1,0:-1", "0,1:-1"], "not linearly separable"),
        (["svm", "--points", "0,0"], "--points"),
        (["svm", "--points", "0,0:+1", "1,1:-1", "--C", "-1"], "C: expected a positive"),
        (["backprop", "--activations", "relu", "swish"], "unknown activation 'swish'"),
        (["backprop", "--x", "1", "2", "3", "--y", "1", "2"], "3 inputs but 2 targets"),
        (["backprop", "--weights", "1", "2", "--biases", "0"], "--biases: expected 2 values"),
        (["backprop", "--x", "1", "--y", "1", "--check"], "--check"),
        (["hyperplane", "--w", "0", "0"], "non-zero"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, phrase):
    assert main(["explain", *argv]) == 2
    err = capsys.readouterr().err
    assert phrase in err and err.count("\n") == 1 and "Traceback" not in err


def test_subprocess_json():
    proc = subprocess.run(
        [sys.executable, "-m", "scratchnet.cli", "explain", "hyperplane", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["result"]["new_points"][0]["class"] == 1


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["backprop", "--x", "1e5000"], "x (sample 1): '1e5000' is out of range"),
        (["backprop", "--lr", "1e-5000"], "learning rate: '1e-5000' is out of range"),
        (["backprop", "--x", "1e1000000000"], "at most 64 characters"),  # hung before
        (["backprop", "--x", "1" * 5000], "at most 64 characters"),
        (["svm", "--points", "0,0:+1", "1e5000,1:-1"], "'1e5000' is out of range"),
        (["hyperplane", "--b", "1e-400"], "b: '1e-400' is out of range"),
        (["svm", "--plot", "x.xyz"], "unknown image format 'xyz'"),
        (["hyperplane", "--plot", "x.xyz"], "unknown image format 'xyz'"),
    ],
)
def test_hostile_values_are_one_line_errors(capsys, tmp_path, monkeypatch, argv, phrase):
    """Issue 18: these were an OverflowError, an IndexError, a hang, and a plot's traceback."""
    monkeypatch.chdir(tmp_path)
    try:
        status = main(["explain", *argv])
    except SystemExit as exit_:  # argparse's checks of --plot
        status = exit_.code
    err = capsys.readouterr().err
    assert status == 2 and phrase in err and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())  # no figure written


@pytest.mark.parametrize(
    ("option", "name", "content"),
    [
        ("--answers", "a.toml", b'mse = "16\xff"\n'),
        ("--answers", "a.json", b'{"mse": "\xc3\x28"}'),
        ("--csv", "p.csv", b"x1,x2,y\n0,0,1\n1,\xfe1,-1\n"),
        ("--config", "c.toml", b"x = [1]\n# caf\xe9\n"),
    ],
)
def test_files_that_are_not_utf8_are_named(capsys, tmp_path, option, name, content):
    """Issue 18: a raw UnicodeDecodeError traceback, naming neither the file nor the line."""
    path = tmp_path / name
    path.write_bytes(content)
    exercise = {"--csv": "svm", "--config": "backprop"}.get(option, "hyperplane")
    assert main(["explain", exercise, option, str(path)]) == 2
    err = capsys.readouterr().err
    line = content.count(b"\n", 0, next(i for i, b in enumerate(content) if b >= 0x80)) + 1
    assert f"{path}: line {line} column" in err and "not UTF-8" in err, err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "content",
    ["[" * 5000, '{"a": ' * 5000, '{"mse": ' + "9" * 5000 + "}"],
    ids=["toml", "json", "digits"],
)
def test_answer_files_nested_or_with_huge_integers(capsys, tmp_path, content):
    path = tmp_path / "a.json"
    path.write_text(content)
    assert main(["explain", "hyperplane", "--answers", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: not valid" in err and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("layers = [1]\n", "layers[0] must be a table, got 1"),
        (
            'answers = 5\nlayers = [{weights = 1, bias = 0, activation = "relu"}]\n',
            "answers must be a table, got 5",
        ),
        ('x = {}\nlayers = [{weights = 1, bias = 0, activation = "relu"}]\n', "x must be"),
    ],
)
def test_backprop_config_is_validated_against_its_schema(capsys, tmp_path, content, message):
    """Found by fuzzing for issue 18: a layer or answers of the wrong type was a TypeError."""
    path = tmp_path / "c.toml"
    path.write_text(content)
    assert main(["explain", "backprop", "--config", str(path), "--check"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {message}" in err and err.count("\n") == 1, err
