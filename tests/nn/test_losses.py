import numpy as np
import pytest

from scratchnet.nn import losses

from gradcheck import numeric_gradient, relative_error

pytestmark = pytest.mark.usefixtures("kernel_path")  # both kernel paths


def test_cross_entropy_gradient_matches_central_differences():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(7, 5))
    y = rng.integers(0, 5, 7)
    loss, grad = losses.softmax_cross_entropy(logits.copy(), y)
    numeric = numeric_gradient(lambda: losses.cross_entropy(logits, y), logits)
    assert relative_error(grad, numeric) < 1e-6
    assert loss == pytest.approx(losses.cross_entropy(logits, y), rel=1e-12)


def test_cross_entropy_equals_the_textbook_formula():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4, 3))
    y = np.array([0, 2, 1, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert losses.cross_entropy(logits, y) == pytest.approx(-np.log(p[range(4), y]).mean())


def test_cross_entropy_is_finite_for_logits_of_plus_minus_1000():
    logits = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=np.float32)
    with np.errstate(all="raise"):
        loss, grad = losses.softmax_cross_entropy(logits.copy(), np.array([1, 1]))
    assert loss == pytest.approx(1000.0)  # half the samples are wrong by 2000 nats
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[0.5, -0.5], [0.0, 0.0]], atol=1e-20)


def test_squared_error_gradient_matches_central_differences():
    rng = np.random.default_rng(3)
    pred, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    loss, grad = losses.squared_error(pred.copy(), y)
    numeric = numeric_gradient(lambda: losses.squared_error(pred.copy(), y)[0], pred)
    assert relative_error(grad, numeric) < 1e-6
    assert loss == pytest.approx(((pred - y) ** 2).sum() / 12)


def test_gradient_may_overwrite_its_input_buffer():
    logits = np.random.default_rng(4).normal(size=(3, 4)).astype(np.float32)
    expected = losses.softmax_cross_entropy(logits.copy(), np.array([0, 1, 2]))[1]
    _, grad = losses.softmax_cross_entropy(logits, np.array([0, 1, 2]), out=logits)
    assert grad is logits and grad.dtype == np.float32
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
