"""``.safetensors`` model files: readable by the safetensors library, round trips exact, and
every damaged or hostile file refused by name in one line, within a memory bound."""

import json
import struct
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

import safetensors_mutations as sm
from scratchnet import NeuralNetwork, NeuralNetworkRegressor, load, save
from scratchnet.errors import ModelFileError
from scratchnet.sklearn import MLPClassifier

from bounded import MiB, call_bounded

safetensors_numpy = pytest.importorskip("safetensors.numpy")


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return NeuralNetwork(layers=[64, 16, 8, 10], epochs=2, random_state=0).fit(X, y)


def _saved(tmp_path, model) -> bytes:
    return save(model, tmp_path / "good.safetensors").read_bytes()


def _refused(tmp_path, data: bytes, pattern: str, max_bytes: int | None = None):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    outcome = call_bounded(lambda: load(path, **kwargs), (ModelFileError,), max_bytes=32 * MiB)
    assert isinstance(outcome, ModelFileError), f"loaded: {outcome!r}"
    message = str(outcome)
    assert "\n" not in message and message.startswith(str(path)), message
    assert any(p in message for p in pattern.split("|")), message


def test_the_safetensors_library_reads_weights_and_settings(tmp_path, model):
    path = save(model, tmp_path / "model.safetensors")
    tensors = safetensors_numpy.load_file(str(path))
    layers = [f"{kind}.{i}" for kind in ("coefs", "intercepts") for i in range(3)]
    assert sorted(tensors) == sorted([*layers, "classes", "probe"])
    for i in range(3):
        np.testing.assert_array_equal(tensors[f"coefs.{i}"], model.coefs_[i])
        np.testing.assert_array_equal(tensors[f"intercepts.{i}"], model.intercepts_[i])
    from safetensors import safe_open

    with safe_open(str(path), "np") as handle:
        header = json.loads(handle.metadata()["scratchnet"])
    assert header["layer_sizes"] == [64, 16, 8, 10] and header["params"]["epochs"] == 2


def test_round_trips_are_exact_for_every_family(tmp_path, data):
    X, y = data
    text = np.where(y > 4, "big", "small")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = [
            NeuralNetworkRegressor(layers=[64, 8, 2], loss="poisson", epochs=2).fit(X, X[:, :2]),
            MLPClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(X, text),
            SklearnMLP(hidden_layer_sizes=(8,), max_iter=2).fit(X, y),
            NeuralNetwork(layers=[64, 8, 3], epochs=2).fit(
                X, np.stack([y > 4, y < 2, y == 3], 1).astype(int)
            ),
            NeuralNetwork(layers=[64, 16, 8, 10], batch_norm=[True, False], epochs=2).fit(X, y),
        ]
    for model in models:
        loaded = load(save(model, tmp_path / "m.safetensors"))
        assert type(loaded) is type(model)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert loaded.get_params() == model.get_params()


def test_batch_norm_statistics_are_tensors_of_their_own(tmp_path, data):
    X, y = data
    model = NeuralNetwork(layers=[64, 16, 8, 10], batch_norm=[False, True], epochs=2).fit(X, y)
    tensors = safetensors_numpy.load_file(str(save(model, tmp_path / "bn.safetensors")))
    assert {"scales.1", "running_means.1", "running_vars.1"} <= set(tensors)
    assert "scales.0" not in tensors
    np.testing.assert_array_equal(tensors["running_vars.1"], model.network_.running_vars[1])


def test_saving_over_a_file_replaces_it_whole(tmp_path, model, data):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    save(model, path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    np.testing.assert_array_equal(load(path).predict(data[0]), model.predict(data[0]))


def _entry(data: bytes, name: str, **changes) -> bytes:
    header, body = sm.split(data)
    header[name].update(changes)
    return sm.join(header, body)


def _nan_in_coefs(data: bytes) -> bytes:
    header, body = sm.split(data)
    begin = header["coefs.1"]["data_offsets"][0]
    body = body[:begin] + np.float32(np.nan).tobytes() + body[begin + 4 :]
    return sm.join(header, body)


CASES = {
    "truncated data": (lambda d: d[:-100], "bytes of data but the file has"),
    "truncated header": (lambda d: d[:50], "the safetensors header declares"),
    "too short": (lambda d: d[:5], "too short for a .safetensors file"),
    "length 2**63": (lambda d: struct.pack("<Q", 2**63) + d[8:], "at most"),
    "wrong dtype": (lambda d: _entry(d, "coefs.0", dtype="F16"), "has dtype 'F16'"),
    "float64 for float32": (
        lambda d: _entry(d, "intercepts.0", dtype="F64", shape=[8]),
        "is float64, expected float32",
    ),
    "wrong shape": (lambda d: _entry(d, "coefs.0", shape=[16, 64]), "has shape (16, 64)"),
    "shape beyond offsets": (
        lambda d: _entry(d, "coefs.0", shape=[1 << 20, 1 << 20]),
        "its data_offsets span",
    ),
    "overlap": (lambda d: _entry(d, "coefs.1", data_offsets=[0, 512]), "gap or an overlap"),
    "non-finite weights": (_nan_in_coefs, "holds NaN or infinite values"),
    "extra tensor": (
        lambda d: sm.join({**sm.split(d)[0], "probe.x": {}}, sm.split(d)[1]),
        "a tensor named 'probe.x'; model files hold ['coefs.<i>', 'intercepts.<i>', 'scales",
    ),
    "no metadata": (
        lambda d: sm.join(
            {k: v for k, v in sm.split(d)[0].items() if k != "__metadata__"}, sm.split(d)[1]
        ),
        "no 'scratchnet' entry",
    ),
    "npz renamed": (lambda d: b"PK\x03\x04" + d[4:], "declares"),
    "header says another layer size": (
        lambda d: sm.with_scratchnet_header(
            d, {**sm.scratchnet_header(d), "layer_sizes": [64, 16, 9, 10]}
        ),
        "has shape",
    ),
    "duplicate keys": (lambda d: sm.join(None, b"", raw=b'{"a": 1, "a": 2}'), "repeats the key"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_files_are_one_line_errors(tmp_path, model, case):
    damage, pattern = CASES[case]
    _refused(tmp_path, damage(_saved(tmp_path, model)), pattern)


def test_layer_sizes_that_imply_too_many_bytes_are_refused_by_max_bytes(tmp_path, model):
    _refused(tmp_path, _saved(tmp_path, model), "more than the limit of 1000", max_bytes=1000)


def test_a_npz_model_named_safetensors_is_refused_and_vice_versa(tmp_path, model):
    npz = save(model, tmp_path / "m.npz").read_bytes()
    _refused(tmp_path, npz, "safetensors header")
    path = tmp_path / "x.npz"
    path.write_bytes(_saved(tmp_path, model))
    with pytest.raises(ModelFileError, match="x.npz"):
        load(path)
