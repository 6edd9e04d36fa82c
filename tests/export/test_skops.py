"""skops: a saved estimator loads trusting exactly ``skops_trusted_types``; its state is plain."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.errors import ExportError
from scratchnet.export import skops_trusted_types
from scratchnet.nn import activations
from scratchnet.nn.activations import Activation
from scratchnet.sklearn import MLPClassifier, MLPRegressor

sio = pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _fitted(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _models(X, y):
    leaky = activations.get("leaky_relu", slope=0.2)
    return [
        (
            NeuralNetwork(
                layers=[64, 16, 8, 10],
                activations=["tanh", "leaky_relu"],
                dropout=0.2,
                early_stopping=True,
                optimizer="sgd",
                momentum=0.9,
                lr_schedule="cosine",
                epochs=3,
                random_state=0,
            ),
            y,
        ),
        (NeuralNetworkRegressor(layers=[64, 8, 2], loss="poisson", epochs=2), X[:, :2]),
        (MLPClassifier(hidden_layer_sizes=(8,), max_iter=3), np.where(y > 4, "big", "small")),
        (MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=3), y.astype(float)),
        (NeuralNetwork(layers=[64, 8, 10], activations=[leaky], epochs=2), y),
        (NeuralNetwork(layers=[64, 16, 8, 10], batch_norm=True, epochs=2), y),
    ]


def test_each_estimator_loads_trusting_exactly_its_listed_types(digits, tmp_path):
    X, y = digits
    for model, target in _models(X, y):
        model = _fitted(model, X, target)
        path = tmp_path / "model.skops"
        sio.dump(model, path)
        expected = skops_trusted_types(type(model))
        if not any(isinstance(a, Activation) for a in model.get_params().get("activations", [])):
            expected.remove("scratchnet.nn.activations.Activation")
        assert sorted(sio.get_untrusted_types(file=path)) == expected
        loaded = sio.load(path, trusted=skops_trusted_types(type(model)))
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert loaded.get_params() == model.get_params()


def test_without_the_list_skops_refuses(digits, tmp_path):
    X, y = digits
    path = tmp_path / "model.skops"
    sio.dump(_fitted(NeuralNetwork(layers=[64, 8, 10], epochs=1), X, y), path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="MLP"):
        sio.load(path, trusted=["scratchnet.estimators.NeuralNetwork"])


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str | np.ndarray)


def test_the_fitted_state_is_arrays_builtins_and_the_network(digits):
    X, y = digits
    model = _fitted(_models(X, y)[0][0], X, y)
    state = model.__getstate__()
    assert "_trainer" not in state and "_plateaus" not in state
    others = {k for k, v in state.items() if not _plain(v)}
    assert others == {"network_"}
    assert _plain(state["network_"].__getstate__())


def test_a_pickled_model_keeps_predicting_and_can_train_on(digits):
    X, y = digits
    model = _fitted(NeuralNetwork(layers=[64, 8, 10], epochs=2, random_state=0), X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    assert again.network_.hidden_activations == model.network_.hidden_activations
    again.partial_fit(X, y)
    assert again.n_iter_ == 3 and np.isfinite(again.coefs_[0]).all()


def test_names_and_refusals():
    assert skops_trusted_types("NeuralNetwork") == [
        "scratchnet.estimators.NeuralNetwork",
        "scratchnet.nn.activations.Activation",
        "scratchnet.nn.network.MLP",
    ]
    assert len(skops_trusted_types()) == 6
    with pytest.raises(ExportError, match="not <class 'sklearn.neural_network"):
        skops_trusted_types(SklearnMLP)
