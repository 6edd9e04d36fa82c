from scratchnet.nn import kernels
from scratchnet.run.environment import describe


def test_the_environment_names_the_machine_and_which_kernels_ran():
    environment = describe()
    assert {"python", "numpy", "blas", "cpu", "cores", "date"} <= environment.keys()
    assert environment["kernels"] == ("compiled C loops" if kernels.compiled() else "NumPy only")
    with kernels.pure_numpy():
        assert describe()["kernels"] == "NumPy only"
