"""The exact trace agrees with the core network's backward pass (scratchnet.nn.network)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from scratchnet.theory import backprop, original

network = pytest.importorskip("scratchnet.nn.network")
nn_activations = pytest.importorskip("scratchnet.nn.activations")


def core_gradients(weights, biases, hidden, X, Y):
    """Gradients of MSE (mean over all entries) from MLP.backward; weights as (n_out, n_in)."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    mlp = network.MLP(sizes, [nn_activations.get(name) for name in hidden], dtype=np.float64)
    mlp.set_parameters([w.T for w in weights], biases)
    ws = mlp.workspace(X.shape[0])
    out = mlp.forward(X, ws)
    mlp.backward(ws, -2.0 * (Y - out) / Y.size)
    return [g.T for g in mlp.coef_grads], [g.copy() for g in mlp.intercept_grads]


def test_original_network_gradients_agree():
    W = [np.array([[0.1]]), np.array([[0.2]])]
    B = [np.array([0.0]), np.array([0.0])]
    gw, gb = core_gradients(
        W, B, ["relu"], np.array([[1.0], [2.0], [3.0]]), np.array([[3.0], [4.0], [5.0]])
    )
    t = original.backprop_trace()
    assert gw[0][0, 0] == pytest.approx(float(t.gradient("w1")), rel=1e-12)
    assert gb[0][0] == pytest.approx(float(t.gradient("b1")), rel=1e-12)
    assert gw[1][0, 0] == pytest.approx(float(t.gradient("w2")), rel=1e-12)
    assert gb[1][0] == pytest.approx(float(t.gradient("b2")), rel=1e-12)


@pytest.mark.parametrize("hidden", [["relu"], ["tanh", "sigmoid"]])
def test_tiny_random_network_gradients_agree(hidden):
    rng = np.random.default_rng(len(hidden))
    sizes = [2, *([3] * len(hidden)), 2]
    W = [rng.normal(size=(o, i)) for i, o in itertools.pairwise(sizes)]
    B = [rng.normal(size=o) for o in sizes[1:]]
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    gw, gb = core_gradients(W, B, hidden, X, Y)
    net = backprop.Network.from_lists(
        [w.tolist() for w in W], [b.tolist() for b in B], [*hidden, "identity"]
    )
    t = backprop.trace(net, X.tolist(), Y.tolist(), exact=False)
    for l, (gwl, gbl) in enumerate(zip(gw, gb, strict=True), 1):
        for j, k in np.ndindex(gwl.shape):
            assert gwl[j, k] == pytest.approx(t.gradient(f"W{l}[{j + 1},{k + 1}]"), rel=1e-9)
        for j in range(len(gbl)):
            assert gbl[j] == pytest.approx(t.gradient(f"b{l}[{j + 1}]"), rel=1e-9)
