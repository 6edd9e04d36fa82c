"""A running training curve is what its name says: the size-weighted mean over the epoch's
batches of each batch's loss and accuracy, taken before that batch's step (checked by hand on
a tiny network trained with plain SGD)."""

import numpy as np
import pytest

from scratchnet import NeuralNetwork


def _by_hand(X, y, coefs, intercepts, lr, batch):
    """Plain SGD over the batches in order; the batches' mean loss and accuracy."""
    W0, W1 = (c.astype(np.float64).copy() for c in coefs)
    b0, b1 = (b.astype(np.float64).copy() for b in intercepts)
    losses, correct = [], 0
    for begin in range(0, len(X), batch):
        Xb, yb = X[begin : begin + batch], y[begin : begin + batch]
        a1 = np.tanh(Xb @ W0 + b0)
        z2 = a1 @ W1 + b1
        p = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        losses.append(-np.log(p[np.arange(len(yb)), yb]).sum())
        correct += int((z2.argmax(axis=1) == yb).sum())
        dz2 = (p - np.eye(3)[yb]) / len(yb)
        dz1 = (dz2 @ W1.T) * (1 - a1**2)
        W1 -= lr * a1.T @ dz2
        b1 -= lr * dz2.sum(axis=0)
        W0 -= lr * Xb.T @ dz1
        b0 -= lr * dz1.sum(axis=0)
    return sum(losses) / len(X), correct / len(X)


def test_training_figures_are_the_running_mean_over_the_batches():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 4)), np.arange(10) % 3
    settings = dict(layers=[4, 5, 3], activations="tanh", optimizer="sgd", batch_size=4,
                    shuffle=False, dtype="float64", alpha=0.0, random_state=1)  # fmt: skip
    initial = NeuralNetwork(lr=1e-12, epochs=1, **settings).fit(X, y)  # the same draw
    model = NeuralNetwork(lr=0.5, epochs=1, **settings).fit(X, y, validation_data=(X, y))
    loss, accuracy = _by_hand(X, y, initial.coefs_, initial.intercepts_, 0.5, 4)
    assert model.history_["loss"][0] == pytest.approx(loss, rel=1e-9)
    assert model.history_["accuracy"][0] == accuracy
    # ... and not the figures of the network after the epoch (its validation figures here)
    assert abs(model.history_["val_loss"][0] - loss) > 1e-3
