"""The dual SVM solver against scikit-learn, scipy and the KKT conditions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.svm import SVC

from scratchnet.errors import ConfigError
from scratchnet.theory import original, svm


def sklearn_fit(X, y, C=1e10):
    model = SVC(kernel="linear", C=C, tol=1e-10).fit(X, y)
    alphas = np.zeros(len(y))
    alphas[model.support_] = np.abs(model.dual_coef_[0])
    return model.coef_[0], model.intercept_[0], alphas


def scipy_dual_objective(X, y, C=None):
    Q = (y[:, None] * y[None, :]) * (X @ X.T)
    res = minimize(
        lambda a: 0.5 * a @ Q @ a - a.sum(),
        np.zeros(len(y)),
        jac=lambda a: Q @ a - 1,
        bounds=[(0, C)] * len(y),
        constraints=[{"type": "eq", "fun": lambda a: a @ y, "jac": lambda a: y}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 2000},
    )
    return -res.fun


def separable_set(rng, n, d):
    w = rng.normal(size=d)
    b = rng.normal() * 0.5
    X = rng.normal(size=(4 * n, d)) * 2
    score = X @ w + b
    keep = np.abs(score) > 0.3 * np.linalg.norm(w)
    X, score = X[keep][:n], score[keep][:n]
    assert (score > 0).any() and (score < 0).any()
    return X, np.where(score > 0, 1, -1)


def assert_kkt(result, C=None):
    a = np.array([float(v) for v in result.alphas])
    y = np.array(result.labels, dtype=float)
    m = np.array([float(v) for v in result.functional_margins])
    assert (a >= -1e-12).all()
    if C is not None:
        assert (a <= C + 1e-9).all()
    assert abs(a @ y) < 1e-9
    free = (a > 1e-9) & (a < (C if C is not None else np.inf) - 1e-9)
    np.testing.assert_allclose(m[free], 1.0, atol=1e-7)  # complementary slackness
    assert (m[a <= 1e-9] >= 1 - 1e-7).all()
    if C is None:
        assert (m >= 1 - 1e-9).all()


def test_original_exact_solution():
    r = original.svm_fit()
    assert r.exact
    assert r.w == [-2, -2] and r.b == 3
    assert r.alphas == [0, 2, 2, 4, 0, 0]
    assert r.support == [1, 2, 3] and r.on_margin == [1, 2, 3]
    assert r.functional_margins == [3, 1, 1, 1, 5, 3]
    assert r.w_norm_squared == 8 and r.margin == pytest.approx(2 / np.sqrt(8))
    assert r.dual_objective == r.primal_objective == 4
    assert r.alphas_unique
    assert_kkt(r)


def test_original_matches_sklearn_and_scipy():
    X = np.array(original.SVM_POINTS, dtype=float)
    y = np.array(original.SVM_LABELS, dtype=float)
    w, b, alphas = sklearn_fit(X, y)
    r = original.svm_fit()
    np.testing.assert_allclose([float(v) for v in r.w], w, atol=1e-6)
    assert float(r.b) == pytest.approx(b, abs=1e-6)
    np.testing.assert_allclose([float(v) for v in r.alphas], alphas, atol=1e-5)
    assert float(r.dual_objective) == pytest.approx(scipy_dual_objective(X, y), rel=1e-6)


@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("rs", [0, 1, 2, 3])
def test_random_separable_sets_match_sklearn(d, rs):
    rng = np.random.default_rng(100 * d + rs)
    X, y = separable_set(rng, 30, d)
    r = svm.fit_hard_margin(X.tolist(), y.tolist())
    assert not r.exact  # float data with long decimals stays in float64
    w, b, alphas = sklearn_fit(X, y)
    np.testing.assert_allclose(r.w, w, rtol=1e-4, atol=1e-5)
    assert r.b == pytest.approx(b, rel=1e-4, abs=1e-5)
    assert_kkt(r)
    if r.alphas_unique:
        np.testing.assert_allclose(r.alphas, alphas, rtol=1e-3, atol=1e-5)
        assert set(r.support) == set(np.flatnonzero(alphas > 1e-6))
    assert float(r.dual_objective) == pytest.approx(scipy_dual_objective(X, y), rel=1e-4)
    assert float(r.dual_objective) == pytest.approx(float(r.primal_objective), rel=1e-8)


def test_rounded_random_data_is_solved_exactly():
    rng = np.random.default_rng(7)
    X, y = separable_set(rng, 12, 2)
    X = np.round(X, 2)
    r = svm.fit_hard_margin([[str(v) for v in row] for row in X], y.tolist())
    assert r.exact and all(isinstance(v, Fraction) for v in r.w)
    assert min(r.functional_margins) == 1
    w, _b, _ = sklearn_fit(X, y)
    np.testing.assert_allclose([float(v) for v in r.w], w, rtol=1e-4, atol=1e-5)


def test_degenerate_support_vectors_flag_non_unique_alphas():
    points = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    labels = [1, 1, 1, -1, -1, -1]
    r = svm.fit_hard_margin(points, labels)
    assert r.w == [-2, 0] and r.b == 1
    assert not r.alphas_unique and r.notes
    assert r.on_margin == [0, 1, 2, 3, 4, 5]
    assert r.dual_objective == 2
    assert_kkt(r)


@pytest.mark.parametrize(
    ("points", "labels"),
    [
        ([(0, 0), (1, 1), (1, 0), (0, 1)], [1, 1, -1, -1]),  # XOR
        ([(0, 0), (2, 0), (1, 0)], [1, 1, -1]),  # collinear, -1 between the +1s
        ([(0, 0, 0), (1, 1, 1), (0, 0, 0)], [1, 1, -1]),  # the same point in both classes
    ],
)
def test_non_separable_sets_are_detected(points, labels):
    with pytest.raises(svm.NotSeparableError, match="not linearly separable") as info:
        svm.fit_hard_margin(points, labels)
    witness = info.value.witness
    assert isinstance(info.value, ConfigError)
    # The reported weights give the same point as a convex combination of each class.
    for cls in (1, -1):
        idx = [i for i, y in enumerate(labels) if y == cls]
        assert sum(witness.weights[i] for i in idx) == 1
        combo = [sum(witness.weights[i] * points[i][k] for i in idx) for k in range(len(points[0]))]
        assert combo == witness.common_point


def test_random_overlapping_set_is_not_separable():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    y = np.where(rng.random(40) > 0.5, 1, -1)
    with pytest.raises(svm.NotSeparableError):
        svm.fit_hard_margin(X.tolist(), y.tolist())


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_soft_margin_matches_sklearn(C):
    rng = np.random.default_rng(int(C * 10))
    X = np.vstack([rng.normal(size=(15, 2)) + 1, rng.normal(size=(15, 2)) - 1])
    y = np.array([1] * 15 + [-1] * 15)
    r = svm.fit_soft_margin(X.tolist(), y.tolist(), C)
    w, b, _alphas = sklearn_fit(X, y, C=C)
    np.testing.assert_allclose([float(v) for v in r.w], w, rtol=1e-4, atol=1e-5)
    assert float(r.b) == pytest.approx(b, rel=1e-3, abs=1e-4)
    assert_kkt(r, C)
    assert float(r.dual_objective) == pytest.approx(scipy_dual_objective(X, y, C), rel=1e-5)
    assert float(r.dual_objective) == pytest.approx(float(r.primal_objective), rel=1e-6)


def test_soft_margin_original_is_exact():
    r = svm.fit_soft_margin(original.SVM_POINTS, original.SVM_LABELS, 1)
    assert r.exact
    assert r.w == [Fraction(-9, 10), Fraction(-7, 10)] and r.b == Fraction(17, 10)
    assert r.dual_objective == r.primal_objective
    w, _b, _ = sklearn_fit(np.array(original.SVM_POINTS, float), np.array(original.SVM_LABELS), C=1)
    np.testing.assert_allclose([float(v) for v in r.w], w, atol=1e-6)


@pytest.mark.parametrize(
    ("points", "labels", "message"),
    [
        ([(0, 0), (1, 1)], [1, 2], "expected \\+1 or -1"),
        ([(0, 0), (1, 1)], [1, 1], "both classes"),
        ([(0, 0), (1,)], [1, -1], "same number of coordinates"),
        ([(0, 0), (1, 1)], [1], "2 points but 1 labels"),
    ],
)
def test_bad_data_raises(points, labels, message):
    with pytest.raises(ConfigError, match=message):
        svm.fit_hard_margin(points, labels)


def test_bad_C_raises():
    with pytest.raises(ConfigError, match="C: expected a positive"):
        svm.fit_soft_margin(original.SVM_POINTS, original.SVM_LABELS, 0)


def test_plot_draws_points_and_three_lines():
    from scratchnet.theory.plot import plot_separator

    r = original.svm_fit()
    fig = plot_separator(r.points, r.labels, r.w, r.b, highlight=r.support)
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    x, y = ax.lines[0].get_data()  # w.x + b = 0: x1 + x2 = 1.5
    np.testing.assert_allclose(np.asarray(x) + np.asarray(y), 1.5)
    with pytest.raises(ConfigError, match="2-D"):
        plot_separator([(0, 0, 0)], [1], [1, 1, 1], 0)
