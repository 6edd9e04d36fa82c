"""The objectives (output activation + loss + metric): gradients against central differences,
with and without sample weights, and the values against their textbook formulas."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_poisson_deviance, r2_score

from scratchnet import lbfgs
from scratchnet.nn import activations
from scratchnet.nn.network import MLP
from scratchnet.nn.objectives import (
    PoissonDeviance,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
    SquaredError,
    r2,
)

from gradcheck import numeric_gradient, relative_error

pytestmark = pytest.mark.usefixtures("kernel_path")  # both kernel paths

N, K = 7, 4


def _targets(objective, rng):
    if isinstance(objective, SoftmaxCrossEntropy):
        return rng.integers(0, K, N)
    if isinstance(objective, SigmoidCrossEntropy):
        return rng.integers(0, 2, (N, K)).astype(np.float64)
    if isinstance(objective, PoissonDeviance):
        return rng.poisson(2.0, (N, K)).astype(np.float64)
    return rng.normal(size=(N, K))


OBJECTIVES = [SoftmaxCrossEntropy(), SigmoidCrossEntropy(), SquaredError(), PoissonDeviance()]
IDS = ["softmax", "sigmoid", "squared", "poisson"]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("objective", OBJECTIVES, ids=IDS)
def test_the_loss_gradient_matches_central_differences(objective, weighted):
    rng = np.random.default_rng(5)
    z, y = rng.normal(size=(N, K)), _targets(objective, rng)
    w = rng.uniform(0.1, 3.0, N) if weighted else None
    loss, _, grad = objective.step(z.copy(), y, w)
    numeric = numeric_gradient(lambda: objective.evaluate(z, y, w)["loss"], z)
    assert relative_error(grad, numeric) < 1e-6
    assert loss == pytest.approx(objective.evaluate(z, y, w)["loss"], rel=1e-12)


@pytest.mark.parametrize("objective", OBJECTIVES, ids=IDS)
def test_integer_weights_equal_repeated_rows(objective):
    rng = np.random.default_rng(6)
    z, y = rng.normal(size=(N, K)), _targets(objective, rng)
    counts = rng.integers(0, 4, N)
    counts[0] = 1
    weighted = objective.step(z.copy(), y, counts.astype(np.float64))
    repeated = objective.step(z.repeat(counts, axis=0), y.repeat(counts, axis=0))
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    assert weighted[1] == pytest.approx(repeated[1], rel=1e-12)


def test_the_losses_equal_their_textbook_formulas():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(N, K))
    labels = rng.integers(0, 2, (N, K)).astype(np.float64)
    p = 1.0 / (1.0 + np.exp(-z))
    binary = -(labels * np.log(p) + (1 - labels) * np.log(1 - p)).sum(axis=1).mean()
    assert SigmoidCrossEntropy().evaluate(z, labels)["loss"] == pytest.approx(binary, rel=1e-12)
    counts = rng.poisson(2.0, (N, K)).astype(np.float64)
    half_deviance = mean_poisson_deviance(counts.ravel(), np.exp(z).ravel()) / 2 * K
    assert PoissonDeviance().evaluate(z, counts)["loss"] == pytest.approx(half_deviance, rel=1e-12)
    classes = rng.integers(0, K, N)
    softmax = activations.softmax(z)
    weights = rng.uniform(0.5, 2.0, N)
    expected = log_loss(classes, softmax, sample_weight=weights, labels=range(K))
    got = SoftmaxCrossEntropy().evaluate(z, classes, weights)["loss"]
    assert got == pytest.approx(expected, rel=1e-12)


def test_r2_equals_scikit_learns_weighted_uniform_average():
    rng = np.random.default_rng(8)
    y, prediction, w = rng.normal(size=(20, 3)), rng.normal(size=(20, 3)), rng.random(20)
    y[:, 1] = 2.0  # a constant target column
    expected = r2_score(y, prediction, sample_weight=w)
    assert r2(prediction, y, w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("objective", OBJECTIVES, ids=IDS)
def test_the_penalised_full_batch_loss_gradient_through_the_network(objective):
    """What L-BFGS minimises: every weight and bias, with L2 and sample weights."""
    rng = np.random.default_rng(9)
    network = MLP([5, 6, 4, K], [activations.get("tanh"), activations.get("sigmoid")], np.float64)
    network.initialize(lambda r, i, o: r.normal(size=(i, o)) * 0.5, rng)
    X, y, w = rng.normal(size=(N, 5)), _targets(objective, rng), rng.uniform(0.1, 2.0, N)
    theta = network.params.copy()
    _, grad = lbfgs.loss_and_gradient(theta, network, objective, X, y, w, 0.3)
    numeric = numeric_gradient(
        lambda: lbfgs.loss_and_gradient(theta, network, objective, X, y, w, 0.3)[0], theta
    )
    assert relative_error(grad, numeric) < 1e-6


def test_the_solver_s_own_blas_runs_on_one_thread_and_numpys_is_left_alone():
    """SciPy's OpenBLAS (L-BFGS-B's bookkeeping) and NumPy's (our products) must not both
    spin worker threads on the same cores during a fit."""
    from threadpoolctl import threadpool_info

    def threads() -> dict[str, int]:
        return {Path(i["filepath"]).parent.name: i["num_threads"] for i in threadpool_info()}

    before = threads()
    with lbfgs._solver_blas_serial():
        during = threads()
    assert threads() == before
    assert during.get("scipy.libs", 1) == 1 and during["numpy.libs"] == before["numpy.libs"]
