"""scratchnet as a drop-in for scikit-learn's MLPs: the bugs a switching user hit (each a
regression test), and the features scikit-learn's MLPs have, on real (bundled) data."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.errors import DivergenceError
from scratchnet.sklearn import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


# --- the bugs ---------------------------------------------------------------------------------


def test_partial_fit_on_a_stream_of_fresh_arrays():
    """Batch buffers were keyed by id(array): a new X received a freed y's buffer."""
    model = NeuralNetworkRegressor(layers=[4, 8, 1], random_state=0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        X = rng.normal(size=(32, 4))
        model.partial_fit(X, X.sum(1))
    assert model.n_iter_ == 200
    assert np.isfinite(model.predict(X)).all()


def test_partial_fit_refuses_a_validation_fraction(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match=r"partial_fit does not support validation_fraction=0.2"):
        NeuralNetwork(validation_fraction=0.2).partial_fit(X, y, classes=range(10))


def test_partial_fit_refuses_other_classes_naming_both_lists(digits):
    X, _, y, _ = digits
    model = NeuralNetwork(random_state=0).partial_fit(X, y, classes=range(10))
    with pytest.raises(ValueError, match=r"classes=\[0, 1\] differs .* \[0, 1, 2, 3, 4, 5"):
        model.partial_fit(X, y, classes=[0, 1])
    model.partial_fit(X, y, classes=range(10))  # the same list is fine


def test_pipelines_give_pandas_output_with_named_hidden_features(digits):
    X, _, y, _ = digits
    pipe = make_pipeline(StandardScaler(), NeuralNetwork(layers=[64, 12, 10], epochs=2))
    pipe.set_output(transform="pandas").fit(X, y)
    features = pipe.transform(pd.DataFrame(X))
    assert isinstance(features, pd.DataFrame)
    assert list(features.columns) == [f"hidden1_{j}" for j in range(12)]


def test_divergence_is_a_value_error_and_a_floating_point_error():
    assert issubclass(DivergenceError, ValueError)
    assert issubclass(DivergenceError, FloatingPointError)


# --- sample weights ---------------------------------------------------------------------------


def test_zero_weights_are_exactly_dropped_rows(digits):
    X, _, y, _ = digits
    w = np.random.default_rng(1).integers(0, 3, len(y)).astype(float)
    keep = w > 0
    settings = dict(layers=[64, 16, 10], epochs=3, batch_size=32, random_state=0)
    weighted = NeuralNetwork(**settings).fit(X, y, sample_weight=w)
    dropped = NeuralNetwork(**settings).fit(X[keep], y[keep], sample_weight=w[keep])
    np.testing.assert_array_equal(weighted.network_.params, dropped.network_.params)


def test_weights_change_training_and_are_routed_through_a_pipeline(digits):
    X, _, y, _ = digits
    w = np.where(y == 3, 20.0, 1.0)
    settings = dict(layers=[64, 16, 10], epochs=5, random_state=0)
    plain = NeuralNetwork(**settings).fit(X, y)
    heavy = NeuralNetwork(**settings).fit(X, y, sample_weight=w)
    assert (heavy.predict(X) == 3).sum() > (plain.predict(X) == 3).sum()
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            NeuralNetwork(**settings).set_fit_request(sample_weight=True),
        ).fit(X, y, sample_weight=w)
    alone = NeuralNetwork(**settings).fit(StandardScaler().fit_transform(X), y, sample_weight=w)
    np.testing.assert_array_equal(pipe[-1].network_.params, alone.network_.params)


def test_validation_figures_are_weighted(digits):
    X, X_val, y, y_val = digits
    w_val = np.where(y_val == 0, 0.0, 1.0)
    model = NeuralNetwork(layers=[64, 16, 10], epochs=2, random_state=0)
    model.fit(X, y, validation_data=(X_val, y_val, w_val))
    without_zeros = model.score(X_val[y_val != 0], y_val[y_val != 0])
    assert model.history_["val_accuracy"][-1] == pytest.approx(without_zeros)


# --- solvers, outputs, inputs -----------------------------------------------------------------


def test_lbfgs_fits_digits_and_has_no_partial_fit(digits):
    X, X_test, y, y_test = digits
    model = NeuralNetwork(layers=[64, 32, 10], optimizer="lbfgs", epochs=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.score(X_test, y_test) > 0.95
    assert not hasattr(model, "partial_fit")
    assert len(model.loss_curve_) == model.n_iter_


def test_sparse_input_trains_as_dense_does(digits):
    X, X_test, y, _ = digits
    settings = dict(layers=[64, 16, 10], epochs=3, dtype="float64", random_state=0)
    dense = NeuralNetwork(**settings).fit(X, y)
    csr = NeuralNetwork(**settings).fit(sparse.csr_matrix(X), y)
    csc = NeuralNetwork(**settings).fit(sparse.csc_matrix(X), y)
    for model in (csr, csc):
        np.testing.assert_allclose(model.network_.params, dense.network_.params, rtol=1e-9)
    X_sparse = sparse.csr_matrix(X_test)
    for method in ("predict_proba", "transform"):
        expected = getattr(dense, method)(X_test)
        np.testing.assert_allclose(getattr(csr, method)(X_sparse), expected, rtol=1e-9)


_SPARSE_FIT = """
import resource, numpy as np
from scipy import sparse
from scratchnet import NeuralNetwork
rng = np.random.default_rng(0)
rows, cols = rng.integers(0, 4000, 200_000), rng.integers(0, 50_000, 200_000)
X = sparse.csr_matrix((rng.random(200_000, np.float32), (rows, cols)), shape=(4000, 50_000))
y = np.arange(4000) % 3
model = NeuralNetwork(layers=[50_000, 8, 3], epochs=1, optimizer="sgd", random_state=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
model.fit(X, y).predict_proba(X)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_sparse_input_is_never_densified():
    """Peak memory of a fit and a prediction grows by far less than the dense matrix (800 MB)."""
    out = subprocess.run([sys.executable, "-c", _SPARSE_FIT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    growth_kib = int(out.stdout.split()[-1])
    assert growth_kib * 1024 < 4000 * 50_000 * 4 / 20


def test_multilabel_targets_get_independent_sigmoids():
    X, Y = make_multilabel_classification(n_samples=300, random_state=0)
    model = NeuralNetwork(layers=[20, 32, 5], epochs=100, lr=1e-2, random_state=0).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape and model.out_activation_ == "logistic"
    assert not np.allclose(proba.sum(axis=1), 1.0)
    assert model.predict(X).dtype == Y.dtype and model.score(X, Y) > 0.6


def test_poisson_regression_predicts_positive_rates():
    rng = np.random.default_rng(0)
    X = rng.random((500, 3))
    y = rng.poisson(np.exp(X @ [1.0, -0.5, 0.3]))
    model = NeuralNetworkRegressor(loss="poisson", epochs=100, lr=1e-2, random_state=0).fit(X, y)
    assert model.out_activation_ == "exp" and (model.predict(X) > 0).all()
    with pytest.raises(ValueError, match="negative"):
        NeuralNetworkRegressor(loss="poisson").fit(X, -y)


@pytest.mark.parametrize("Estimator", [NeuralNetworkRegressor, MLPRegressor])
def test_the_output_dtype_follows_the_input(Estimator):
    X = np.random.default_rng(0).random((50, 3))
    for dtype in (np.float32, np.float64):
        model = Estimator(random_state=0).set_params(**_short(Estimator))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X.astype(dtype), X[:, 0].astype(dtype))
        assert model.predict(X.astype(dtype)).dtype == dtype


def _short(Estimator) -> dict:
    return {"max_iter": 3} if Estimator is MLPRegressor else {"epochs": 3}


# --- stopping, warm start, rates --------------------------------------------------------------


def test_the_original_study_runs_every_epoch_and_tol_stops_with_a_warning(digits):
    X, _, y, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert NeuralNetwork(layers=[64, 8, 10], epochs=30, random_state=0).fit(X, y).n_iter_ == 30
    loose = NeuralNetwork(layers=[64, 8, 10], epochs=300, tol=0.05, n_iter_no_change=3)
    assert loose.fit(X, y).n_iter_ < 300
    with pytest.warns(ConvergenceWarning, match="maximum number of epochs"):
        NeuralNetwork(layers=[64, 8, 10], epochs=3, tol=1e-9).fit(X, y)


def test_warm_start_continues_from_the_fitted_weights(digits):
    X, _, y, _ = digits
    model = NeuralNetwork(layers=[64, 16, 10], epochs=5, warm_start=True, random_state=0)
    first = model.fit(X, y).loss_
    model.fit(X, y)
    assert model.loss_curve_[5] < first and len(model.loss_curve_) == 10 and model.n_iter_ == 5
    with pytest.raises(ValueError, match=r"warm_start can only be used where `y` has the same"):
        model.fit(X, y % 5)


def test_invscaling_and_adaptive_rates(digits):
    X, _, y, _ = digits
    model = NeuralNetwork(
        layers=[64, 8, 10], optimizer="sgd", lr=0.1, lr_schedule="invscaling", power_t=0.5,
        epochs=3, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert model._trainer.learning_rate == pytest.approx(0.1 / (3 * len(y) + 1) ** 0.5)
    adaptive = NeuralNetwork(
        layers=[64, 8, 10], optimizer="sgd", lr=0.1, lr_schedule="adaptive", tol=10.0,
        n_iter_no_change=1, epochs=500, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert adaptive._trainer.learning_rate == pytest.approx(0.1 / 5**8)  # last above 1e-6: /5^7
    assert adaptive.n_iter_ < 500


def test_scikit_learns_fitted_attributes(digits):
    X, _, y, _ = digits
    model = NeuralNetwork(layers=[64, 16, 10], epochs=4, validation_fraction=0.2, random_state=0)
    model.fit(X, y)
    assert model.loss_curve_ == model.history_["loss"] and model.loss_ == model.loss_curve_[-1]
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ == model.history_["val_accuracy"]
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert (model.n_layers_, model.n_outputs_, model.out_activation_) == (3, 10, "softmax")
    assert model.t_ == 4 * (len(y) - math.ceil(0.2 * len(y)))  # 4 epochs of the training part
    assert model.fit(X, y).t_ == 4 * (len(y) - math.ceil(0.2 * len(y)))  # a new fit starts at 0


def test_one_import_line_switches_from_scikit_learn(digits):
    X, X_test, y, y_test = digits
    from sklearn.neural_network import MLPClassifier as Theirs

    theirs = Theirs(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
    ours = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
    assert ours.get_params() == theirs.get_params()
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) < 0.03
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]


# --- class weights (beyond scikit-learn's MLPs) -----------------------------------------------


def test_class_weights_are_sample_weights_per_class_and_multiply_them(digits):
    from sklearn.utils.class_weight import compute_class_weight

    X, _, y, _ = digits
    settings = dict(layers=[64, 16, 10], epochs=2, random_state=0)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    balanced = w.sum() / (10 * np.bincount(y, weights=w))  # "balanced", counted by weight
    unweighted = compute_class_weight("balanced", classes=np.arange(10), y=y)
    np.testing.assert_allclose(len(y) / (10 * np.bincount(y)), unweighted)  # scikit-learn's
    by_class = NeuralNetwork(class_weight="balanced", **settings).fit(X, y, sample_weight=w)
    by_sample = NeuralNetwork(**settings).fit(X, y, sample_weight=w * balanced[y])
    np.testing.assert_array_equal(by_class.network_.params, by_sample.network_.params)
    as_dict = NeuralNetwork(class_weight={3: 5.0}, **settings).fit(X, y)
    expected = NeuralNetwork(**settings).fit(X, y, sample_weight=np.where(y == 3, 5.0, 1.0))
    np.testing.assert_array_equal(as_dict.network_.params, expected.network_.params)
    with pytest.raises(ValueError, match=r"labels not in the data: \[11\]"):
        NeuralNetwork(class_weight={11: 2.0}, **settings).fit(X, y)


def test_balanced_class_weights_lift_a_rare_class(digits):
    X, X_test, y, y_test = digits
    rare = (y != 7) | (np.arange(len(y)) % 10 == 0)  # keep one in ten sevens
    settings = dict(layers=[64, 16, 10], epochs=20, random_state=0)
    plain = NeuralNetwork(**settings).fit(X[rare], y[rare])
    balanced = NeuralNetwork(class_weight="balanced", **settings).fit(X[rare], y[rare])
    recall = [np.mean(m.predict(X_test[y_test == 7]) == 7) for m in (plain, balanced)]
    assert recall[1] > recall[0]


def test_the_class_weighted_loss_and_its_gradient_are_exact():
    """The loss class weights give is log-loss weighted per class, and the gradient the
    training follows matches its central differences (float64, with an L2 penalty)."""
    from sklearn.metrics import log_loss

    from scratchnet import lbfgs

    from gradcheck import numeric_gradient, relative_error

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(14, 4)), np.array([0] * 8 + [1] * 4 + [2] * 2)
    model = NeuralNetwork(
        layers=[4, 5, 3], dtype="float64", class_weight={0: 3.0, 2: 0.5}, epochs=1
    ).fit(X, y)
    Y = model._encode_targets(y, np.float64)
    w = model._weighted_by_class(Y, None, model._ours())
    np.testing.assert_array_equal(w, np.array([3.0, 1.0, 0.5])[y])
    network, objective = model.network_, model._objective()
    loss = lbfgs.loss_and_gradient(network.params, network, objective, X, Y, w, 0.0)[0]
    assert loss == pytest.approx(log_loss(y, model.predict_proba(X), sample_weight=w), rel=1e-12)

    def penalised() -> float:
        return lbfgs.loss_and_gradient(network.params, network, objective, X, Y, w, 0.1)[0]

    analytic = lbfgs.loss_and_gradient(network.params, network, objective, X, Y, w, 0.1)[1]
    assert relative_error(analytic, numeric_gradient(penalised, network.params)) < 1e-6
