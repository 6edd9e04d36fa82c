"""Prediction looks for NaN and infinity in each chunk's first product, not in a pass over X of
its own: every non-finite input still gets scikit-learn's own error, and finite inputs that
merely overflow the product get none (as in scikit-learn)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.datasets import load_digits
from sklearn.utils.validation import validate_data

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.nn import network as network_module

#: First hidden layers narrower and wider than the 64 inputs.
WIDTHS = (8, 200)


@pytest.fixture(scope="module")
def models():
    """Fitted classifiers and regressors, float32 and float64, per first-layer width."""
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    fitted = {}
    for width in WIDTHS:
        for dtype in ("float32", "float64"):
            settings = dict(layers=[64, width, 10], epochs=1, random_state=0, dtype=dtype)
            fitted["classifier", width, dtype] = NeuralNetwork(**settings).fit(X, y[:300])
            settings["layers"] = [64, width, 1]
            fitted["regressor", width, dtype] = NeuralNetworkRegressor(**settings).fit(X, y[:300])
    return fitted, X


def _sklearn_error(model, X) -> str:
    """The message scikit-learn's validation gives for X."""
    with pytest.raises(ValueError) as raised:
        validate_data(model, X, reset=False, dtype=model.network_.dtype, accept_sparse="csr")
    return str(raised.value)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["classifier", "regressor"]),
    width=st.sampled_from(WIDTHS),
    dtype=st.sampled_from(["float32", "float64"]),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    row=st.integers(0, 299),
    column=st.integers(0, 63),
    as_sparse=st.booleans(),
    method=st.sampled_from(["predict", "predict_proba", "transform"]),
)
def test_every_non_finite_input_gets_scikit_learns_error(
    models, kind, width, dtype, value, row, column, as_sparse, method
):
    fitted, X = models
    model = fitted[kind, width, dtype]
    if not hasattr(model, method):
        method = "predict"
    bad = X.copy()
    bad[row, column] = value
    bad = sparse.csr_matrix(bad) if as_sparse else bad
    expected = _sklearn_error(model, bad)
    with pytest.MonkeyPatch.context() as patch:  # chunks of a few rows: the bad one is any chunk
        patch.setattr(network_module, "PREDICT_BYTES", 40_000)
        with pytest.raises(ValueError) as raised:
            getattr(model, method)(bad)
    assert str(raised.value) == expected


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_finite_inputs_that_overflow_the_product_are_accepted(models, dtype):
    fitted, X = models
    model = fitted["classifier", 200, dtype]
    huge = X.astype(dtype) * np.finfo(dtype).max  # finite, but sums of them overflow
    validate_data(model, huge, reset=False, dtype=model.network_.dtype)  # scikit-learn: fine
    with np.errstate(all="ignore"):
        product = huge @ model.network_.coefs[0]
        assert not np.isfinite(product).all()  # the check does look at the chunk itself
        assert model.predict(huge).shape == (len(X),)
