"""Batch normalization: exact gradients through the batch statistics (with and without sample
weights), inference from the running statistics, and the refusal of one-row batches."""

import numpy as np
import pytest

from scratchnet.nn import activations, batchnorm
from scratchnet.nn.network import MLP

from gradcheck import numeric_gradient, relative_error


def _network(activation: str, batch_norm, rng) -> MLP:
    act = activations.get(activation)
    network = MLP([5, 6, 4, 3], [act, act], np.float64, batch_norm)
    network.initialize(lambda r, i, o: r.normal(size=(i, o)), rng)
    for vector in [*network.intercepts, *(s for s in network.scales if s is not None)]:
        vector[...] += rng.normal(size=vector.shape)  # off ReLU's kink, scales away from 1
    return network


@pytest.mark.parametrize("weighted", [False, True], ids=["equal", "weighted"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("batch_norm", [(True, True), (True, False), (False, True)])
def test_the_training_gradient_matches_central_differences(activation, batch_norm, weighted):
    """Through the scale, the shift (bias) and the batch mean and variance of every row."""
    rng = np.random.default_rng(0)
    network = _network(activation, batch_norm, rng)
    X, y = rng.normal(size=(9, 5)), rng.normal(size=(9, 3))
    w = rng.uniform(0.2, 3.0, size=9) if weighted else None
    share = np.full(9, 1 / 9) if w is None else w / w.sum()

    def loss() -> float:
        out = network.forward(X, sample_weight=w)
        return float((share[:, None] * (out - y) ** 2).sum() / 2)

    workspace = network.workspace(9)
    output = network.forward(X, workspace, sample_weight=w)
    network.backward(workspace, share[:, None] * (output - y))
    analytic = network.grads.copy()
    numeric = numeric_gradient(loss, network.params)
    assert relative_error(analytic, numeric) < 1e-6
    assert np.abs(analytic[network.n_weights :]).max() > 1e-3  # scales and shifts do learn


def test_integer_weights_are_repeated_rows_in_the_statistics():
    rng = np.random.default_rng(1)
    network = _network("tanh", (True, True), rng)
    X = rng.normal(size=(6, 5))
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 1.0])
    weighted = network.forward(X, sample_weight=w).copy()
    repeated = network.forward(X.repeat(w.astype(int), axis=0))
    np.testing.assert_allclose(repeated, weighted.repeat(w.astype(int), axis=0), rtol=1e-12)


def test_inference_is_the_hand_computation_from_the_running_statistics():
    rng = np.random.default_rng(2)
    network = _network("relu", (True, True), rng)
    for mean, var in zip(network.running_means, network.running_vars):
        mean[...], var[...] = rng.normal(size=mean.shape), rng.uniform(0.5, 2, size=var.shape)
    X = rng.normal(size=(300, 5))  # more than one prediction chunk
    a = X
    for i in range(2):
        z = a @ network.coefs[i]
        normal = (z - network.running_means[i]) / np.sqrt(network.running_vars[i] + 1e-5)
        a = np.maximum(network.scales[i] * normal + network.intercepts[i], 0.0)
    expected = a @ network.coefs[2] + network.intercepts[2]
    np.testing.assert_allclose(network.predict_raw(X), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(network.predict_raw(X, layer=2), a, rtol=1e-12, atol=1e-12)


def test_running_statistics_follow_the_momentum():
    rng = np.random.default_rng(3)
    network = _network("sigmoid", (True, False), rng)
    X = rng.normal(size=(20, 5))
    workspace = network.workspace(20)
    network.forward(X, workspace)
    z = X @ network.coefs[0]
    network.update_running_statistics(workspace, momentum=0.9)
    np.testing.assert_allclose(network.running_means[0], 0.1 * z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(network.running_vars[0], 0.9 + 0.1 * z.var(axis=0), rtol=1e-12)
    network.update_running_statistics(workspace, momentum=0.0)
    np.testing.assert_allclose(network.running_vars[0], z.var(axis=0), rtol=1e-12)


def test_a_batch_of_one_row_is_refused():
    network = _network("relu", (True, True), np.random.default_rng(4))
    with pytest.raises(ValueError, match="at least 2 rows per training batch, got 1 sample"):
        network.forward(np.ones((1, 5)))
    assert network.predict_raw(np.ones((1, 5))).shape == (1, 3)  # inference takes one row


def test_without_batch_norm_the_layout_is_unchanged():
    network = MLP([5, 6, 3], [activations.get("relu")], np.float32)
    assert network.params.size == 5 * 6 + 6 * 3 + 6 + 3
    assert network.running.size == 0 and network.scales == [None]
    assert not network.normalizes


def test_snapshots_carry_the_running_statistics():
    network = _network("tanh", (True, True), np.random.default_rng(5))
    saved = network.snapshot()
    network.params += 1.0
    network.running += 1.0
    network.restore(saved)
    np.testing.assert_array_equal(network.snapshot(), saved)
    assert saved.size == network.params.size + 2 * (6 + 4)


def test_the_layer_math_matches_the_module_docstring_formulas():
    rng = np.random.default_rng(6)
    z, gamma = rng.normal(size=(8, 3)), rng.uniform(0.5, 2, size=3)
    stats = batchnorm.BatchStatistics(8, 3, np.float64)
    out = z.copy()
    batchnorm.normalize(out, gamma, None, 1e-5, stats)
    expected = gamma * (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
