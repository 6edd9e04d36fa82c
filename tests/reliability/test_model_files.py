"""Safe model files: round trips, and every damaged or hostile file refused by name."""

import io
import json
import os
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest
from sklearn.datasets import load_digits

import model_mutations as mm
from scratchnet import NeuralNetwork, NeuralNetworkRegressor, load, save
from scratchnet.errors import ModelFileError
from scratchnet.persistence import FORMAT

from bounded import call_bounded


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
        (
            lambda a: _with_header(a, layer_sizes=[64, 17, 10]),
            r"shape \(64, 16\), expected \(64, 17\)",
        ),
        (
            lambda a: _with_header(a, activations=[{"name": "swish", "params": {}}]),
            r"header\['activations'\] is not valid: unknown activation 'swish'",
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


# --- issue 18: every hostile case a named one-line error, within a memory bound ----------------

MiB = 1 << 20


def _refused(path, pattern, max_bytes=32 * MiB):
    """load(path) must raise ModelFileError matching ``pattern``, one line naming the file."""
    outcome = call_bounded(lambda: load(path), (ModelFileError,), max_bytes)
    assert isinstance(outcome, ModelFileError), f"{path.name} loaded"
    message = str(outcome)
    assert "\n" not in message and path.name in message
    assert re.search(pattern, message), message
    return message


def _set_zip_field(data, signature, offset, fmt, value):
    out = bytearray(data)
    at = out.find(signature)
    while at >= 0:
        struct.pack_into(fmt, out, at + offset, value)
        at = out.find(signature, at + 4)
    return bytes(out)


def _deflated_zeros_member(name, header, n_bytes):
    """A zip member of an NPY header and ``n_bytes`` zeros, deflated (a few hundred KiB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for other, content in mm.members(header).items():
            if other != name:
                out.writestr(other, content)
        with out.open(name, "w", force_zip64=True) as member:
            member.write(mm.npy_header("<f4", (n_bytes // 4,)))
            chunk = bytes(4 * MiB)
            for _ in range(n_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def _saved(tmp_path, model):
    return save(model, tmp_path / "model.npz").read_bytes()


def _write(tmp_path, data, name="bad.npz"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


CASES = {
    "npy renamed npz": (lambda d: mm.npy_bytes(np.zeros(3)), "not an .npz archive"),
    "unknown compression method": (
        lambda d: _set_zip_field(
            _set_zip_field(d, mm.LOCAL, 8, "<H", 99), mm.CENTRAL, 10, "<H", 99
        ),
        "compression method 99",
    ),
    "encrypted flag": (
        lambda d: _set_zip_field(_set_zip_field(d, mm.LOCAL, 6, "<H", 1), mm.CENTRAL, 8, "<H", 1),
        "is encrypted",
    ),
    "header.npy raw JSON, no NPY magic": (
        lambda d: mm.archive(
            {**mm.members(d), "header.npy": json.dumps(mm.header_json(d)).encode()}
        ),
        "'header.npy' is not an NPY array",
    ),
    "header nested 5000 deep": (
        lambda d: mm.with_header_text(d, b"[" * 5000 + b"]" * 5000),
        "lists and objects \\(at most 4096\\)|nests deeper than",
    ),
    "header nested 17 deep": (
        lambda d: mm.with_header_text(d, b'{"params": ' + b"[" * 16 + b"]" * 16 + b"}"),
        "nests deeper than 16 levels",
    ),
    "integer of 5000 digits": (
        lambda d: mm.with_header_text(
            d, b'{"format": "scratchnet-model", "n_iter": ' + b"7" * 5000 + b"}"
        ),
        "an integer of 5000 characters",
    ),
    "Infinity": (
        lambda d: mm.with_header_text(
            d, json.dumps(mm.header_json(d)).replace('"n_iter": 2', '"n_iter": Infinity').encode()
        ),
        "holds Infinity",
    ),
    "params a number": (
        lambda d: mm.with_header(d, {**mm.header_json(d), "params": 5}),
        r"header\['params'\] is an integer 5; expected an object",
    ),
    "params a list": (
        lambda d: mm.with_header(d, {**mm.header_json(d), "params": [["lr", 1]]}),
        r"header\['params'\] is a list",
    ),
    "a parameter of the wrong JSON type": (
        lambda d: mm.with_header(
            d, {**mm.header_json(d), "params": {**mm.header_json(d)["params"], "lr": "x"}}
        ),
        r"The 'lr' parameter of NeuralNetwork must be",
    ),
    "npy header declaring 2^40 floats": (
        lambda d: mm.archive({**mm.members(d), "coef_0.npy": mm.npy_header("<f4", (2**40,))}),
        r"'coef_0' has shape \(1099511627776,\), expected \(64, 16\)",
    ),
    "activations one short": (
        lambda d: mm.with_header(
            d,
            {
                **mm.header_json(d),
                "activations": [],
                "params": {**mm.header_json(d)["params"], "activations": "relu"},
            },
        ),
        "activations has one entry per hidden layer",
    ),
    "wrong n_features_in": (
        lambda d: mm.with_header(d, {**mm.header_json(d), "n_features_in": 63}),
        "n_features_in equals layer_sizes",
    ),
    "unknown dtype in the header": (
        lambda d: mm.with_header(d, {**mm.header_json(d), "dtype": "float16"}),
        r"header\['dtype'\] is a string 'float16'",
    ),
    "unknown dtype in params": (
        lambda d: mm.with_header(
            d, {**mm.header_json(d), "params": {**mm.header_json(d)["params"], "dtype": "float16"}}
        ),
        r"The 'dtype' parameter of NeuralNetwork must be",
    ),
    "weights near the float32 maximum": (
        lambda d: mm.archive(
            {**mm.members(d), "coef_0.npy": mm.npy_bytes(np.full((64, 16), 3.0e38, np.float32))}
        ),
        "predicts NaN or infinite values|differ from those recorded",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_issue18_hostile_files_are_one_line_errors(tmp_path, model, case):
    damage, pattern = CASES[case]
    path = _write(tmp_path, damage(_saved(tmp_path, model)))
    _refused(path, pattern)


def test_a_2gib_zero_bomb_is_refused_before_reading_data(tmp_path, model):
    # 256 MiB of zeros deflated to 256 KiB as coef_0: refused from its NPY header and zip
    # sizes, with a peak far below the array it declares (the issue's 2 GiB case, scaled)
    data = _deflated_zeros_member("coef_0.npy", _saved(tmp_path, model), 256 * MiB)
    path = _write(tmp_path, data)
    assert path.stat().st_size < 2 * MiB
    _refused(path, r"'coef_0' has shape \(67108864,\)", max_bytes=4 * MiB)


def test_layer_sizes_that_imply_too_many_bytes_are_refused_before_reading(tmp_path, model):
    # the header agrees with a 1 GiB array: the total is bounded by max_bytes, checked first
    header = mm.header_json(_saved(tmp_path, model))
    big = {
        **header,
        "layer_sizes": [64, 4 * MiB, 10],
        "params": {**header["params"], "layers": None},
    }
    data = mm.archive(
        {
            **mm.members(mm.with_header(_saved(tmp_path, model), big)),
            "coef_0.npy": mm.npy_header("<f4", (64, 4 * MiB)),
            "intercept_0.npy": mm.npy_header("<f4", (4 * MiB,)),
            "coef_1.npy": mm.npy_header("<f4", (4 * MiB, 10)),
        }
    )
    path = _write(tmp_path, data)
    message = _refused(path, "more than the limit", max_bytes=4 * MiB)
    assert "max_bytes" in message


def test_zip_sizes_must_match_the_npy_header(tmp_path, model):
    data = _saved(tmp_path, model)
    parts = mm.members(data)
    parts["intercept_0.npy"] = parts["intercept_0.npy"] + bytes(64)  # trailing data
    _refused(_write(tmp_path, mm.archive(parts)), "zip size of")


def test_a_relabelled_activation_changes_the_predictions_and_is_refused(tmp_path, model):
    # a consistent header that computes another function: only the probe can tell
    header = mm.header_json(_saved(tmp_path, model))
    header["activations"] = [{"name": "tanh", "params": {}}]
    header["params"]["activations"] = "tanh"
    path = _write(tmp_path, mm.with_header(_saved(tmp_path, model), header))
    _refused(path, "differ from those recorded at save")


def test_version_1_files_still_load(tmp_path, data, model):
    # what scratchnet wrote before the probe: no 'probe' array, version 1
    X, _ = data
    parts = mm.members(_saved(tmp_path, model))
    del parts["probe.npy"]
    header = {**mm.header_json(_saved(tmp_path, model)), "version": 1}
    path = _write(tmp_path, mm.with_header(mm.archive(parts), header), "v1.npz")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    # and a version 1 file whose weights overflow is refused all the same
    parts["coef_0.npy"] = mm.npy_bytes(np.full((64, 16), 3.0e38, np.float32))
    path = _write(tmp_path, mm.with_header(mm.archive(parts), header), "v1big.npz")
    _refused(path, "predicts NaN or infinite values")


def test_params_are_validated_by_the_estimator(tmp_path, model):
    header = mm.header_json(_saved(tmp_path, model))
    unknown = {**header, "params": {**header["params"], "dropout_rate": 0.5}}
    _refused(
        _write(tmp_path, mm.with_header(_saved(tmp_path, model), unknown)), "unknown parameters"
    )


def test_sklearn_mlps_round_trip_through_the_same_reader(tmp_path, data):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X, y = data
    for model, predict in [
        (
            MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y),
            "predict_proba",
        ),
        (
            MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y % 2),
            "predict_proba",
        ),
        (
            MLPRegressor(hidden_layer_sizes=(8, 4), max_iter=5, random_state=0).fit(X, X[:, :3]),
            "predict",
        ),
        (
            MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), max_iter=5).fit(X, y),
            "predict",
        ),
    ]:
        loaded = load(save(model, tmp_path / "sk.npz"))
        np.testing.assert_array_equal(getattr(loaded, predict)(X), getattr(model, predict)(X))
    header = mm.header_json((tmp_path / "sk.npz").read_bytes())
    assert header["out_activation"] == "exp"
    bad = {**header, "params": {**header["params"], "loss": "squared_error"}}
    _refused(_write(tmp_path, mm.with_header((tmp_path / "sk.npz").read_bytes(), bad)), "exp")
    bad = {**header, "params": {**header["params"], "solver": "newton"}}
    _refused(_write(tmp_path, mm.with_header((tmp_path / "sk.npz").read_bytes(), bad)), "solver")


def test_legacy_sklearn_cell_files_still_load(tmp_path, data):
    # the scikit-learn cells' own format before it joined this one
    from sklearn.neural_network import MLPClassifier

    X, y = data
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(
        X.astype(np.float32), y
    )
    header = {
        "format": "scratchnet-sklearn-mlp",
        "class": "MLPClassifier",
        "params": {**model.get_params(), "hidden_layer_sizes": [8]},
        "n_features_in": 64,
        "n_outputs": 10,
        "out_activation": "softmax",
    }
    arrays = {f"coef_{i}": w for i, w in enumerate(model.coefs_)}
    arrays.update({f"intercept_{i}": b for i, b in enumerate(model.intercepts_)})
    arrays["classes"] = model.classes_
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    _rewrite(tmp_path / "legacy.npz", arrays)
    loaded = load(tmp_path / "legacy.npz")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    arrays["header"] = np.frombuffer(json.dumps({**header, "n_outputs": 9}).encode(), np.uint8)
    _rewrite(tmp_path / "legacy.npz", arrays)
    _refused(tmp_path / "legacy.npz", r"'coef_1' has shape \(8, 10\), expected \(8, 9\)")


@pytest.mark.parametrize("case", sorted(CASES))
def test_evaluate_exits_2_with_one_line(tmp_path, model, case, capsys):
    from scratchnet.cli import main

    damage, _ = CASES[case]
    path = _write(tmp_path, damage(_saved(tmp_path, model)))
    assert main(["evaluate", str(path), "--dataset", "digits"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.npz" in err and "Traceback" not in err


def test_zip64_end_records_load_and_prepended_data_is_refused(tmp_path, data, model, monkeypatch):
    X, _ = data
    parts = mm.members(_saved(tmp_path, model))
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # makes zipfile write zip64 records
    zip64 = mm.archive(parts)
    monkeypatch.undo()
    assert b"PK\x06\x06" in zip64
    loaded = load(_write(tmp_path, zip64, "zip64.npz"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    _refused(_write(tmp_path, b"#!/bin/sh\n" + _saved(tmp_path, model)), "data was added")


def test_every_scratchnet_output_kind_round_trips(tmp_path, data):
    # softmax, one logistic unit (scratchnet.sklearn's binary), multilabel, Poisson's exp
    from scratchnet.sklearn import MLPClassifier, MLPRegressor

    X, y = data
    labels = np.stack([y % 2, y > 4, y == 3], axis=1).astype(int)
    short = {"max_iter": 3, "random_state": 0, "hidden_layer_sizes": (8,)}
    models = [
        (MLPClassifier(**short).fit(X, y % 2), "predict_proba"),
        (MLPClassifier(**short).fit(X, y), "predict_proba"),
        (NeuralNetwork(layers=[64, 8, 3], epochs=2, random_state=0).fit(X, labels), "predict"),
        (MLPRegressor(loss="poisson", **short).fit(X, y), "predict"),
        (NeuralNetworkRegressor(epochs=2, random_state=0).fit(X, X[:, :2]), "predict"),
    ]
    for model, predict in models:
        loaded = load(save(model, tmp_path / "m.npz"))
        assert type(loaded) is type(model)
        np.testing.assert_array_equal(getattr(loaded, predict)(X), getattr(model, predict)(X))
        assert loaded.get_params() == model.get_params()
    header = mm.header_json((tmp_path / "m.npz").read_bytes())
    assert header["estimator"] == "NeuralNetworkRegressor" and header["version"] == 2


def test_files_written_before_version_2_still_load(data):
    # written by the code before this change: persistence.save (format version 1) and the
    # scikit-learn cells' own engines.save_model (format scratchnet-sklearn-mlp)
    from pathlib import Path

    X, _ = data
    folder = Path(__file__).parent / "data"
    expected = np.load(folder / "v1_expected_proba.npy")
    for index, name in enumerate(["v1_neuralnetwork.npz", "v1_sklearn_cell.npz"]):
        loaded = call_bounded(lambda n=name: load(folder / n), (), 8 * MiB)
        np.testing.assert_allclose(loaded.predict_proba(X[:5]), expected[index], rtol=1e-6)


def test_feature_names_round_trip(tmp_path, data):
    import warnings

    import pandas as pd
    from sklearn.neural_network import MLPRegressor

    X, y = data
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    for model in [
        NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0).fit(frame, y),
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(frame, y * 1.0),
    ]:
        loaded = load(save(model, tmp_path / "m.npz"))
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # no "fitted without feature names"
            np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    header = mm.header_json((tmp_path / "m.npz").read_bytes())
    bad = {**header, "feature_names_in": ["a"] * 64}
    _refused(_write(tmp_path, mm.with_header((tmp_path / "m.npz").read_bytes(), bad)), "distinct")


@pytest.fixture(scope="module")
def normalized(data):
    X, y = data
    settings = dict(layers=[64, 12, 8, 10], batch_norm=[True, False], epochs=2, random_state=0)
    return NeuralNetwork(**settings).fit(X, y)


def test_batch_normalization_round_trips_bitwise(tmp_path, data, normalized):
    X, _ = data
    loaded = load(save(normalized, tmp_path / "bn.npz"))
    np.testing.assert_array_equal(loaded.predict_proba(X), normalized.predict_proba(X))
    np.testing.assert_array_equal(loaded.transform(X, layer=1), normalized.transform(X, layer=1))
    np.testing.assert_array_equal(loaded.network_.snapshot(), normalized.network_.snapshot())
    assert loaded.network_.batch_norm == (True, False)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda a: {**a, "running_var_0": -np.abs(a["running_var_0"])}, "negative variances"),
        (lambda a: {k: v for k, v in a.items() if k != "scale_0"}, "scale_0"),
        (lambda a: _with_header(a, batch_norm=[True]), "one flag per hidden layer"),
        (lambda a: _with_header(a, batch_norm=[False, True]), "batch_norm"),
    ],
    ids=["negative-variance", "missing-scale", "short-flags", "other-layer"],
)
def test_damaged_batch_normalization_is_refused(tmp_path, normalized, damage, message):
    path = save(normalized, tmp_path / "bn.npz")
    _rewrite(path, damage(_arrays(path)))
    with pytest.raises(ModelFileError, match=message):
        load(path)
