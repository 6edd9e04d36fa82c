"""Callbacks: the hook protocol, stopping, and every shipped callback on real (bundled) data."""

import csv
import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork, NeuralNetworkRegressor, load
from scratchnet.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    JSONLogger,
    LambdaCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from scratchnet.errors import ConfigError


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:1200] / 16, y[:1200], X[1200:] / 16, y[1200:]


def _model(**settings):
    return NeuralNetwork(**{"layers": [64, 16, 10], "epochs": 6, "random_state": 0, **settings})


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, state):
        self.calls.append("train_begin")

    def on_epoch_begin(self, state):
        self.calls.append(f"begin {state.epoch}")

    def on_epoch_end(self, state):
        self.calls.append(f"end {state.epoch} {sorted(state.record)}")

    def on_train_end(self, state):
        self.calls.append(f"train_end {len(state.history['loss'])}")


def test_hooks_are_called_in_order_with_the_epochs_figures(digits):
    X, y, X_val, y_val = digits
    recorder = Recorder()
    _model(epochs=2).fit(X, y, validation_data=(X_val, y_val), callbacks=[recorder])
    figures = ["accuracy", "epoch_time", "loss", "val_accuracy", "val_loss"]
    assert recorder.calls == [
        "train_begin",
        "begin 1",
        f"end 1 {figures}",
        "begin 2",
        f"end 2 {figures}",
        "train_end 2",
    ]


def test_a_callback_stops_training_and_changes_the_learning_rate(digits):
    X, y, _, _ = digits
    rates = []

    def halve_then_stop(state):
        rates.append(state.learning_rate)
        state.learning_rate /= 2
        state.stop = state.epoch == 3

    model = _model(epochs=10).fit(X, y, callbacks=[LambdaCallback(on_epoch_end=halve_then_stop)])
    assert model.n_iter_ == 3 and rates == [1e-3, 5e-4, 2.5e-4]


def test_early_stopping_on_any_metric_restores_the_best_weights(digits):
    X, y, X_val, y_val = digits
    # The loss falls every epoch, so with mode="max" its best epoch is the first.
    stopper = EarlyStopping("val_loss", patience=2, mode="max")
    model = _model(epochs=20).fit(X, y, validation_data=(X_val, y_val), callbacks=[stopper])
    assert model.n_iter_ == 3 and stopper.plateau.best_epoch == 1
    first = _model(epochs=1).fit(X, y)
    np.testing.assert_array_equal(model.network_.params, first.network_.params)


def test_the_estimators_own_early_stopping_is_the_callback(digits):
    X, y, X_val, y_val = digits
    own = _model(epochs=20, early_stopping=True, patience=2, min_delta=1.0)
    own.fit(X, y, validation_data=(X_val, y_val))
    by_callback = _model(epochs=20).fit(
        X, y, validation_data=(X_val, y_val), callbacks=[EarlyStopping("val_loss", 2, 1.0)]
    )
    assert own.n_iter_ == by_callback.n_iter_ < 20
    np.testing.assert_array_equal(own.network_.params, by_callback.network_.params)


def test_reduce_lr_on_plateau(digits):
    X, y, _, _ = digits
    reduce = ReduceLROnPlateau("loss", factor=0.5, patience=1, min_delta=10.0, min_lr=2e-4)
    model = _model(epochs=5).fit(X, y, callbacks=[reduce])
    assert model._trainer.learning_rate == 2e-4  # 1e-3, 5e-4, 2.5e-4, then the floor


def test_checkpoint_saves_the_best_model_atomically(digits, tmp_path):
    X, y, X_val, y_val = digits
    path = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(path, monitor="val_accuracy")
    model = _model(epochs=4).fit(X, y, validation_data=(X_val, y_val), callbacks=[checkpoint])
    saved = load(path)
    best = int(np.argmax(model.history_["val_accuracy"])) + 1
    assert saved.n_iter_ == best
    assert saved.score(X_val, y_val) == pytest.approx(max(model.history_["val_accuracy"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.npz"]  # no temporary left


def test_csv_and_json_loggers_write_the_history(digits, tmp_path):
    X, y, _, _ = digits
    loggers = [CSVLogger(tmp_path / "h.csv"), JSONLogger(tmp_path / "h.json")]
    model = NeuralNetworkRegressor(layers=[64, 8, 1], epochs=3, random_state=0)
    model.fit(X, y.astype(float), callbacks=loggers)
    rows = list(csv.DictReader(open(tmp_path / "h.csv")))
    assert [float(r["loss"]) for r in rows] == model.history_["loss"]
    assert json.loads((tmp_path / "h.json").read_text())["mse"] == model.history_["mse"]


def test_callbacks_are_fit_arguments_not_state(digits):
    X, y, _, _ = digits
    model = _model(epochs=1).fit(X, y, callbacks=[Recorder()])
    assert "callbacks" not in model.get_params()
    clone(model)
    pickle.loads(pickle.dumps(model))
    with pytest.raises(ConfigError, match="callbacks must be Callback objects"):
        _model().fit(X, y, callbacks=[print])
    with pytest.raises(ConfigError, match="callback monitors 'val_loss'"):
        _model().fit(X, y, callbacks=[EarlyStopping("val_loss")])
