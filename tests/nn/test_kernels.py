"""The compiled loops agree with their NumPy reference, bitwise where both round alike."""

import os

import numpy as np
import pytest

from scratchnet.nn import activations, kernels

compiled_only = pytest.mark.skipif(not kernels.compiled(), reason="the C kernels are not built")

DTYPES = [np.float32, np.float64]
ACTIVATIONS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh"]
#: (l2, shrink) of the optimizer updates: none, an L2 penalty, weight decay, both.
PENALTIES = [(0.0, 1.0), (1e-3, 1.0), (0.0, 0.999), (1e-3, 0.999)]


def test_the_compiled_kernels_are_built_in_ci():
    # CI installs from a clean clone with a C compiler: a silently skipped build (the extension
    # is optional) would leave every compiled-path test skipped.
    if not kernels.compiled():
        if os.environ.get("CI"):
            pytest.fail("scratchnet.nn._kernels was not built; is a C compiler installed?")
        pytest.skip("the C kernels are not built")


def _both(function, *arrays):
    """``function`` on copies of ``arrays`` through each path: (compiled copies, numpy copies)."""
    fast = [a.copy() for a in arrays]
    slow = [a.copy() for a in arrays]
    fast_result = function(*fast)
    with kernels.pure_numpy():
        slow_result = function(*slow)
    return (fast, fast_result), (slow, slow_result)


def _assert_bitwise(fast, slow):
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b, strict=True)


def _layer(dtype, rng, n=37, k=23):
    # Odd sizes: every vector loop has a remainder. Some exact zeros and values around 0.
    z = rng.normal(size=(n, k)).astype(dtype)
    z[0, :5] = 0.0
    return z, rng.normal(size=k).astype(dtype)


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", [*ACTIVATIONS, None])
def test_bias_activation_is_bitwise_the_reference(name, dtype):
    activation = None if name is None else activations.get(name)
    z, b = _layer(dtype, np.random.default_rng(0))
    (fast, _), (slow, _) = _both(lambda z, b: kernels.bias_activation(z, b, activation), z, b)
    _assert_bitwise(fast, slow)
    assert not np.array_equal(fast[0], z)  # something happened


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_is_bitwise_the_reference(name, dtype):
    activation = activations.get(name)
    rng = np.random.default_rng(1)
    z, _ = _layer(dtype, rng)
    a = activation(z).astype(dtype)
    delta = rng.normal(size=z.shape).astype(dtype)
    bias_grad = np.full(z.shape[1], np.nan, dtype)

    (fast, _), (slow, _) = _both(
        lambda a, d, g: kernels.activation_backward(a, d, g, activation), a, delta, bias_grad
    )
    _assert_bitwise(fast, slow)
    np.testing.assert_allclose(fast[1], activation.backward(a, delta), rtol=1e-6)


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_agrees_with_the_reference(dtype):
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(41, 10)) * 5).astype(dtype)
    logits[3] = [1000, -1000, 0, 0, 0, 0, 0, 0, 0, 1000]  # extremes and a tie for the argmax
    y = rng.integers(0, 10, 41)
    (fast, (loss, correct, _)), (slow, (ref_loss, ref_correct, _)) = _both(
        lambda logits, out: kernels.softmax_cross_entropy(logits, y, out),
        logits,
        np.empty_like(logits),
    )
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    assert loss == pytest.approx(ref_loss, rel=tolerance)
    assert correct == ref_correct
    np.testing.assert_allclose(fast[1], slow[1], rtol=tolerance, atol=tolerance / 41)
    assert fast[1].dtype == dtype

    in_place = logits.copy()  # the gradient may overwrite the logits
    kernels.softmax_cross_entropy(in_place, y, in_place)
    np.testing.assert_array_equal(in_place, fast[1])


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, k", [(0, 3), (1, 1), (37, 23), (300, 784)])
def test_squared_error_sums_are_bitwise_the_reference(dtype, n, k):
    rng = np.random.default_rng(7)
    prediction, target = (rng.normal(size=(n, k)).astype(dtype) for _ in range(2))
    target[:1] = prediction[:1]  # exact zeros among the errors
    (fast, _), (slow, _) = _both(kernels.squared_error_sums, prediction, target, np.empty(k))
    _assert_bitwise(fast, slow)
    # float64 differences of the float32 values, not float32 differences: exact squares here.
    exact = ((prediction.astype(np.float64) - target) ** 2).sum(axis=0)
    np.testing.assert_allclose(fast[2], exact, rtol=1e-13)


def test_squared_error_sums_of_mixed_or_strided_arrays_take_the_numpy_path():
    prediction = np.array([[1.5, 2.0], [0.0, -1.0]], np.float32)
    target = np.array([[1.0, 0.0], [0.25, -1.0]])  # float64 against float32
    np.testing.assert_array_equal(
        kernels.squared_error_sums(prediction, target, np.empty(2)), [0.3125, 4.0]
    )
    np.testing.assert_array_equal(
        kernels.squared_error_sums(prediction.T, target.T.astype(np.float32), np.empty(2)),
        [4.25, 0.0625],
    )


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
@pytest.mark.parametrize("l2, shrink", PENALTIES)
def test_sgd_update_is_bitwise_the_reference(dtype, momentum, nesterov, l2, shrink):
    rng = np.random.default_rng(3)
    params, grads, velocity = (rng.normal(size=1001).astype(dtype) for _ in range(3))
    if momentum:
        (fast, _), (slow, _) = _both(
            lambda p, g, v: kernels.sgd_update(p, g, v, 0.05, momentum, nesterov, l2, shrink),
            params,
            grads,
            velocity,
        )
    else:
        (fast, _), (slow, _) = _both(
            lambda p, g: kernels.sgd_update(p, g, None, 0.05, 0.0, False, l2, shrink),
            params,
            grads,
        )
    _assert_bitwise(fast[:1] + fast[2:], slow[:1] + slow[2:])  # grads may be overwritten


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("l2, shrink", PENALTIES)
def test_adam_update_is_bitwise_the_reference(dtype, l2, shrink):
    rng = np.random.default_rng(4)
    params, grads = rng.normal(size=(2, 1001)).astype(dtype)
    m = rng.normal(size=1001).astype(dtype) * 0.1
    v = rng.random(1001).astype(dtype) * 0.01
    settings = (1e-3, 0.9, 0.999, 1e-8, l2, shrink)
    (fast, _), (slow, _) = _both(
        lambda p, g, m, v, s: kernels.adam_update(p, g, m, v, s, *settings),
        params,
        grads,
        m,
        v,
        np.empty_like(params),
    )
    _assert_bitwise(fast[:1] + fast[2:4], slow[:1] + slow[2:4])  # grads may be overwritten


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9])
def test_dropout_mask_is_bitwise_the_reference(dtype, rate):
    keys = np.random.default_rng(5).integers(0, 2**64, size=37, dtype=np.uint64)
    threshold, salt = int(np.ceil(rate * 2.0**53)), 2**64 - 3  # a salt that wraps around
    (fast, _), (slow, _) = _both(
        lambda mask: kernels.dropout_mask(mask, keys, salt, threshold, 1.0 / (1.0 - rate)),
        np.full((37, 23), np.nan, dtype),
    )
    _assert_bitwise(fast, slow)
    kept = fast[0] != 0
    assert abs(kept.mean() - (1.0 - rate)) < 0.05
    np.testing.assert_array_equal(fast[0][kept], dtype(1.0 / (1.0 - rate)))


@compiled_only
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["equal", "weighted"])
def test_batch_normalization_is_bitwise_the_reference(dtype, weighted):
    rng = np.random.default_rng(6)
    z, gamma = _layer(dtype, rng)
    n, k = z.shape
    p = rng.uniform(0.1, 1.0, size=(n, 1)).astype(dtype) / n if weighted else None
    vectors = [np.full(k, np.nan, dtype) for _ in range(3)]
    (fast, _), (slow, _) = _both(
        lambda z, zhat, scratch, mean, var, inv_std: kernels.batchnorm_forward(
            z, gamma, p, 1e-5, zhat, scratch, mean, var, inv_std
        ),
        z, np.empty_like(z), np.empty_like(z), *vectors,
    )  # fmt: skip
    _assert_bitwise([fast[0], fast[1], *fast[3:]], [slow[0], slow[1], *slow[3:]])
    zhat, inv_std = fast[1], fast[5]
    delta, dbeta = rng.normal(size=(n, k)).astype(dtype), rng.normal(size=k).astype(dtype)
    (fast, _), (slow, _) = _both(
        lambda d, dgamma, scratch: kernels.batchnorm_backward(
            d, zhat, gamma, inv_std, p, dbeta, dgamma, scratch
        ),
        delta, np.full(k, np.nan, dtype), np.empty_like(delta),
    )  # fmt: skip
    _assert_bitwise(fast[:2], slow[:2])


@compiled_only
def test_a_nan_stays_nan_through_the_compiled_forward_pass():
    # A diverged network must still show it: max(NaN, 0) is NaN in NumPy, and here.
    for name in ["relu", "leaky_relu"]:
        z = np.array([[np.nan, -1.0, 2.0]], np.float32)
        kernels.bias_activation(z, np.zeros(3, np.float32), activations.get(name))
        assert np.isnan(z[0, 0])


@compiled_only
def test_the_compiled_loops_refuse_bad_arrays():
    compiled = kernels._compiled
    z = np.zeros((4, 3), np.float32)
    with pytest.raises(TypeError, match="z and b must be float arrays of one dtype"):
        compiled.bias_activation(z, np.zeros(3), 1, 0.0)
    with pytest.raises(ValueError, match="b has 2 elements, expected 3"):
        compiled.bias_activation(z, np.zeros(2, np.float32), 1, 0.0)
    with pytest.raises(ValueError, match="contiguous"):
        compiled.bias_activation(z.T, np.zeros(4, np.float32), 1, 0.0)
    with pytest.raises(TypeError, match="2-dimensional"):
        compiled.bias_activation(np.zeros(3, np.float32), np.zeros(3, np.float32), 1, 0.0)
    with pytest.raises(IndexError, match="class index 3 out of range"):
        compiled.softmax_cross_entropy(z, np.array([0, 1, 3, 0]), z.copy(), -50.0)
    with pytest.raises(TypeError, match="y must be a 1-dimensional .* intp or uint64 array"):
        compiled.softmax_cross_entropy(z, np.zeros(4, np.int32), z.copy(), -50.0)
    with pytest.raises(TypeError, match="y must be an intp array"):
        compiled.softmax_cross_entropy(z, np.zeros(4, np.float32), z.copy(), -50.0)
    with pytest.raises(TypeError, match="dropout_mask needs a float mask and uint64 keys"):
        compiled.dropout_mask(z, np.zeros(4, np.int64), 0, 0, 1.0)
    with pytest.raises(ValueError, match="keys has 3 elements, expected 4"):
        compiled.dropout_mask(z, np.zeros(3, np.uint64), 0, 0, 1.0)
    with pytest.raises(ValueError, match="mean has 2 elements, expected 3"):
        v = np.zeros(3, np.float32)
        compiled.batchnorm_forward(z, v, None, 1e-5, z.copy(), v[:2].copy(), v, v)
    with pytest.raises(TypeError, match="gamma"):
        compiled.batchnorm_backward(z, z, np.zeros(3), v, None, 0.25, v, v)
    with pytest.raises(TypeError, match="prediction and target must be float arrays of one"):
        compiled.squared_error_sums(z, z.astype(np.float64), np.zeros(3))
    with pytest.raises(TypeError, match="sums must be a float64 array"):
        compiled.squared_error_sums(z, z, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="sums has 4 elements, expected 3"):
        compiled.squared_error_sums(z, z, np.zeros(4))
    with pytest.raises(TypeError, match="adam_update takes 10 arguments"):
        compiled.adam_update(z)
    with pytest.raises(ValueError, match=r"gemm_at_b needs a \(k, m\), b \(k, n\) and c \(m, n\)"):
        compiled.gemm_at_b(z, z, np.zeros((3, 4), np.float32), 1.0, 1.0)


def test_dtypes_outside_float32_and_float64_take_the_numpy_path():
    z = np.array([[-1.0, 2.0]], np.float16)
    kernels.bias_activation(z, np.ones(2, np.float16), activations.get("relu"))
    np.testing.assert_array_equal(z, np.array([[0.0, 3.0]], np.float16))
