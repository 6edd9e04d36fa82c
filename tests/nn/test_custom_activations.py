"""Activations users register: their derivative checked, both conventions (from the output,
from the input) through a whole network's gradient, and use in an estimator."""

import pickle

import numpy as np
import pytest

from scratchnet import NeuralNetwork
from scratchnet.errors import ConfigError
from scratchnet.nn import activations
from scratchnet.nn.network import MLP

from gradcheck import numeric_gradient, relative_error


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture
def registered():
    """softsign (derivative from the output) and swish (from the input), removed afterwards."""
    made = {
        "softsign": activations.register(
            "softsign", lambda z: z / (1 + np.abs(z)), lambda a: (1 - np.abs(a)) ** 2
        ),
        "swish": activations.register(
            "swish",
            lambda z: z * _sigmoid(z),
            lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z))),
            of="input",
        ),
    }
    yield made
    for name in made:
        activations.unregister(name)


def test_check_activation_accepts_a_right_derivative_and_flags_a_wrong_one(registered):
    assert activations.check_activation("softsign") < 1e-6
    assert activations.check_activation("swish") < 1e-6
    wrong = activations.register("wrong", np.tanh, lambda a: 1 - a)  # should be 1 - a^2
    try:
        assert activations.check_activation(wrong) > 1e-2
    finally:
        activations.unregister("wrong")


def test_registered_activations_are_exact_in_a_network_gradient(registered):
    rng = np.random.default_rng(0)
    network = MLP([5, 6, 4, 3], [registered["softsign"], registered["swish"]], np.float64)
    network.initialize(lambda r, i, o: r.normal(size=(i, o)), rng)
    X, y = rng.normal(size=(7, 5)), rng.normal(size=(7, 3))

    def loss() -> float:
        return float(((network.forward(X) - y) ** 2).sum() / 2)

    workspace = network.workspace(7)
    network.backward(workspace, network.forward(X, workspace) - y)
    analytic = network.grads.copy()
    numeric = numeric_gradient(loss, network.params)
    assert relative_error(analytic, numeric) < 1e-6


def test_an_estimator_trains_and_pickles_with_a_registered_activation(registered):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    model = NeuralNetwork(layers=[64, 32, 10], activations="swish", epochs=10, lr=3e-3)
    assert model.set_params(random_state=0).fit(X / 16, y).score(X / 16, y) > 0.9
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X / 16), model.predict_proba(X / 16))


def test_taken_names_are_refused():
    for name in ("relu", "logistic", "softmax"):
        with pytest.raises(ConfigError, match="taken"):
            activations.register(name, np.tanh, lambda a: 1 - a * a)


def test_model_files_name_the_activation_and_need_it_registered(registered, tmp_path):
    from sklearn.datasets import load_digits

    from scratchnet import load, save
    from scratchnet.errors import ModelFileError

    X, y = load_digits(return_X_y=True)
    model = NeuralNetwork(layers=[64, 16, 10], activations=["swish"], epochs=2, random_state=0)
    save(model.fit(X / 16, y), tmp_path / "swish.npz")
    loaded = load(tmp_path / "swish.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X / 16), model.predict_proba(X / 16))
    activations.unregister("swish")
    with pytest.raises(ModelFileError, match=r"unknown activation 'swish'.*register"):
        load(tmp_path / "swish.npz")
