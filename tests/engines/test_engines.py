"""The training engines (one adapter class each): scikit-learn's epoch driver is exactly one
``fit``, scratchnet's epoch loop is exactly one ``fit``, hidden features, safe model files."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from scratchnet import engines
from scratchnet.engines.base import Recipe, evaluate, load_model
from scratchnet.engines.sklearn_epochs import train_epochs
from scratchnet.errors import ConfigError


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def fitted(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def same_weights(a, b) -> bool:
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    return all(np.array_equal(p, q) for p, q in pairs)


@pytest.mark.parametrize("shuffle", [True, False])
def test_driver_equals_one_fit_classifier(digits, shuffle):
    X, y = digits
    settings = dict(hidden_layer_sizes=(32, 16), batch_size=64, random_state=3, shuffle=shuffle)
    reference = fitted(MLPClassifier(max_iter=5, **settings), X, y)
    model = MLPClassifier(**settings)
    times = train_epochs(model, X, y, 5)
    assert len(times) == 5
    assert same_weights(reference, model)
    assert model.loss_curve_ == reference.loss_curve_
    assert model.random_state == 3  # restored after training


def test_driver_equals_one_fit_regressor(digits):
    X, _ = digits
    settings = dict(hidden_layer_sizes=(16, 8, 16), batch_size=50, random_state=1)
    reference = fitted(MLPRegressor(max_iter=4, **settings), X, X)
    model = MLPRegressor(**settings)
    train_epochs(model, X, X, 4)
    assert same_weights(reference, model)


def test_warm_start_is_not_one_fit(digits):
    """Why the driver exists: warm_start restarts Adam, so it drifts from one fit."""
    X, y = digits
    settings = dict(hidden_layer_sizes=(32,), batch_size=64, random_state=3)
    reference = fitted(MLPClassifier(max_iter=3, **settings), X, y)
    warm = MLPClassifier(max_iter=1, warm_start=True, **settings)
    for _ in range(3):
        fitted(warm, X, y)
    assert not same_weights(reference, warm)


def test_driver_stops_where_fit_stops(digits):
    X, y = digits
    settings = dict(hidden_layer_sizes=(8,), tol=0.5, n_iter_no_change=3, random_state=3)
    reference = fitted(MLPClassifier(max_iter=60, **settings), X, y)
    model = MLPClassifier(**settings)
    times = train_epochs(model, X, y, 60)
    assert reference.n_iter_ < 60
    assert len(times) == reference.n_iter_
    assert model.loss_curve_ == reference.loss_curve_


def test_driver_refuses_a_random_seed():
    with pytest.raises(ConfigError, match="integer random_state"):
        train_epochs(MLPClassifier(random_state=None), np.zeros((4, 2)), np.array([0, 1, 0, 1]), 1)


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_fit_with_history_records_end_of_epoch_curves(digits, engine):
    X, y = digits
    recipe = Recipe(lr=3e-3, epochs=3, batch_size=64, random_state=0)
    model = engines.get(engine).build("classify", (32,), "relu", recipe, 64, 10)
    result = engines.of(model).fit(model, X[:1200], y[:1200], X[1200:], y[1200:], 3)
    assert result.curve == "end-of-epoch"
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"}
    assert all(len(values) == 3 for values in result.history.values())
    final = evaluate(result.model, X[1200:], y[1200:])
    assert result.history["val_accuracy"][-1] == final["accuracy"]
    assert result.history["val_loss"][-1] == pytest.approx(final["loss"])
    assert result.fit_seconds == pytest.approx(sum(result.history["epoch_time"]))


def test_scratchnet_epoch_loop_equals_one_fit(digits):
    X, y = digits
    recipe = Recipe(lr=3e-3, epochs=4, batch_size=50, random_state=0)
    looped = engines.get("scratchnet").build("classify", (32,), "tanh", recipe, 64, 10)
    engines.of(looped).fit(looped, X, y, X[:100], y[:100], 4)
    once = engines.get("scratchnet").build("classify", (32,), "tanh", recipe, 64, 10)
    once.fit(X, y)
    assert np.array_equal(looped.network_.params, once.network_.params)


def test_scheduled_recipe_uses_one_fit(digits):
    X, _ = digits
    recipe = Recipe(optimizer="adamw", lr=3e-3, lr_schedule="onecycle", epochs=2, batch_size=64)
    model = engines.get("scratchnet").build("regress", (16,), "relu", recipe, 64, 64)
    result = engines.of(model).fit(model, X[:1000], X[:1000], X[1000:], X[1000:], 2)
    assert result.curve == "running"
    assert set(result.history) == {"mse", "val_mse", "val_r2", "epoch_time"}


def test_sklearn_refuses_scratchnet_only_settings():
    for recipe in (Recipe(optimizer="adamw"), Recipe(lr_schedule="onecycle")):
        with pytest.raises(ConfigError, match="scikit-learn's MLP has no"):
            engines.get("sklearn").build("classify", (8,), "relu", recipe, 4, 2)
    with pytest.raises(ConfigError, match="unknown engine"):
        engines.get("torch").build("classify", (8,), "relu", Recipe(), 4, 2)


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_hidden_features_feed_the_output_layer(digits, engine):
    X, _ = digits
    recipe = Recipe(lr=3e-3, epochs=2, batch_size=64, random_state=0)
    model = engines.get(engine).build("regress", (16, 8, 16), "tanh", recipe, 64, 64)
    engines.of(model).fit(model, X[:800], X[:800], X[800:900], X[800:900], 2)
    last = engines.of(model).hidden(model, X[:50], -1)
    assert last.shape == (50, 16)
    output = last @ model.coefs_[-1] + model.intercepts_[-1]
    np.testing.assert_allclose(output, model.predict(X[:50]), rtol=1e-5, atol=1e-5)
    assert engines.of(model).hidden(model, X[:50], 2).shape == (50, 8)


@pytest.mark.parametrize("engine", engines.ENGINES)
@pytest.mark.parametrize("task", ["classify", "regress"])
def test_model_files_round_trip(digits, tmp_path, engine, task):
    X, y = digits
    target = y if task == "classify" else X
    recipe = Recipe(lr=3e-3, epochs=1, batch_size=64, random_state=0)
    outputs = 10 if task == "classify" else 64
    model = engines.get(engine).build(task, (16,), "relu", recipe, 64, outputs)
    engines.of(model).fit(model, X[:500], target[:500], X[500:600], target[500:600], 1)
    path = engines.of(model).save(model, tmp_path / "model.npz")
    loaded = load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X[:20]), model.predict(X[:20]))
    assert engines.of(loaded).name == engine


def test_pixel_scaler_round_trip_and_r2_invariance(tmp_path):
    from sklearn.metrics import r2_score

    from scratchnet.data.scaling import PixelScaler

    rng = np.random.default_rng(0)
    X = rng.random((200, 6)).astype(np.float32)
    X[:, 0] = 0.0  # a constant pixel: its scale is the floor, not 0
    scaler = PixelScaler.fit(X, floor=0.05)
    assert scaler.scale[0] == 0.05
    Z = scaler.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, atol=1e-6)
    prediction = X + rng.normal(0, 0.1, X.shape)
    assert r2_score(scaler.transform(X), scaler.transform(prediction)) == pytest.approx(
        r2_score(X, prediction), abs=1e-6
    )
    loaded = PixelScaler.load(scaler.save(tmp_path / "scaler.npz"))
    np.testing.assert_array_equal(loaded.scale, scaler.scale)


def test_sklearn_runs_every_epoch_unless_told_to_stop_on_plateau(digits):
    X, y = digits
    settings = dict(lr=1e-3, epochs=30, batch_size=64, random_state=3)
    plain = engines.get("sklearn").build("classify", (8,), "relu", Recipe(**settings), 64, 10)
    plain.set_params(tol=0.5)  # every epoch is a plateau at this tolerance
    assert len(train_epochs(plain, X, y, 30)) == 30
    recipe = Recipe(**settings, stop_on_plateau=True)
    stopping = engines.get("sklearn").build("classify", (8,), "relu", recipe, 64, 10)
    stopping.set_params(tol=0.5)
    assert len(train_epochs(stopping, X, y, 30)) == 12  # n_iter_no_change=10, then > 10
