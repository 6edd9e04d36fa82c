"""Evaluation that costs nothing extra: streamed scores equal scikit-learn's metrics, every
epoch evaluates each part once, and a cell's final scores reuse its last epoch's."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, r2_score

from scratchnet import engines
from scratchnet.engines import scoring
from scratchnet.engines.base import Recipe, evaluate
from scratchnet.engines.scoring import Part
from scratchnet.run.train import train_and_record


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0)[:600], y[:600]


def _model(engine: str, task: str, X, y, epochs: int = 2):
    hidden = (16,) if task == "classify" else (8,)
    n_outputs = 10 if task == "classify" else y.shape[1]
    recipe = Recipe(lr=1e-2, batch_size=64, epochs=epochs, random_state=0)
    model = engines.get(engine).build(task, hidden, "relu", recipe, X.shape[1], n_outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("engine", ["sklearn", "scratchnet"])
def test_streamed_scores_are_scikit_learns_metrics(monkeypatch, digits, engine):
    """In chunks of 7 rows as in one: log loss, accuracy, MSE and R^2 as scikit-learn's,
    R^2 with constant outputs (digits' blank border pixels) scored as scikit-learn does."""
    X, y = digits
    X = X.astype(np.float32) if engine == "scratchnet" else X
    monkeypatch.setattr(scoring, "EVALUATION_BYTES", 7 * 8 * (64 + 16 + 10))
    classifier = _model(engine, "classify", X, y)
    proba = classifier.predict_proba(X)
    got = evaluate(classifier, X, y)
    assert got["loss"] == pytest.approx(log_loss(y, proba, labels=classifier.classes_), rel=1e-6)
    assert got["accuracy"] == np.mean(classifier.predict(X) == y)
    regressor = _model(engine, "regress", X, X)
    prediction = np.asarray(regressor.predict(X), dtype=np.float64)
    assert (X.std(axis=0) == 0).any()  # constant outputs are covered
    got = evaluate(regressor, X, X)
    rel = 1e-10 if engine == "sklearn" else 1e-6  # float32: chunks of 7 rows round otherwise
    assert got["mse"] == pytest.approx(np.mean((prediction - X) ** 2), rel=rel)
    assert got["r2"] == pytest.approx(r2_score(X, prediction), rel=rel)


def test_a_label_the_classifier_never_saw_is_refused(digits):
    X, y = digits
    classifier = _model("sklearn", "classify", X, y)
    with pytest.raises(ValueError, match="not fitted on"):
        evaluate(classifier, X[:3], np.array([0, 1, 99]))


def test_a_part_is_never_held_as_one_prediction(monkeypatch, digits):
    """Rows go to the model in chunks of the budget, every row once."""
    X, y = digits
    classifier = _model("scratchnet", "classify", X.astype(np.float32), y)
    monkeypatch.setattr(scoring, "EVALUATION_BYTES", 50 * 8 * (64 + 16 + 10))
    seen = []
    predict_proba = type(classifier).predict_proba
    monkeypatch.setattr(
        type(classifier),
        "predict_proba",
        lambda self, X: seen.append(len(X)) or predict_proba(self, X),
    )
    evaluate(classifier, X.astype(np.float32), y)
    assert sum(seen) == len(X) and max(seen) <= 50 and len(seen) == 12


@pytest.mark.parametrize("engine", ["sklearn", "scratchnet"])
def test_each_part_is_evaluated_once_per_epoch_and_reused_at_the_end(
    monkeypatch, tmp_path, digits, engine
):
    """A spy counts full-part evaluations: 2 per epoch (train, val), then the test part
    alone; the final train and val scores are the last epoch's, R^2 included."""
    X, _ = digits
    parts = {"train": (X[:400], X[:400]), "val": (X[400:500], X[400:500]),
             "test": (X[500:], X[500:])}  # fmt: skip
    if engine == "scratchnet":
        parts = {
            name: (a.astype(np.float32), b.astype(np.float32)) for name, (a, b) in parts.items()
        }
    calls = []
    scores = Part.scores
    monkeypatch.setattr(
        Part, "scores", lambda self, *a, **k: calls.append(len(self)) or scores(self, *a, **k)
    )
    recipe = Recipe(lr=1e-2, batch_size=64, epochs=3, random_state=0)
    model = engines.get(engine).build("regress", (8,), "relu", recipe, 64, 64)
    fitted, metrics = train_and_record(engines.get(engine), model, parts, tmp_path, epochs=3)
    assert calls == [400, 100] * 3 + [100]  # three epochs, then the test part only
    for name, (X_part, y_part) in parts.items():
        expected = evaluate(fitted.model, X_part, y_part)
        assert metrics[f"{name}_mse"] == pytest.approx(expected["mse"], rel=1e-12)
        assert metrics[f"{name}_r2"] == pytest.approx(expected["r2"], rel=1e-12)
    assert fitted.history["mse"][-1] == metrics["train_mse"]
    assert "r2" not in fitted.history and len(fitted.history["val_mse"]) == 3


def test_running_curves_score_only_the_parts_asked_for(monkeypatch, tmp_path, digits):
    """Section B's cells read their history: no part is scored after training."""
    X, y = digits
    X = X.astype(np.float32)
    calls = []
    monkeypatch.setattr(Part, "scores", lambda self, *a, **k: calls.append(len(self)))
    engine = engines.get("scratchnet")
    model = engine.estimator("classify", dict(layers=[64, 16, 10], epochs=2, random_state=0))
    parts = {"train": (X[:500], y[:500]), "val": (X[500:], y[500:])}
    fitted, metrics = train_and_record(engine, model, parts, tmp_path, running=True, scored=())
    assert calls == [] and "train_loss" not in metrics and fitted.curve == "running"


def test_the_first_scoring_of_a_part_still_refuses_non_finite_values(digits):
    X, y = digits
    classifier = _model("sklearn", "classify", X, y)
    bad = X[:20].copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Part(bad, y[:20]).scores(classifier)
