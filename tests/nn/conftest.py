import pytest

from scratchnet.nn import kernels


@pytest.fixture(params=["compiled", "numpy"])
def kernel_path(request):
    """Run a test through the compiled loops, then through their NumPy reference."""
    if request.param == "numpy":
        with kernels.pure_numpy():
            yield request.param
    elif not kernels.compiled():
        pytest.skip("the C kernels are not built (no C compiler at install time)")
    else:
        yield request.param
