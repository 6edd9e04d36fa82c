"""NeuralNetwork and NeuralNetworkRegressor: the math against scikit-learn, accuracy on real
(bundled) data, the fitted attributes, and the errors users can cause."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.errors import ConfigError, DivergenceError


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


def _one_epoch_like_sklearn(sk_cls, ours_cls, X, y, sk_settings, our_settings):
    """Both models start from the same weights; return both after one epoch, same batches."""
    shared = {"batch_size": 64, "shuffle": False, "alpha": 0.0}
    sk = sk_cls(
        hidden_layer_sizes=(24, 12),
        max_iter=1,
        warm_start=True,
        random_state=0,
        **sk_settings,
        **{k: v for k, v in shared.items() if k != "alpha"},
        alpha=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X, y)  # to build its layers
        start = [w.copy() for w in sk.coefs_]
        sk.coefs_ = [w.copy() for w in start]
        sk.intercepts_ = [np.zeros_like(b) for b in sk.intercepts_]
        sk.fit(X, y)  # one epoch from our shared start
    weights = iter(start)
    ours = ours_cls(
        layers=[X.shape[1], 24, 12, sk.coefs_[-1].shape[1]],
        weight_init=lambda rng, fan_in, fan_out: next(weights).copy(),
        epochs=1,
        dtype="float64",
        **shared,
        **our_settings,
    ).fit(X, y)
    return sk, ours


@pytest.mark.parametrize(
    ("sk_settings", "our_settings"),
    [
        (
            {"solver": "sgd", "momentum": 0.0, "learning_rate_init": 0.2, "activation": "relu"},
            {"optimizer": "sgd", "lr": 0.2, "activations": "relu"},
        ),
        (
            {
                "solver": "sgd",
                "momentum": 0.9,
                "nesterovs_momentum": True,
                "learning_rate_init": 0.05,
                "activation": "tanh",
            },
            {
                "optimizer": "sgd",
                "momentum": 0.9,
                "nesterov": True,
                "lr": 0.05,
                "activations": "tanh",
            },
        ),
        (
            {"solver": "adam", "learning_rate_init": 0.01, "activation": "logistic"},
            {"optimizer": "adam", "lr": 0.01, "activations": "logistic"},
        ),
    ],
    ids=["sgd", "nesterov", "adam"],
)
def test_one_epoch_matches_sklearn_mlpclassifier(digits, sk_settings, our_settings):
    X, _, y, _ = digits
    sk, ours = _one_epoch_like_sklearn(
        MLPClassifier, NeuralNetwork, X, y, sk_settings, our_settings
    )
    for theirs, mine in zip([*sk.coefs_, *sk.intercepts_], [*ours.coefs_, *ours.intercepts_]):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-10)
    assert not np.allclose(ours.coefs_[0], sk.coefs_[0] * 0.999)  # it really trained


def test_one_epoch_matches_sklearn_mlpregressor(digits):
    X, _, _, _ = digits
    Y = X[:, ::8]  # multi-output regression
    settings = (
        {"solver": "adam", "learning_rate_init": 0.01, "activation": "relu"},
        {"optimizer": "adam", "lr": 0.01, "activations": "relu"},
    )
    sk, ours = _one_epoch_like_sklearn(MLPRegressor, NeuralNetworkRegressor, X, Y, *settings)
    for theirs, mine in zip([*sk.coefs_, *sk.intercepts_], [*ours.coefs_, *ours.intercepts_]):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-10)


def test_digits_reach_95_percent(digits):
    X_train, X_test, y_train, y_test = digits
    model = NeuralNetwork(layers=[64, 64, 10], epochs=40, lr=3e-3, random_state=0)
    assert model.fit(X_train, y_train).score(X_test, y_test) >= 0.95


def test_zero_initialization_stays_at_chance(digits):
    X_train, X_test, y_train, y_test = digits
    model = NeuralNetwork(
        layers=[64, 32, 10], weight_init="zero", optimizer="sgd", lr=0.1, epochs=20, random_state=0
    ).fit(X_train, y_train)
    assert model.score(X_test, y_test) < 0.15
    assert np.all(model.coefs_[0] == 0)  # no gradient reaches the first layer at all


def test_seed_parameters_and_fitted_attributes(digits):
    X_train, X_test, y_train, y_test = digits
    model = NeuralNetwork(
        N=4,
        layers=[64, 32, 16, 10],
        lr=0.5,
        activations="sigmoid",
        weight_init="normal",
        epochs=3,
        batch_size=128,
        optimizer="sgd",
        random_state=0,
    ).fit(X_train, y_train, validation_data=(X_test, y_test))
    assert set(model.history_) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"}
    assert all(len(v) == 3 for v in model.history_.values())
    assert model.n_iter_ == 3 and model.n_features_in_ == 64
    assert [w.shape for w in model.coefs_] == [(64, 32), (32, 16), (16, 10)]
    assert [b.shape for b in model.intercepts_] == [(32,), (16,), (10,)]
    assert model.classes_.tolist() == list(range(10))
    assert model.coefs_[0].dtype == np.float32
    assert 1 <= model.best_epoch_ <= 3
    proba = model.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(X_test), proba.argmax(axis=1))
    assert model.history_["val_accuracy"][-1] == pytest.approx(model.score(X_test, y_test))


def test_string_labels_round_trip(digits):
    X_train, _, y_train, _ = digits
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    model = NeuralNetwork(layers=[64, 32, 10], epochs=20, lr=3e-3, random_state=0)
    model.fit(X_train, names[y_train])
    assert set(model.predict(X_train[:20])) <= set(names)
    assert model.score(X_train, names[y_train]) > 0.9


def test_early_stopping_stops_and_restores_the_best_weights(digits):
    X_train, _, y_train, _ = digits
    model = NeuralNetwork(
        layers=[64, 64, 10],
        epochs=300,
        lr=0.05,
        early_stopping=True,
        patience=3,
        validation_fraction=0.2,
        random_state=0,
    )
    model.fit(X_train, y_train)
    assert model.n_iter_ < 300
    assert model.n_iter_ == model.best_epoch_ + 3
    best = min(model.history_["val_loss"])
    assert model.history_["val_loss"][model.best_epoch_ - 1] == best


def test_validation_data_is_monitored_and_used(digits):
    X_train, X_test, y_train, y_test = digits
    model = NeuralNetwork(
        layers=[64, 16, 10], epochs=5, early_stopping=True, patience=100, random_state=0
    )
    model.fit(X_train, y_train, validation_data=(X_test, y_test))
    assert model.history_["val_loss"][model.best_epoch_ - 1] == min(model.history_["val_loss"])


def test_transform_returns_hidden_layers(digits):
    X_train, _, y_train, _ = digits
    model = NeuralNetwork(layers=[64, 32, 16, 10], epochs=2, random_state=0).fit(X_train, y_train)
    assert model.transform(X_train[:5]).shape == (5, 16)
    assert model.transform(X_train[:5], layer=1).shape == (5, 32)
    np.testing.assert_array_equal(
        model.transform(X_train[:5], layer=-2), model.transform(X_train[:5], layer=1)
    )
    assert (model.transform(X_train) >= 0).all()  # relu features
    for bad in (0, 3, -3):
        with pytest.raises(ConfigError, match=r"hidden layers"):
            model.transform(X_train, layer=bad)


def test_autoencoder_is_fit_x_x(digits):
    X_train, X_test, _, _ = digits
    ae = NeuralNetworkRegressor(layers=[64, 32, 8, 32, 64], epochs=60, lr=3e-3, random_state=0).fit(
        X_train, X_train, validation_data=(X_test, X_test)
    )
    assert ae.predict(X_test).shape == X_test.shape
    # Uniform R^2 (score) punishes the near-constant border pixels; weight by variance here.
    assert r2_score(X_test, ae.predict(X_test), multioutput="variance_weighted") > 0.5
    assert ae.transform(X_test, layer=2).shape == (len(X_test), 8)
    assert set(ae.history_) == {"loss", "mse", "val_loss", "val_mse", "val_r2", "epoch_time"}
    assert ae.history_["val_r2"][-1] == pytest.approx(ae.score(X_test, X_test), abs=1e-6)
    assert ae.history_["val_mse"][-1] == pytest.approx(
        ((ae.predict(X_test) - X_test) ** 2).mean(), rel=1e-4
    )


def test_partial_fit_continues_training(digits):
    X_train, X_test, y_train, y_test = digits
    model = NeuralNetwork(layers=[64, 32, 10], lr=3e-3, random_state=0)
    model.partial_fit(X_train, y_train, classes=np.arange(10))
    first = model.score(X_test, y_test)
    for _ in range(10):
        model.partial_fit(X_train, y_train)
    assert model.n_iter_ == 11 and len(model.history_["loss"]) == 11
    assert model.score(X_test, y_test) > first
    with pytest.raises(ValueError, match=r"not seen"):
        model.partial_fit(X_train, y_train + 100)


def test_same_seed_gives_bitwise_identical_models(digits):
    X_train, _, y_train, _ = digits
    a = NeuralNetwork(layers=[64, 32, 10], epochs=3, random_state=7).fit(X_train, y_train)
    b = NeuralNetwork(layers=[64, 32, 10], epochs=3, random_state=7).fit(X_train, y_train)
    c = NeuralNetwork(layers=[64, 32, 10], epochs=3, random_state=8).fit(X_train, y_train)
    assert np.array_equal(a.network_.params, b.network_.params)
    assert not np.array_equal(a.network_.params, c.network_.params)


def test_pickle_round_trip_keeps_predictions(digits):
    X_train, X_test, y_train, _ = digits
    model = NeuralNetwork(layers=[64, 16, 10], epochs=2, random_state=0).fit(X_train, y_train)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(X_test), model.predict_proba(X_test))


def test_divergence_stops_with_a_clear_error_and_no_nan_model(digits):
    X_train, _, y_train, _ = digits
    model = NeuralNetwork(
        layers=[64, 64, 10],
        optimizer="sgd",
        lr=1e6,
        epochs=5,
        activations="identity",
        random_state=0,
    )
    with pytest.raises(DivergenceError, match=r"epoch 1.*smaller learning rate") as info:
        model.fit(X_train * 100, y_train)
    assert info.value.epoch == 1 and len(info.value.history["loss"]) == 1
    assert not hasattr(model, "network_")  # nothing NaN was kept


# --- errors users can cause -------------------------------------------------------------------


def test_bad_input_gives_the_errors_sklearn_users_expect(digits):
    X_train, _, y_train, _ = digits
    model = NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0)
    with pytest.raises(NotFittedError):
        model.predict(X_train)
    bad = X_train.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN"):
        model.fit(bad, y_train)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"infinity"):
        model.fit(bad, y_train)
    with pytest.raises(ValueError, match=r"2D array"):
        model.fit(X_train[:, 0], y_train)
    with pytest.raises(ValueError, match=r"0 sample"):
        model.fit(X_train[:0], y_train[:0])
    with pytest.raises(ValueError, match=r"at least 2 classes"):
        model.fit(X_train, np.zeros(len(X_train)))
    with pytest.raises(ValueError, match=r"Unknown label type"):
        model.fit(X_train, np.linspace(0, 1, len(X_train)))
    model.fit(X_train, y_train)
    with pytest.raises(ValueError, match=r"X has 10 features, but NeuralNetwork is expecting 64"):
        model.predict(X_train[:, :10])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"layers": [64, 0, 10]}, "positive integer"),
        ({"layers": [63, 8, 10]}, r"layers\[0\]=63 but X has 64 features"),
        ({"layers": [64, 8, 9]}, r"layers\[-1\]=9 .* 10 outputs"),
        ({"layers": [64, 8, 10], "N": 4}, "N=4 but layers has 3 entries"),
        ({"N": 3}, "N was given without layers"),
        (
            {"lr": -0.1},
            r"'lr' parameter of NeuralNetwork must be a float in the range \(0.0, inf\)",
        ),
        ({"batch_size": 0}, "batch_size"),
        ({"activations": "swish"}, "unknown activation 'swish'"),
        ({"activations": ["relu", "tanh"]}, "activations lists 2 entries"),
        ({"weight_init": "orthogonal"}, "unknown weight_init"),
        ({"optimizer": "rmsprop"}, r"'optimizer' parameter .* among .*'lbfgs'.*Got 'rmsprop'"),
        ({"lr_schedule": "exp"}, r"'lr_schedule' parameter .*Got 'exp'"),
        ({"momentum": 2.0, "optimizer": "sgd"}, r"'momentum' parameter .* range \[0.0, 1.0\)"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"dtype": "float16"}, r"'dtype' parameter .*Got 'float16'"),
    ],
)
def test_impossible_settings_are_refused_in_fit_with_a_clear_message(digits, params, message):
    X_train, _, y_train, _ = digits
    with pytest.raises(ConfigError, match=message):
        NeuralNetwork(epochs=1, **params).fit(X_train, y_train)


def test_zero_epochs_is_refused(digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(ConfigError, match=r"'epochs' parameter .* range \[1, inf\)"):
        NeuralNetwork(epochs=0).fit(X_train, y_train)
