import numpy as np
import pytest

from scratchnet.errors import ConfigError
from scratchnet.nn import activations

from gradcheck import relative_error

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


@pytest.mark.parametrize("name", HIDDEN)
def test_derivative_from_output_matches_central_differences(name):
    act = activations.get(name)
    z = np.random.default_rng(0).uniform(-4, 4, 500)
    z = z[np.abs(z) > 1e-3]  # keep away from the ReLU kink
    eps = 1e-6
    numeric = (act(z + eps) - act(z - eps)) / (2 * eps)
    analytic = act.derivative(act(z))
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("name", HIDDEN)
def test_forward_inplace_keeps_dtype_and_buffer(name):
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    buffer = z.copy()
    activations.get(name).forward_inplace(buffer)
    assert buffer.dtype == np.float32
    np.testing.assert_allclose(buffer, activations.get(name)(z.astype(np.float64)), rtol=1e-6)


def test_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(activations.get("logistic")(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(activations.get("relu")(z), [0, 0, 3])
    np.testing.assert_allclose(activations.get("leaky_relu")(z), [-0.02, 0, 3])
    np.testing.assert_allclose(activations.get("leaky_relu", slope=0.2)(z), [-0.4, 0, 3])
    np.testing.assert_allclose(activations.get("tanh")(z), np.tanh(z))


def test_sigmoid_is_finite_and_exact_at_the_extremes():
    with np.errstate(all="raise"):
        out = activations.get("sigmoid")(np.array([-1000.0, 1000.0], dtype=np.float32))
    assert out.tolist() == [0.0, 1.0]


def test_softmax_rows_sum_to_one_even_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [3.0, 3.0, 3.0]])
    with np.errstate(all="raise"):
        p = activations.softmax(logits)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], 1 / 3)
    assert p[0, 0] == 1.0


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown activation 'swish'.*relu.*sigmoid"):
        activations.get("swish")


def test_softmax_is_refused_as_a_hidden_activation():
    with pytest.raises(ConfigError, match=r"output layer"):
        activations.get("softmax")


@pytest.mark.parametrize("slope", [-0.1, 1.0, 2.0])
def test_leaky_slope_out_of_range(slope):
    with pytest.raises(ConfigError, match=r"slope"):
        activations.leaky_relu(slope)


def test_get_passes_activation_objects_through():
    custom = activations.leaky_relu(0.3)
    assert activations.get(custom) is custom
