import numpy as np
import pytest

from scratchnet.nn import activations, initializers, losses
from scratchnet.nn import network as network_module
from scratchnet.nn.network import MLP, chunk_rows

from gradcheck import numeric_gradient, relative_error

pytestmark = pytest.mark.usefixtures("kernel_path")  # both kernel paths

ARCHITECTURES = [[4, 3], [5, 6, 3], [3, 5, 4, 2], [6, 4, 5, 3, 4]]
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def _network(sizes, activation, seed=0):
    act = activations.get(activation)
    net = MLP(sizes, [act] * (len(sizes) - 2), np.float64)
    net.initialize(initializers.get("xavier"), np.random.default_rng(seed))
    net.params[net.n_weights :] = np.random.default_rng(seed + 1).normal(
        scale=0.1, size=net.params.size - net.n_weights
    )
    return net


def _loss(net, X, y, task, alpha):
    out = net.predict_raw(X)
    penalty = alpha * sum((w**2).sum() for w in net.coefs) / (2 * X.shape[0])
    if task == "classification":
        return losses.cross_entropy(out, y) + penalty
    return losses.squared_error(out, y)[0] + penalty


@pytest.mark.parametrize("sizes", ARCHITECTURES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_backward_matches_central_differences(sizes, activation, task):
    rng = np.random.default_rng(len(sizes))
    net = _network(sizes, activation)
    X = rng.normal(size=(9, sizes[0]))
    if task == "classification":
        y = rng.integers(0, sizes[-1], 9)
        loss_and_grad = losses.softmax_cross_entropy
    else:
        y = rng.normal(size=(9, sizes[-1]))
        loss_and_grad = losses.squared_error
    alpha = 0.3
    workspace = net.workspace(9)
    _, delta = loss_and_grad(net.forward(X, workspace), y)
    net.backward(workspace, delta, alpha)
    numeric = numeric_gradient(lambda: _loss(net, X, y, task, alpha), net.params)
    assert relative_error(net.grads, numeric) < 1e-6


@pytest.mark.parametrize("alpha, weight_decay", [(0.0, 0.0), (0.3, 0.0), (0.3, 0.05)])
def test_descending_in_backward_is_backward_then_a_plain_sgd_step(alpha, weight_decay):
    rng = np.random.default_rng(7)
    fused, separate = _network([6, 4, 5, 3], "tanh"), _network([6, 4, 5, 3], "tanh")
    X, y, lr = rng.normal(size=(9, 6)), rng.integers(0, 3, 9), 0.1
    for net, descend in [(fused, (lr, weight_decay)), (separate, None)]:
        workspace = net.workspace(9)
        _, delta = losses.softmax_cross_entropy(net.forward(X, workspace), y)
        net.backward(workspace, delta, alpha, descend=descend)

    weights = slice(0, separate.n_weights)
    expected = separate.params[weights] * (1 - lr * weight_decay) - lr * separate.grads[weights]
    np.testing.assert_allclose(fused.params[weights], expected, rtol=1e-13, atol=1e-15)
    assert not np.allclose(fused.params[weights], separate.params[weights])  # it moved
    biases = slice(separate.n_weights, None)
    np.testing.assert_array_equal(fused.grads[biases], separate.grads[biases])
    assert not fused.grads[weights].any()  # never written: the step took the gradient's place


def test_forward_and_predict_raw_agree_and_layer_picks_hidden_output():
    net = _network([5, 7, 4, 3], "tanh")
    X = np.random.default_rng(0).normal(size=(11, 5))
    np.testing.assert_allclose(net.forward(X), net.predict_raw(X), rtol=1e-12)
    hidden = np.tanh(X @ net.coefs[0] + net.intercepts[0])
    np.testing.assert_allclose(net.predict_raw(X, layer=1), hidden, rtol=1e-12)


def test_prediction_does_not_depend_on_batching_beyond_rounding():
    """Rows are predicted alike in any batch, to float32 rounding: how OpenBLAS blocks a
    product depends on its row count, so on some kernels (Haswell's, as on AMD EPYC) one row
    alone and the same row among many differ in their last bits."""
    net = _network([30, 64, 10], "relu")
    net.params[...] = net.params.astype(np.float32)
    net32 = MLP(net.layer_sizes, net.hidden_activations, np.float32)
    net32.params[...] = net.params
    X = np.random.default_rng(0).normal(size=(300, 30)).astype(np.float32)
    whole = net32.predict_raw(X)
    one_by_one = np.vstack([net32.predict_raw(X[i : i + 1]) for i in range(0, len(X), 41)])
    np.testing.assert_allclose(whole[::41], one_by_one, rtol=1e-5, atol=1e-6)


def test_chunk_rows_splits_evenly_within_the_budget():
    assert chunk_rows(10_000, 100, budget=100 * 4_000) == 3_334  # 3 chunks, not 4000+4000+2000
    assert chunk_rows(10_000, 100, budget=10**9) == 10_000  # one chunk
    assert chunk_rows(5, 10**9, budget=10) == 1  # a row larger than the budget: one at a time
    assert chunk_rows(0, 100) == 1


@pytest.mark.parametrize("budget_rows", [1, 7, 64, 10_000])
def test_chunked_prediction_equals_one_shot_prediction(monkeypatch, budget_rows):
    """Any chunking gives the one-shot forward pass, to float32 rounding, for every layer."""
    net = MLP([30, 16, 8, 5], [activations.get("tanh")] * 2, np.float32)
    net.initialize(initializers.get("xavier"), np.random.default_rng(0))
    X = np.random.default_rng(1).normal(size=(203, 30)).astype(np.float32)
    expected = X
    for i, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        expected = expected @ W + b
        expected = np.tanh(expected) if i < 2 else expected
    row_bytes = sum(net.layer_sizes) * 4
    monkeypatch.setattr(network_module, "PREDICT_BYTES", budget_rows * row_bytes)
    np.testing.assert_allclose(net.predict_raw(X), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        net.predict_raw(np.asfortranarray(X), layer=1),
        np.tanh(X @ net.coefs[0] + net.intercepts[0]),
        rtol=1e-5,
        atol=1e-6,
    )


def test_prediction_memory_is_the_result_plus_one_chunk(monkeypatch):
    """However many rows, the scratch space is one chunk's buffers: the peak of a prediction
    stays the output plus the budget, far below the activations of all rows at once."""
    import tracemalloc

    net = MLP([50, 400, 400, 2], [activations.get("relu")] * 2, np.float32)
    net.initialize(initializers.get("he"), np.random.default_rng(0))
    X = np.random.default_rng(1).normal(size=(20_000, 50)).astype(np.float32)
    budget = 1 << 20
    monkeypatch.setattr(network_module, "PREDICT_BYTES", budget)
    tracemalloc.start()
    try:
        out = net.predict_raw(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    all_at_once = X.shape[0] * sum(net.layer_sizes[1:]) * 4  # 64 MB
    assert peak <= out.nbytes + budget + 64 * 1024 < all_at_once / 10


def test_parameters_are_views_of_one_flat_vector_and_survive_pickling():
    import pickle

    net = _network([3, 4, 2], "relu")
    net.params[0] = 42.0
    assert net.coefs[0][0, 0] == 42.0
    clone = pickle.loads(pickle.dumps(net))
    clone.params[0] = -1.0
    assert clone.coefs[0][0, 0] == -1.0 and net.coefs[0][0, 0] == 42.0
