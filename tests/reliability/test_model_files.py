"""Safe model files: round trips, and every damaged or hostile file refused by name."""

import json
import os
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork, NeuralNetworkRegressor, load, save
from scratchnet.errors import ModelFileError
from scratchnet.persistence import FORMAT


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return NeuralNetwork(layers=[64, 16, 10], epochs=2, random_state=0).fit(X, y)


def _arrays(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _rewrite(path, arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _header(arrays):
    return json.loads(arrays["header"].tobytes())


def _with_header(arrays, **changes):
    header = {**_header(arrays), **changes}
    return {**arrays, "header": np.frombuffer(json.dumps(header).encode(), np.uint8)}


def test_classifier_round_trip_is_exact(tmp_path, data, model):
    X, _ = data
    path = save(model, tmp_path / "model.npz")
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.get_params() == model.get_params()
    assert loaded.history_ == model.history_
    assert loaded.best_epoch_ == model.best_epoch_ and loaded.n_iter_ == model.n_iter_
    header = _header(_arrays(path))
    assert header["format"] == FORMAT and header["layer_sizes"] == [64, 16, 10]


def test_regressor_and_string_classes_round_trip(tmp_path, data):
    X, y = data
    reg = NeuralNetworkRegressor(layers=[64, 8, 1], epochs=2, random_state=0).fit(X, y * 1.0)
    np.testing.assert_array_equal(load(save(reg, tmp_path / "r.npz")).predict(X), reg.predict(X))
    labels = np.array(list("abcdefghij"))[y]
    clf = NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0).fit(X, labels)
    loaded = load(save(clf, tmp_path / "c.npz"))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_a_pickle_renamed_to_a_model_file_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ModelFileError, match="evil.npz"):
        load(path)
    assert not marker.exists()
    # the same payload inside an .npz as an object array is refused too
    _rewrite(path, {"header": np.array([Exploit()], dtype=object)})
    with pytest.raises(ModelFileError, match="evil.npz"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda a: {k: v for k, v in a.items() if k != "coef_1"}, r"missing \['coef_1'\]"),
        (lambda a: {**a, "coef_0": a["coef_0"][:, :5]}, r"'coef_0' has shape \(64, 5\)"),
        (lambda a: {**a, "coef_1": np.full_like(a["coef_1"], np.nan)}, "NaN or infinite"),
        (lambda a: {**a, "intercept_0": a["intercept_0"].astype(np.float16)}, "is float16"),
        (lambda a: {**a, "extra": np.zeros(3)}, r"unexpected \['extra'\]"),
        (lambda a: _with_header(a, version=99), "version 99 is not supported"),
        (lambda a: _with_header(a, format="other"), "does not name the format"),
        (lambda a: _with_header(a, layer_sizes=[64, 17, 10]), "params.layers"),
        (
            lambda a: _with_header(a, activations=[{"name": "swish", "params": {}}]),
            r"header\['activations'\]\[0\]\['name'\] is a string 'swish'",
        ),
        (lambda a: _with_header(a, estimator="os.system"), "unknown estimator"),
        (lambda a: {**a, "header": np.frombuffer(b"{nope", np.uint8)}, "not valid JSON"),
        (lambda a: {k: v for k, v in a.items() if k != "header"}, "no 'header'"),
    ],
)
def test_damaged_files_are_refused_with_the_file_named(tmp_path, model, damage, message):
    path = save(model, tmp_path / "model.npz")
    _rewrite(path, damage(_arrays(path)))
    with pytest.raises(ModelFileError, match=message) as info:
        load(path)
    assert "model.npz" in str(info.value)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_files_are_refused(tmp_path, model, keep):
    path = save(model, tmp_path / "model.npz")
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep)])
    with pytest.raises(ModelFileError, match="model.npz"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load(tmp_path / "absent.npz")


def test_unfitted_and_non_finite_models_are_not_saved(tmp_path, model):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save(NeuralNetwork(), tmp_path / "m.npz")
    broken = pickle.loads(pickle.dumps(model))
    broken.network_.params[3] = np.inf
    with pytest.raises(ModelFileError, match="non-finite"):
        save(broken, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_model_replaces_it_whole(tmp_path, data, model):
    X, y = data
    path = save(model, tmp_path / "m.npz")
    other = NeuralNetwork(layers=[64, 4, 10], epochs=1, random_state=1).fit(X, y)
    save(other, path)
    assert load(path).network_.layer_sizes == [64, 4, 10]
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_loaded_model_can_keep_training(tmp_path, data, model):
    X, y = data
    loaded = load(save(model, tmp_path / "m.npz"))
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == model.n_iter_ + 1
