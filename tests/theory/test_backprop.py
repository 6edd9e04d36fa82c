"""The exact backprop trace against hand values, central differences and bad input."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from scratchnet.errors import ConfigError
from scratchnet.theory import backprop, original

F = Fraction

NP_ACT = {
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


def numpy_mse(weights, biases, acts, X, Y):
    """An independent float64 forward pass: mean of squared errors over all entries."""
    a = X
    for W, b, act in zip(weights, biases, acts, strict=True):
        a = NP_ACT[act](a @ W.T + b)
    return float(np.mean((Y - a) ** 2))


def central_differences(weights, biases, acts, X, Y, h=1e-6):
    grads = []
    for group in (weights, biases):
        grads.append([])
        for p in group:
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                up = numpy_mse(weights, biases, acts, X, Y)
                p[idx] = old - h
                down = numpy_mse(weights, biases, acts, X, Y)
                p[idx] = old
                g[idx] = (up - down) / (2 * h)
            grads[-1].append(g)
    return grads


def trace_gradients(trace, weights, biases):
    """The trace's gradients arranged like ``weights``/``biases``."""
    by_name = {p.name: float(p.gradient) for p in trace.parameters}
    gw, gb = [], []
    for l, (W, b) in enumerate(zip(weights, biases, strict=True), 1):
        scalar = W.shape == (1, 1)
        gw.append(
            np.array(
                [
                    [
                        by_name[f"w{l}" if scalar else f"W{l}[{j + 1},{k + 1}]"]
                        for k in range(W.shape[1])
                    ]
                    for j in range(W.shape[0])
                ]
            )
        )
        gb.append(
            np.array([by_name[f"b{l}" if len(b) == 1 else f"b{l}[{j + 1}]"] for j in range(len(b))])
        )
    return gw, gb


def test_original_trace_is_exact():
    t = original.backprop_trace()
    assert t.exact
    q = t.quantities()
    assert [q[f"y_hat_{i}"] for i in (1, 2, 3)] == [F(1, 50), F(1, 25), F(3, 50)]
    assert q["mse"] == F(489656, 30000)  # (2.98^2 + 3.96^2 + 4.94^2) / 3
    assert q["grad_w1"] == F(-1286, 375)  # -3.42933...
    assert q["grad_b1"] == F(-1584, 1000)
    assert q["grad_w2"] == F(-643, 375)
    assert q["grad_b2"] == F(-792, 100)
    assert q["new_w1"] == F(1, 10) - F(1, 100) * F(-1286, 375)
    assert q["new_b2"] == F(792, 10000)
    assert all(isinstance(v, Fraction) for v in q.values())


def test_original_terms_follow_the_chain_rule():
    t = original.backprop_trace()
    w1 = next(p for p in t.parameters if p.name == "w1")
    labels = [label for label, _ in w1.terms[0].factors]
    assert labels == ["dMSE/dy_hat_i", "identity'(z2_i)", "w2", "relu'(z1_i)", "x_i"]
    # sample 2: -(2/3)(4 - 0.04) * 1 * 0.2 * 1 * 2
    assert w1.terms[1].value == F(-2, 3) * (4 - F(4, 100)) * F(1, 5) * 2
    assert sum(term.value for term in w1.terms) == w1.gradient


def test_original_matches_central_differences():
    t = original.backprop_trace()
    W = [np.array([[0.1]]), np.array([[0.2]])]
    B = [np.array([0.0]), np.array([0.0])]
    X = np.array([[1.0], [2.0], [3.0]])
    Y = np.array([[3.0], [4.0], [5.0]])
    (gw, gb) = central_differences(W, B, ["relu", "identity"], X, Y)
    tw, tb = trace_gradients(t, W, B)
    for a, b in zip(gw + gb, tw + tb, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-8)
    assert float(t.loss) == pytest.approx(numpy_mse(W, B, ["relu", "identity"], X, Y), rel=1e-12)


@pytest.mark.parametrize(
    ("sizes", "acts", "seed_"),
    [
        ([1, 1, 1], ["relu", "identity"], 0),
        ([2, 3, 1], ["tanh", "identity"], 1),
        ([3, 4, 2], ["sigmoid", "sigmoid"], 2),
        ([2, 3, 3, 2], ["relu", "tanh", "identity"], 3),
        ([4, 2, 3], ["leaky_relu", "relu"], 4),
        ([1, 5, 1], ["identity", "sigmoid"], 5),
    ],
)
def test_random_networks_match_central_differences(sizes, acts, seed_):
    rng = np.random.default_rng(seed_)
    W = [rng.normal(size=(o, i)) for i, o in itertools.pairwise(sizes)]
    B = [rng.normal(size=o) * 0.5 for o in sizes[1:]]
    X = rng.normal(size=(5, sizes[0]))
    Y = rng.normal(size=(5, sizes[-1]))
    net = backprop.Network.from_lists([w.tolist() for w in W], [b.tolist() for b in B], acts)
    t = backprop.trace(net, X.tolist(), Y.tolist(), 0.1, exact=False)
    gw, gb = central_differences(W, B, acts, X, Y)
    tw, tb = trace_gradients(t, W, B)
    for a, b in zip(gw + gb, tw + tb, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    assert float(t.loss) == pytest.approx(numpy_mse(W, B, acts, X, Y), rel=1e-12)
    # the update is p - lr * grad
    for p in t.parameters:
        assert p.new_value == pytest.approx(p.value - 0.1 * p.gradient)


def test_exact_and_float_traces_agree():
    net = backprop.Network.from_lists(
        [[[1, -2], [3, 1]], [[2, "-1/2"]]], [[0, 1], ["0.5"]], ["leaky_relu", "identity"]
    )
    exact = backprop.trace(net, [[1, 2], [-1, 0.5], [2, -3]], [1, 0, 2], "0.05")
    approx = backprop.trace(net, [[1, 2], [-1, 0.5], [2, -3]], [1, 0, 2], "0.05", exact=False)
    assert exact.exact and not approx.exact
    for name, value in exact.quantities().items():
        assert float(value) == pytest.approx(approx.quantities()[name], rel=1e-12, abs=1e-12)


def test_updated_network_holds_new_values():
    t = original.backprop_trace()
    new = t.updated_network
    assert new.layers[0].weights[0][0] == t.quantities()["new_w1"]
    assert new.layers[1].biases[0] == t.quantities()["new_b2"]


def test_relu_kink_is_reported():
    net = backprop.Network.from_lists([1, 1], [-1, 0], ["relu", "identity"])
    t = backprop.trace(net, [1, 2], [0, 0])
    assert t.samples[0].kinks and not t.samples[1].kinks
    assert t.samples[0].deltas[1] == [0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": [1, 2], "biases": [0], "acts": ["relu", "identity"]}, "one of each per layer"),
        (
            {"weights": [1, 2], "biases": [0, 0], "acts": ["relu", "swish"]},
            "unknown activation 'swish'",
        ),
        ({"weights": [[[1, 2]], 2], "biases": [0, 0], "acts": ["relu", "identity"]}, None),
        ({"weights": [[[1, 2]], [[1, 2]]], "biases": [0, 0], "acts": ["relu", "identity"]}, "w2"),
        ({"weights": ["abc", 1], "biases": [0, 0], "acts": ["relu", "identity"]}, "w1"),
    ],
)
def test_bad_networks_raise_config_error(kwargs, message):
    if message is None:  # a valid 2-input network: no error
        backprop.Network.from_lists(kwargs["weights"], kwargs["biases"], kwargs["acts"])
        return
    with pytest.raises(ConfigError, match=message):
        backprop.Network.from_lists(kwargs["weights"], kwargs["biases"], kwargs["acts"])


def test_mismatched_samples_raise():
    net = original.backprop_network()
    with pytest.raises(ConfigError, match="3 inputs but 2 targets"):
        backprop.trace(net, [1, 2, 3], [1, 2])
    with pytest.raises(ConfigError, match="sample 1 has 2 values"):
        backprop.trace(net, [[1, 2]], [1])
    sig = backprop.Network.from_lists([1], [0], ["sigmoid"])
    with pytest.raises(ConfigError, match="exact"):
        backprop.trace(sig, [1], [1], exact=True)
