"""The compiled training step (nn/onestep.py) is bitwise the NumPy path's step, and every case
it does not cover takes that path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from scratchnet import training
from scratchnet.nn import activations, initializers, kernels, onestep, optimizers, schedules
from scratchnet.nn.dropout import Dropout
from scratchnet.nn.network import MLP
from scratchnet.nn.objectives import OBJECTIVES
from scratchnet.training import Trainer

compiled_only = pytest.mark.skipif(
    not kernels.step_compiled(), reason="no compiled step (C kernels or BLAS)"
)

ACTIVATIONS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh"]
OPTIMIZERS = {
    "sgd": {"name": "sgd"},
    "momentum": {"name": "sgd", "momentum": 0.9},
    "nesterov": {"name": "sgd", "momentum": 0.9, "nesterov": True},
    "adam": {"name": "adam"},
    "adamw": {"name": "adamw", "weight_decay": 0.05},
}


@pytest.fixture(params=["one update", "layerwise"])
def updates(request, monkeypatch):
    """Momentum and Adam update the weights in one call after the backward pass (as small
    networks do), or each weight matrix inside it (as networks of at least
    ``training.LAYERWISE_MIN_WEIGHTS`` weights do): the compiled step and the NumPy path alike."""
    if request.param == "layerwise":
        monkeypatch.setattr(training, "LAYERWISE_MIN_WEIGHTS", 0)
    return request.param


def make_trainer(sizes, activation="relu", dtype=np.float32, optimizer="adam", alpha=0.0,
                 objective="softmax", weight_decay=None, batch_norm=()):  # fmt: skip
    """A trainer of a fresh network, the same for the same arguments."""
    hidden = [activations.get(activation)] * (len(sizes) - 2)
    network = MLP(sizes, hidden, dtype, batch_norm=batch_norm)
    network.initialize(initializers.get("he"), np.random.default_rng(0))
    network.intercepts[0][...] = 0.01  # biases that are not all zero
    settings = dict(OPTIMIZERS[optimizer])
    if weight_decay is not None:
        settings["weight_decay"] = weight_decay
    opt = optimizers.make(settings.pop("name"), **settings)
    opt.init(network.params.size, network.dtype)
    return Trainer(
        network, OBJECTIVES[objective](), opt, schedules.get("cosine"), lr=0.05,
        total_steps=20, batch_size=16, alpha=alpha,
    )  # fmt: skip


def batches(sizes, objective, dtype, rows, steps, seed=1):
    """``steps`` batches (X, y) of ``rows`` rows for the objective."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        X = rng.normal(size=(rows, sizes[0])).astype(dtype)
        if objective == "softmax":
            y = rng.integers(0, sizes[-1], rows).astype(np.intp)
        elif objective == "logistic":
            y = rng.integers(0, 2, (rows, sizes[-1])).astype(dtype)
        else:
            y = rng.random((rows, sizes[-1])).astype(dtype)
        out.append((X, y))
    return out


def state(trainer):
    """Everything a step changes: parameters (batch normalization's scales included), the
    running statistics and the optimizer's state."""
    opt = trainer.optimizer
    arrays = [trainer.network.params, trainer.network.running]
    arrays += [opt.m, opt.v] if hasattr(opt, "m") else [opt.velocity]
    return [a.copy() for a in arrays if a is not None]


def train_both(make, data, weights=None):
    """The same steps through the compiled step and through the NumPy path: (compiled,
    numpy), each (step results, the state after every step: a difference of one ulp may
    round away in later steps)."""
    results = []
    for path in ("compiled", "numpy"):
        trainer, losses, states = make(), [], []
        with onestep.numpy_path() if path == "numpy" else _nothing():
            for i, (X, y) in enumerate(data):
                losses.append(trainer.step(X, y, None if weights is None else weights[i]))
                states += state(trainer)
        took_compiled = trainer._compiled.built > 0
        assert took_compiled == (path == "compiled")
        results.append((losses, states))
    return results


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def assert_same(compiled, reference):
    (losses_a, state_a), (losses_b, state_b) = compiled, reference
    assert losses_a == losses_b
    for a, b in zip(state_a, state_b):
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes()


@compiled_only
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("penalty", ["none", "l2", "decay", "both"])
def test_the_compiled_step_is_bitwise_the_numpy_path(
    optimizer, activation, dtype, penalty, updates
):
    sizes = [7, 12, 9, 3]
    alpha = 1e-2 if penalty in ("l2", "both") else 0.0
    decay = 0.03 if penalty in ("decay", "both") else 0.0
    data = batches(sizes, "softmax", dtype, 16, 4)

    def make():
        return make_trainer(sizes, activation, dtype, optimizer, alpha, weight_decay=decay)

    compiled, reference = train_both(make, data)
    assert_same(compiled, reference)
    assert not np.array_equal(compiled[1][0], make().network.params)  # it trained


@compiled_only
@pytest.mark.parametrize("objective", ["softmax", "identity", "logistic", "exp"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_objective_with_and_without_sample_weights(objective, weighted, dtype):
    sizes = [5, 8, 2]
    data = batches(sizes, objective, dtype, 11, 3)
    rng = np.random.default_rng(4)
    weights = [rng.uniform(0.5, 2.0, 11) for _ in data] if weighted else None
    for optimizer in ("sgd", "momentum", "adamw"):

        def make(optimizer=optimizer):
            return make_trainer(sizes, "tanh", dtype, optimizer, 1e-3, objective)

        assert_same(*train_both(make, data, weights))


@compiled_only
@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=2, max_size=5),
    rows=st.integers(1, 40),
    activation=st.sampled_from(ACTIVATIONS),
    optimizer=st.sampled_from(list(OPTIMIZERS)),
    objective=st.sampled_from(["softmax", "identity"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    alpha=st.sampled_from([0.0, 1e-2]),
)
def test_any_small_shape_and_batch(sizes, rows, activation, optimizer, objective, dtype, alpha):
    # Ones anywhere (one input, one unit, one output, one row) take NumPy's gemv, dot and plain
    # loops; one output column is summed pairwise.
    if objective == "softmax" and sizes[-1] < 2:
        sizes = [*sizes[:-1], 2]
    data = batches(sizes, objective, dtype, rows, 3)

    def make():
        return make_trainer(sizes, activation, dtype, optimizer, alpha, objective)

    assert_same(*train_both(make, data))


@compiled_only
def test_a_long_one_output_batch_sums_its_bias_gradient_pairwise():
    sizes = [3, 4, 1]
    data = batches(sizes, "identity", np.float32, 301, 3)

    def make():
        return make_trainer(sizes, "relu", np.float32, "sgd", 0.0, "identity")

    assert_same(*train_both(make, data))


@compiled_only
def test_new_optimizer_state_or_settings_build_a_new_step():
    sizes = [4, 6, 3]
    data = batches(sizes, "softmax", np.float32, 8, 4)
    trainers = [make_trainer(sizes) for _ in range(2)]
    for i, (X, y) in enumerate(data):
        if i == 2:  # a warm restart of the optimizer, and a new L2 penalty
            for trainer in trainers:
                trainer.optimizer.init(trainer.network.params.size, np.float32)
                trainer.alpha = 0.1
        trainers[0].step(X, y)
        with onestep.numpy_path():
            trainers[1].step(X, y)
    assert state(trainers[0])[0].tobytes() == state(trainers[1])[0].tobytes()


def _takes_numpy_path(trainer, X, y, w=None):
    trainer.step(X, y, w)
    return trainer._compiled.built == 0


def test_what_the_compiled_step_does_not_cover_takes_the_numpy_path():
    sizes = [6, 8, 3]
    X, y = batches(sizes, "softmax", np.float32, 10, 1)[0]
    rates_short = make_trainer([6, 8, 5, 3])  # a rate for the first hidden layer only
    rates_short.dropout = Dropout([0.5], seed=0)
    assert _takes_numpy_path(rates_short, X, y)
    one_row = make_trainer(sizes, batch_norm=(True,))
    with pytest.raises(ValueError, match="at least 2 rows"):  # the NumPy path's own error
        one_row.step(X[:1], y[:1])
    assert one_row._compiled.built == 0
    custom = activations.register("cube_test", lambda z: z**3, lambda a: 3 * np.cbrt(a) ** 2)
    try:
        assert _takes_numpy_path(make_trainer(sizes, custom), X, y)
    finally:
        activations.unregister("cube_test")
    assert _takes_numpy_path(make_trainer(sizes), sparse.csr_matrix(X), y)
    assert _takes_numpy_path(make_trainer(sizes), np.asfortranarray(X), y)
    assert _takes_numpy_path(make_trainer(sizes), X.astype(np.float64), y)
    with kernels.pure_numpy():
        assert _takes_numpy_path(make_trainer(sizes), X, y)
    assert not _takes_numpy_path(make_trainer(sizes), X, y) or not kernels.step_compiled()


def with_dropout(make, rates, seed=5):
    """``make`` with inverted dropout at ``rates`` on its trainers."""

    def make_with_dropout():
        trainer = make()
        trainer.dropout = Dropout(rates, seed)
        return trainer

    return make_with_dropout


@compiled_only
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adamw"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rates", [(0.5, 0.2), (0.0, 0.3), (0.4, 0.0)])
def test_steps_with_dropout_are_bitwise_the_numpy_path(
    optimizer, activation, dtype, rates, updates
):
    sizes = [7, 12, 9, 3]
    data = batches(sizes, "softmax", dtype, 16, 4)

    def make():
        return make_trainer(sizes, activation, dtype, optimizer, 1e-2, weight_decay=0.01)

    compiled, reference = train_both(with_dropout(make, rates), data)
    assert_same(compiled, reference)
    without, _ = train_both(make, data)
    assert without[0] != compiled[0]  # the masks changed the losses


@compiled_only
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalized", [(True, True), (False, True), (True, False)])
def test_steps_with_batch_normalization_are_bitwise_the_numpy_path(
    optimizer, activation, dtype, normalized, updates
):
    sizes = [7, 12, 9, 3]
    data = batches(sizes, "softmax", dtype, 16, 4)

    def make():
        return make_trainer(sizes, activation, dtype, optimizer, 1e-2, batch_norm=normalized)

    compiled, reference = train_both(make, data)
    assert_same(compiled, reference)
    running = make().network.running
    assert not np.array_equal(compiled[1][1], running)  # the running statistics moved


@compiled_only
@pytest.mark.parametrize("objective", ["softmax", "identity", "logistic"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("normalized", [(), (True, True)], ids=["dropout", "dropout and bn"])
def test_dropout_and_batch_norm_with_any_objective_and_sample_weights(
    objective, weighted, normalized
):
    sizes = [5, 8, 6, 2]
    data = batches(sizes, objective, np.float64, 11, 3)
    weights = [np.random.default_rng(i).random(11) for i in range(3)] if weighted else None

    def make():
        trainer = make_trainer(sizes, "tanh", np.float64, "adamw", 1e-3, objective,
                               batch_norm=normalized)  # fmt: skip
        trainer.batch_norm_momentum = 0.8
        return trainer

    assert_same(*train_both(with_dropout(make, (0.25, 0.5)), data, weights))


@compiled_only
def test_the_compiled_step_refuses_missing_or_stray_dropout_inputs():
    sizes = [4, 6, 3]
    X, y = batches(sizes, "softmax", np.float32, 8, 1)[0]
    trainer = with_dropout(lambda: make_trainer(sizes), (0.5,))()
    step, _ = trainer._compiled._get(trainer, 8)
    with pytest.raises(TypeError):
        step.run(X, y, 0.1, 0.0, None, None)
    with pytest.raises(ValueError, match="salts has 2 elements, expected 1"):
        step.run(X, y, 0.1, 0.0, np.zeros(8, np.uint64), np.zeros(2, np.uint64))
    plain = make_trainer(sizes)
    step, _ = plain._compiled._get(plain, 8)
    with pytest.raises(ValueError, match="None without dropout"):
        step.run(X, y, 0.1, 0.0, np.zeros(8, np.uint64), np.zeros(1, np.uint64))


@compiled_only
def test_a_target_the_compiled_loss_cannot_take_goes_through_the_objective():
    # float64 targets for a float32 regressor: the objective's own step casts them.
    sizes = [3, 5, 2]
    data = [(X, y.astype(np.float64)) for X, y in batches(sizes, "identity", np.float32, 9, 3)]

    def make():
        return make_trainer(sizes, "relu", np.float32, "adam", 0.0, "identity")

    assert_same(*train_both(make, data))


@compiled_only
def test_strided_class_indices_go_through_the_objective_and_fail_there_too():
    sizes = [3, 5, 3]
    X, y = batches(sizes, "softmax", np.float32, 9, 1)[0]
    strided = np.repeat(y, 2)[::2]
    for path in (_nothing(), onestep.numpy_path()):
        with path, pytest.raises(ValueError, match="not C-contiguous"):
            make_trainer(sizes).step(X, strided)


@compiled_only
def test_class_indices_out_of_range_raise_as_on_the_numpy_path():
    sizes = [3, 4, 2]
    X, y = batches(sizes, "softmax", np.float32, 5, 1)[0]
    y[2] = 2
    states = []
    for path in (_nothing(), onestep.numpy_path()):
        trainer = make_trainer(sizes)
        with path, pytest.raises(IndexError, match="out of range"):
            trainer.step(X, y)
        states.append((trainer.steps_done, trainer.optimizer.t, *state(trainer)))
    compiled, reference = states
    assert compiled[:2] == reference[:2] == (0, 0)  # Adam's step not begun
    assert all(a.tobytes() == b.tobytes() for a, b in zip(compiled[2:], reference[2:]))


@compiled_only
def test_the_trainer_pickles_without_its_compiled_steps():
    import pickle

    sizes = [4, 6, 3]
    trainer = make_trainer(sizes)
    X, y = batches(sizes, "softmax", np.float32, 8, 1)[0]
    trainer.step(X, y)
    copy = pickle.loads(pickle.dumps(trainer))
    assert copy._compiled.built == 0
    assert copy.step(X, y) == trainer.step(X, y)


# --- whole epochs in one call (CompiledSteps.run_epoch) ------------------------------------------


def epochs_both(make, X, y, epochs=3, shuffle=True, w=None, keys=None):
    """Whole epochs through the compiled path and through the NumPy path: (compiled, numpy),
    each (the epochs' mean loss and metric, the state after every epoch), and the compiled
    path's per-step calls."""
    results, step_calls = [], []
    for path in ("compiled", "numpy"):
        trainer, figures, states = make(), [], []
        trainer.rng = np.random.default_rng(3) if shuffle else None
        calls = _count_steps(trainer)
        with onestep.numpy_path() if path == "numpy" else _nothing():
            for _ in range(epochs):
                figures.append(trainer.epoch(X, y, w, keys))
                states += [*state(trainer), np.array([trainer.steps_done])]
        results.append((figures, states))
        step_calls.append(len(calls))
    return results, step_calls[0]


def _count_steps(trainer) -> list:
    """A list that gains an item at every call of the trainer's one-step compiled path."""
    calls, run = [], trainer._compiled.run
    trainer._compiled.run = lambda *args: calls.append(1) or run(*args)
    return calls


def epoch_data(sizes, objective, dtype, n, seed=2):
    return batches(sizes, objective, dtype, n, 1, seed)[0]


@compiled_only
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("objective", ["softmax", "identity"])
def test_an_epoch_in_one_call_is_bitwise_its_steps(optimizer, dtype, shuffle, objective, updates):
    sizes = [7, 12, 9, 3]
    X, y = epoch_data(sizes, objective, dtype, 16 * 5 + 7)  # five full batches and 7 rows

    def make():
        return make_trainer(sizes, "relu", dtype, optimizer, 1e-2, objective, weight_decay=0.01)

    (compiled, reference), step_calls = epochs_both(make, X, y, shuffle=shuffle)
    assert_same(compiled, reference)
    assert step_calls == 3  # one step per epoch, the last 7 rows'; the full batches in one call


@compiled_only
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("given_keys", [False, True], ids=["keys computed", "keys given"])
def test_an_epoch_with_dropout_in_one_call_is_bitwise_its_steps(
    optimizer, shuffle, given_keys, updates
):
    sizes = [7, 12, 9, 3]
    X, y = epoch_data(sizes, "softmax", np.float32, 16 * 5 + 7)
    rates = (0.3, 0.5)
    keys = Dropout(rates, seed=11).row_keys(X) if given_keys else None

    def make():
        return make_trainer(sizes, "relu", np.float32, optimizer, 1e-2)

    make = with_dropout(make, rates, seed=11)
    (compiled, reference), step_calls = epochs_both(make, X, y, shuffle=shuffle, keys=keys)
    assert_same(compiled, reference)
    assert step_calls == 3  # one step per epoch, the last 7 rows'; the full batches in one call


@compiled_only
@pytest.mark.parametrize("optimizer", ["nesterov", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rates", [None, (0.2, 0.4)], ids=["no dropout", "dropout"])
def test_an_epoch_with_batch_normalization_in_one_call_is_bitwise_its_steps(
    optimizer, dtype, rates, updates
):
    sizes = [7, 12, 9, 3]
    X, y = epoch_data(sizes, "softmax", dtype, 16 * 5 + 7)

    def make():
        return make_trainer(sizes, "relu", dtype, optimizer, 1e-2, batch_norm=(True, False))

    make = make if rates is None else with_dropout(make, rates)
    (compiled, reference), step_calls = epochs_both(make, X, y)
    assert_same(compiled, reference)
    assert step_calls == 3  # one step per epoch, the last 7 rows'; the full batches in one call


@compiled_only
def test_an_epoch_of_one_row_batches_with_batch_normalization_fails_as_on_the_numpy_path():
    sizes = [4, 6, 3]
    X, y = epoch_data(sizes, "softmax", np.float32, 5)
    for path in (_nothing(), onestep.numpy_path()):
        trainer = make_trainer(sizes, batch_norm=(True,))
        trainer.batch_size = 1
        with path, pytest.raises(ValueError, match="at least 2 rows"):
            trainer.epoch(X, y)
        assert trainer.steps_done == 0 and trainer._compiled.built == 0


@compiled_only
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_a_large_network_steps_each_layer_in_one_call_as_on_the_numpy_path(optimizer):
    sizes = [300, 220, 3]  # 66,660 weights: updated layer by layer on both paths
    X, y = epoch_data(sizes, "softmax", np.float32, 16 * 3 + 5)

    def make():
        trainer = make_trainer(sizes, "tanh", np.float32, optimizer, 1e-2, weight_decay=0.01)
        assert trainer.layerwise
        return trainer

    (compiled, reference), step_calls = epochs_both(make, X, y, epochs=2)
    assert_same(compiled, reference)
    assert step_calls == 2


@compiled_only
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_epoch_in_one_call_with_every_activation(activation):
    sizes = [5, 8, 8, 4]
    X, y = epoch_data(sizes, "softmax", np.float32, 64)

    def make():
        return make_trainer(sizes, activation, np.float32, "adam")

    (compiled, reference), step_calls = epochs_both(make, X, y)
    assert_same(compiled, reference)
    assert step_calls == 0


@compiled_only
@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=2, max_size=4),
    n=st.integers(1, 70),
    batch_size=st.integers(1, 40),
    optimizer=st.sampled_from(list(OPTIMIZERS)),
    objective=st.sampled_from(["softmax", "identity"]),
    shuffle=st.booleans(),
)
def test_an_epoch_in_one_call_for_any_rows_and_batch(sizes, n, batch_size, optimizer, objective,
                                                     shuffle):  # fmt: skip
    if objective == "softmax" and sizes[-1] < 2:
        sizes = [*sizes[:-1], 2]
    X, y = epoch_data(sizes, objective, np.float32, n)

    def make():
        trainer = make_trainer(sizes, "tanh", np.float32, optimizer, 1e-3, objective)
        trainer.batch_size = batch_size
        return trainer

    (compiled, reference), step_calls = epochs_both(make, X, y, epochs=2, shuffle=shuffle)
    assert_same(compiled, reference)
    assert step_calls == (2 if n % batch_size else 0)


@compiled_only
def test_sample_weights_and_out_of_range_labels_take_one_step_at_a_time():
    sizes = [3, 5, 3]
    X, y = epoch_data(sizes, "softmax", np.float32, 32)

    def make():
        return make_trainer(sizes, "relu", np.float32, "adam")

    w = np.linspace(0.5, 1.5, 32).astype(np.float32)
    (compiled, reference), step_calls = epochs_both(make, X, y, w=w)
    assert_same(compiled, reference)
    assert step_calls == 3 * 2
    y[20] = 3
    for path in (_nothing(), onestep.numpy_path()):
        trainer = make()
        with path, pytest.raises(IndexError, match="out of range"):
            trainer.epoch(X, y)
        assert trainer.steps_done == 1  # the first batch stepped, as on the NumPy path


def test_without_the_compiled_loops_an_epoch_takes_the_numpy_path():
    sizes = [3, 5, 3]
    X, y = epoch_data(sizes, "softmax", np.float32, 32)
    trainer = make_trainer(sizes)
    with kernels.pure_numpy():
        trainer.epoch(X, y)
    assert trainer._compiled.built == 0 and trainer.steps_done == 2
