"""Numerical edges, end to end, with every floating-point warning turned into an error.

Logits of +-1000, probabilities of exactly 0 and 1, saturated sigmoids and float32 input must
give finite losses, gradients and predictions: ``np.errstate(all="raise")`` fails the test on
any overflow, underflow, invalid operation or division by zero.
"""

import numpy as np
import pytest

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.nn import activations, initializers, losses
from scratchnet.nn.network import MLP

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def _saturating_network(activation: str, dtype) -> MLP:
    """Weights so large that pre-activations and logits reach the order of +-1000."""
    net = MLP([8, 16, 4], [activations.get(activation)], dtype)
    net.initialize(initializers.get("normal"), np.random.default_rng(0))
    net.params[...] *= 300.0
    return net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", HIDDEN)
def test_forward_loss_and_backward_stay_finite_at_logits_of_1000(activation, dtype):
    net = _saturating_network(activation, dtype)
    X = np.random.default_rng(1).normal(size=(32, 8)).astype(dtype)
    y = np.arange(32) % 4
    with np.errstate(all="raise"):
        workspace = net.workspace(32)
        logits = net.forward(X, workspace)
        assert np.abs(logits).max() > 500  # the edge is really reached
        loss, grad = losses.softmax_cross_entropy(logits, y, out=logits)
        net.backward(workspace, grad, alpha=1e-4)
    assert np.isfinite(loss) and loss > 10  # confidently wrong costs hundreds of nats
    assert np.isfinite(net.grads).all()


def test_sigmoid_of_plus_minus_1000_is_exactly_0_and_1_with_zero_derivative():
    sigmoid = activations.get("sigmoid")
    with np.errstate(all="raise"):
        for dtype in (np.float32, np.float64):
            a = sigmoid(np.array([-1000.0, 1000.0], dtype=dtype))
            assert a.tolist() == [0.0, 1.0]
            assert sigmoid.derivative(a).tolist() == [0.0, 0.0]


def test_probabilities_that_round_to_1_and_0_have_finite_log_probabilities_and_loss():
    from sklearn.metrics import log_loss

    model = NeuralNetwork(layers=[2, 3, 2], epochs=1, random_state=0).fit(
        np.array([[0.0, 1.0], [1.0, 0.0]] * 8), [0, 1] * 8
    )
    model.network_.params[...] *= 1e4  # logits in the thousands
    X = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    with np.errstate(all="raise"):
        proba = model.predict_proba(X)
        log_proba = model.predict_log_proba(X)
        loss = log_loss([0, 1], proba, labels=[0, 1])
    assert (proba.max(axis=1) == 1.0).all() and proba.min() < 1e-20
    assert np.isfinite(log_proba).all() and log_proba.min() < -100
    assert np.isfinite(loss)


@pytest.mark.parametrize("activation", HIDDEN)
def test_training_on_float32_input_raises_no_floating_point_error(activation):
    rng = np.random.default_rng(2)
    X = (rng.random((200, 10)) * 255).astype(np.float32)  # unscaled pixels: a common mistake
    y = rng.integers(0, 3, 200)
    with np.errstate(all="raise"):
        model = NeuralNetwork(
            layers=[10, 8, 3], activations=activation, epochs=3, lr=1e-3, random_state=0
        ).fit(X, y)
        assert np.isfinite(model.predict_proba(X)).all()


def test_regression_on_huge_targets_stays_finite():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 4)).astype(np.float32)
    y = (X @ rng.normal(size=(4, 2)) * 1e4).astype(np.float32)
    with np.errstate(all="raise"):
        model = NeuralNetworkRegressor(layers=[4, 8, 2], epochs=5, random_state=0).fit(X, y)
        assert np.isfinite(model.predict(X)).all()
