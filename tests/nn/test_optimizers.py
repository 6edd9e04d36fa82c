import math

import numpy as np
import pytest

from scratchnet.errors import ConfigError
from scratchnet.nn import optimizers

pytestmark = pytest.mark.usefixtures("kernel_path")  # both kernel paths


def _run(opt, params, grads_seq, lr=0.1, n_weights=None):
    params = params.copy()
    opt.init(params.size, params.dtype)
    for g in grads_seq:
        opt.step(params, g.copy(), lr, params.size if n_weights is None else n_weights)
    return params


GRADS = [np.array([1.0, -2.0, 0.5]), np.array([0.5, 1.0, -1.0]), np.array([-0.2, 0.3, 0.1])]
P0 = np.array([0.3, -0.1, 0.2])


def test_plain_sgd():
    expected = P0 - 0.1 * sum(GRADS)
    np.testing.assert_allclose(_run(optimizers.SGD(), P0, GRADS), expected)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_follows_the_velocity_formula(nesterov):
    p, v, mu, lr = P0.copy(), np.zeros(3), 0.9, 0.1
    for g in GRADS:
        v = mu * v - lr * g
        p = p + (mu * v - lr * g if nesterov else v)
    result = _run(optimizers.SGD(momentum=mu, nesterov=nesterov), P0, GRADS, lr)
    np.testing.assert_allclose(result, p)


def test_adam_follows_kingma_and_ba():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    p, m, v = P0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(_run(optimizers.Adam(b1, b2, eps), P0, GRADS, lr), p)


def test_decoupled_weight_decay_shrinks_weights_not_biases():
    zero = [np.zeros(3)]
    result = _run(optimizers.make("adamw", weight_decay=0.5), P0, zero, lr=0.1, n_weights=2)
    np.testing.assert_allclose(result, [P0[0] * 0.95, P0[1] * 0.95, P0[2]])


def test_make_names_and_defaults():
    assert optimizers.make("adamw").weight_decay == 0.01
    assert optimizers.make("adam").weight_decay == 0.0
    assert isinstance(optimizers.make("sgd", momentum=0.5), optimizers.SGD)
    with pytest.raises(ConfigError, match=r"unknown optimizer 'rmsprop'.*adam"):
        optimizers.make("rmsprop")


@pytest.mark.parametrize(
    "build",
    [
        lambda: optimizers.SGD(momentum=1.5),
        lambda: optimizers.SGD(momentum=-0.1),
        lambda: optimizers.SGD(nesterov=True),
        lambda: optimizers.Adam(beta_1=1.0),
        lambda: optimizers.Adam(epsilon=0.0),
        lambda: optimizers.Adam(weight_decay=-1.0),
        lambda: optimizers.Adam(beta_2=float("nan")),
    ],
)
def test_bad_settings_are_refused_at_construction(build):
    with pytest.raises(ConfigError):
        build()
