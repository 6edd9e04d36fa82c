"""The optimizer's step taken layer by layer inside the backward pass trains bitwise as the
step over the whole parameter vector after it, through both kernel paths."""

import numpy as np
import pytest

from scratchnet import NeuralNetwork, NeuralNetworkRegressor, training
from scratchnet.nn import onestep
from scratchnet.training import Trainer

pytestmark = pytest.mark.usefixtures("kernel_path")  # both kernel paths


@pytest.fixture(autouse=True, params=["layerwise", "one call"])
def per_layer(request, monkeypatch):
    """Small networks step layer by layer too (as large ones do), and in one call; on the
    NumPy path, not the compiled step (tests/nn/test_onestep.py)."""
    if request.param == "layerwise":
        monkeypatch.setattr(training, "LAYERWISE_MIN_WEIGHTS", 0)
    with onestep.numpy_path():
        yield


OPTIMIZERS = [
    {"optimizer": "sgd", "momentum": 0.9},
    {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"optimizer": "adam"},
    {"optimizer": "adamw"},
]


def _separate_step(self, workspace, grad, w_batch, sparse_input):
    """The step as it was: the whole backward pass, then one update of every parameter."""
    lr = self.schedule(self.steps_done, self.total_steps, self.learning_rate)
    norm = None if w_batch is None else float(w_batch.sum(dtype=np.float64))
    network = self.network
    network.backward(workspace, grad, self.alpha, normalizer=norm)
    self.optimizer.step(network.params, network.grads, lr, network.n_weights)


def _fit_both(monkeypatch, make, *data, **fit_args):
    fused = make().fit(*data, **fit_args).network_
    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "_backward_and_update", _separate_step)
        separate = make().fit(*data, **fit_args).network_
    return fused, separate


@pytest.mark.parametrize("settings", OPTIMIZERS)
@pytest.mark.parametrize("activation", ["identity", "relu", "leaky_relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_by_layer_updates_are_bitwise_the_whole_step(
    monkeypatch, settings, activation, dtype
):
    rng = np.random.default_rng(0)
    X, y = rng.random((150, 12)), rng.integers(0, 3, 150)
    w = rng.uniform(0.5, 2.0, 150)

    def make():
        return NeuralNetwork(
            layers=[12, 16, 8, 3], activations=activation, alpha=1e-3, epochs=2,
            batch_size=32, dtype=dtype, lr=1e-2, random_state=0, **settings,
        )  # fmt: skip

    fused, separate = _fit_both(monkeypatch, make, X, y, sample_weight=w)
    assert fused.params.tobytes() == separate.params.tobytes()


@pytest.mark.parametrize("settings", OPTIMIZERS)
@pytest.mark.parametrize("layer", [{"dropout": 0.2}, {"batch_norm": True}])
def test_with_dropout_and_batch_norm_too(monkeypatch, settings, layer):
    rng = np.random.default_rng(1)
    X = rng.random((120, 6))

    def make():
        return NeuralNetworkRegressor(
            layers=[6, 16, 8, 2], epochs=2, batch_size=32, lr=1e-2, random_state=0,
            **settings, **layer,
        )  # fmt: skip

    fused, separate = _fit_both(monkeypatch, make, X, X[:, :2])
    assert fused.params.tobytes() == separate.params.tobytes()
    assert fused.running.tobytes() == separate.running.tobytes()
