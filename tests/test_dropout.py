"""Dropout: exact gradients through a fixed mask, masks that follow the sample (not its
position), reproducible masks, no dropping at prediction, and what it is for on real data: a
smaller train-validation gap."""

import numpy as np
import pytest
from sklearn.metrics import log_loss

from scratchnet import NeuralNetwork
from scratchnet.errors import ConfigError, DataSourceError
from scratchnet.nn import activations
from scratchnet.nn.dropout import Dropout
from scratchnet.nn.network import MLP

from gradcheck import numeric_gradient, relative_error


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_the_gradient_through_a_fixed_mask_matches_central_differences(activation):
    rng = np.random.default_rng(0)
    act = activations.get(activation)
    network = MLP([5, 6, 4, 3], [act, act], np.float64)
    network.initialize(lambda r, i, o: r.normal(size=(i, o)), rng)
    for bias in network.intercepts:  # no pre-activation exactly on ReLU's kink at 0
        bias[...] = rng.normal(size=bias.shape)
    X, y = rng.normal(size=(7, 5)), rng.normal(size=(7, 3))
    dropout = Dropout([0.5, 0.25], seed=1)
    masks = dropout.masks(dropout.row_keys(X), 0, [6, 4], np.float64)
    assert (masks[0] == 0).any() and (masks[0] == 2.0).any()

    def loss() -> float:
        return float(((network.forward(X, masks=masks) - y) ** 2).sum() / 2)

    workspace = network.workspace(7)
    network.backward(workspace, network.forward(X, workspace, masks) - y)
    analytic = network.grads.copy()
    assert relative_error(analytic, numeric_gradient(loss, network.params)) < 1e-6


def test_a_sample_keeps_its_masks_wherever_it_is_and_its_copies_share_them():
    rng = np.random.default_rng(2)
    X = rng.random((50, 8))
    dropout = Dropout([0.5, 0.0], seed=7)
    keys = dropout.row_keys(X)
    assert len(set(keys.tolist())) == 50
    order = rng.permutation(50)
    np.testing.assert_array_equal(dropout.row_keys(X[order]), keys[order])
    mask = dropout.masks(keys, 3, [40, 5], np.float32)[0].copy()
    shuffled = dropout.masks(keys[order], 3, [40, 5], np.float32)
    np.testing.assert_array_equal(shuffled[0], mask[order])
    assert shuffled[1] is None
    copies = dropout.masks(dropout.row_keys(X[[4, 4, 9]]), 3, [40, 5], np.float32)[0]
    np.testing.assert_array_equal(copies, mask[[4, 4, 9]])
    other_step = dropout.masks(keys, 4, [40, 5], np.float32)[0]
    other_seed = Dropout([0.5, 0.0], seed=8).masks(keys, 3, [40, 5], np.float32)[0]
    assert not np.array_equal(other_step, mask) and not np.array_equal(other_seed, mask)
    assert set(np.unique(mask)) == {0.0, 2.0} and abs((mask == 0).mean() - 0.5) < 0.05


def test_sparse_rows_have_the_keys_of_their_dense_twins():
    from scipy import sparse

    X = np.random.default_rng(3).random((30, 12))
    X[X < 0.6] = 0.0
    dropout = Dropout([0.3], seed=1)
    np.testing.assert_array_equal(dropout.row_keys(sparse.csr_matrix(X)), dropout.row_keys(X))


def test_masks_come_from_the_random_state_and_prediction_never_drops():
    rng = np.random.default_rng(0)
    X, y = rng.random((200, 10)), rng.integers(0, 3, 200)
    settings = dict(layers=[10, 32, 16, 3], epochs=3, random_state=0)
    a = NeuralNetwork(dropout=0.3, **settings).fit(X, y)
    b = NeuralNetwork(dropout=0.3, **settings).fit(X, y)
    plain = NeuralNetwork(**settings).fit(X, y)
    np.testing.assert_array_equal(a.network_.params, b.network_.params)
    assert not np.array_equal(a.network_.params, plain.network_.params)
    np.testing.assert_array_equal(a.predict_proba(X), a.predict_proba(X))
    expected = a.network_.forward(X.astype(np.float32).copy())  # no masks: nothing dropped
    np.testing.assert_allclose(a.predict_proba(X), a._objective().predict(expected), rtol=1e-5)


def test_bad_rates_are_refused():
    X, y = np.random.default_rng(0).random((20, 4)), np.arange(20) % 2
    with pytest.raises(ConfigError, match="dropout must be one value or one per hidden layer"):
        NeuralNetwork(layers=[4, 3, 3, 2], dropout=[0.1], epochs=1).fit(X, y)
    with pytest.raises(ConfigError, match="'dropout' parameter"):
        NeuralNetwork(dropout=1.0, epochs=1).fit(X, y)
    with pytest.raises(ConfigError, match="optimizer='lbfgs' has none"):
        NeuralNetwork(dropout=0.2, optimizer="lbfgs").fit(X, y)


@pytest.mark.network
def test_dropout_narrows_the_train_validation_gap_of_an_overfitting_mnist_network():
    from scratchnet.data import load_dataset

    try:
        data = load_dataset("mnist", data_dir=None)
    except DataSourceError as exc:
        pytest.skip(f"no MNIST source: {exc}")
    images = data.X_train.reshape(len(data.X_train), -1) / 255.0
    X, y = images[:2000], data.y_train[:2000]
    X_val, y_val = images[50_000:52_000], data.y_train[50_000:52_000]
    settings = dict(layers=[784, 256, 256, 10], epochs=40, lr=1e-3, random_state=0)
    gaps = []  # validation minus training log-loss: both nets fit the 2,000 images perfectly
    for rate in (0.0, 0.5):
        model = NeuralNetwork(dropout=rate, **settings).fit(X, y)
        train, val = (
            log_loss(t, model.predict_proba(x), labels=range(10))
            for x, t in ((X, y), (X_val, y_val))
        )
        gaps.append(val - train)
    assert gaps[1] < 0.9 * gaps[0]  # measured: 0.282 against 0.335


def test_the_python_word_hash_is_the_vectorised_one():
    from scratchnet.nn.dropout import _splitmix64_word
    from scratchnet.nn.kernels import splitmix64

    words = np.random.default_rng(4).integers(0, 2**64, 500, dtype=np.uint64)
    words[:2] = [0, 2**64 - 1]
    assert [_splitmix64_word(int(w)) for w in words] == splitmix64(words).tolist()
