"""``scratchnet export MODEL --onnx OUT.onnx`` end to end, and its one-line errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork, save
from scratchnet.cli import main

rt = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    model = NeuralNetwork(layers=[64, 16, 10], activations="leaky_relu", epochs=3, random_state=0)
    path = tmp_path_factory.mktemp("models") / "model.npz"
    save(model.fit(X, y), path)
    return path, model, X


def test_export_writes_an_onnx_model_that_predicts_as_the_file(saved, tmp_path, capsys):
    path, model, X = saved
    out = tmp_path / "model.onnx"
    assert main(["export", str(path), "--onnx", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    session = rt.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {"X": X})
    assert np.abs(proba - model.predict_proba(X)).max() < 1e-5
    np.testing.assert_array_equal(label, model.predict(X))


def test_an_output_without_the_onnx_suffix_is_a_usage_error(saved, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(saved[0]), "--onnx", str(tmp_path / "model.bin")])
    assert exit_info.value.code == 2
    assert "must end in .onnx" in capsys.readouterr().err


def test_a_damaged_model_file_is_one_line_and_nothing_is_written(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    out = tmp_path / "out.onnx"
    assert main(["export", str(bad), "--onnx", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.npz" in err and not out.exists()


def test_a_missing_onnx_extra_is_named(saved, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert main(["export", str(saved[0]), "--onnx", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'scratchnet[onnx]'" in err


def test_export_to_safetensors_round_trips_and_needs_an_output(saved, tmp_path, capsys):
    path, model, X = saved
    out = tmp_path / "model.safetensors"
    assert main(["export", str(path), "--safetensors", str(out)]) == 0
    from scratchnet import load

    np.testing.assert_array_equal(load(out).predict_proba(X), model.predict_proba(X))
    assert main(["export", str(path)]) == 2
    assert "give an output" in capsys.readouterr().err
