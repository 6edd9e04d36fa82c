"""The training loop's pieces: batches, float32 end to end, determinism, early stopping."""

import numpy as np
import pytest

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.nn import kernels
from scratchnet.nn.network import MLP
from scratchnet.training import Plateau, batches


def test_batches_cover_every_sample_once():
    assert list(batches(10, 4, None)) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    order = np.random.default_rng(0).permutation(10)
    shuffled = list(batches(10, 4, order))
    assert [len(b) for b in shuffled] == [4, 4, 2]
    assert np.concatenate(shuffled).tolist() == order.tolist()
    # From a row on: what is left after the full batches an epoch took in one call.
    assert list(batches(10, 4, None, start=8)) == [slice(8, 10)]
    assert [b.tolist() for b in batches(10, 4, order, start=8)] == [order[8:].tolist()]


def _every_array(trainer):
    net, opt = trainer.network, trainer.optimizer
    arrays = {"params": net.params, "grads": net.grads}
    for n, ws in net._workspaces.items():
        arrays.update({f"act{i}[{n}]": a for i, a in enumerate(ws.activations) if a is not None})
        arrays.update({f"delta{i}[{n}]": d for i, d in enumerate(ws.deltas) if d is not None})
    arrays.update({f"opt.{k}": v for k, v in vars(opt).items() if isinstance(v, np.ndarray)})
    arrays.update(
        {f"batch{k}": v for k, v in trainer._gather._buffers.items() if v.dtype.kind == "f"}
    )
    return arrays


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_every_array_of_the_training_step_stays_float32(optimizer, activation):
    rng = np.random.default_rng(0)
    X, y = rng.random((300, 20)), rng.integers(0, 3, 300)  # float64 input on purpose
    model = NeuralNetwork(
        layers=[20, 16, 8, 3],
        activations=activation,
        optimizer=optimizer,
        momentum=0.9 if optimizer == "sgd" else 0.0,
        alpha=1e-3,
        batch_size=64,
        epochs=2,
        lr_schedule="onecycle",
        random_state=0,
    )
    model.fit(X, y, validation_data=(X[:50], y[:50]))
    arrays = _every_array(model._trainer)
    assert len(arrays) > 10
    assert {name: a.dtype.name for name, a in arrays.items() if a.dtype != np.float32} == {}
    assert model.predict_proba(X).dtype == np.float32
    assert model.transform(X).dtype == np.float32


def test_float64_on_request():
    rng = np.random.default_rng(0)
    X = rng.random((100, 5)).astype(np.float32)
    model = NeuralNetworkRegressor(layers=[5, 4, 5], dtype="float64", epochs=1).fit(X, X)
    assert {a.dtype for a in _every_array(model._trainer).values()} == {np.dtype(np.float64)}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_runs_with_one_seed_are_bitwise_identical(optimizer):
    rng = np.random.default_rng(1)
    X, y = rng.random((500, 30)).astype(np.float32), rng.integers(0, 4, 500)

    def run():
        model = NeuralNetwork(
            layers=[30, 32, 16, 4],
            optimizer=optimizer,
            epochs=3,
            validation_fraction=0.2,
            random_state=42,
        ).fit(X, y)
        return model.network_.params.copy(), model.history_

    (first, history_a), (second, history_b) = run(), run()
    assert first.tobytes() == second.tobytes()
    assert {k: v for k, v in history_a.items() if k != "epoch_time"} == {
        k: v for k, v in history_b.items() if k != "epoch_time"
    }


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_plain_sgd_inside_the_gradient_products_trains_as_the_separate_step(
    monkeypatch, weight_decay
):
    rng = np.random.default_rng(3)
    X, y = rng.random((300, 12)), rng.integers(0, 3, 300)

    def fit():
        settings = dict(layers=[12, 16, 8, 3], optimizer="sgd", lr=0.2, alpha=1e-2, epochs=3)
        model = NeuralNetwork(
            **settings, weight_decay=weight_decay, dtype="float64", random_state=0
        )
        return model.fit(X, y).network_

    reachable = kernels.blas_reachable()
    fused = fit()
    monkeypatch.setattr(kernels, "blas_reachable", lambda: False)
    separate = fit()
    np.testing.assert_allclose(fused.params, separate.params, rtol=1e-10, atol=1e-12)
    weight_grads = slice(0, fused.n_weights)
    # The fused path never writes weight gradients (unless the BLAS is out of reach here).
    assert fused.grads[weight_grads].any() != reachable
    assert separate.grads[weight_grads].any()


def test_early_stopping_counts_patience_from_the_best_epoch():
    stopper = Plateau("val_loss", patience=2, min_delta=0.1, keep_best=True)
    network = MLP([2, 1], [])
    decisions = [
        stopper.update(e, loss, network)
        for e, loss in enumerate([1.0, 0.5, 0.45, 0.41, 0.2, 0.3, 0.25], start=1)
    ]
    # 0.45 and 0.41 are not better than 0.5 by more than 0.1; 0.2 is.
    assert decisions == [False, False, False, True, False, False, True]
    assert stopper.best_epoch == 5
