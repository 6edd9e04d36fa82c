"""The MNIST study's config files and parsing; the original's findings on the full data (slow)."""

import os
from pathlib import Path

import pytest

from scratchnet.config import apply_quick, read_toml
from scratchnet.errors import ConfigError
from scratchnet.studies.mnist import MNIST_STUDY, ORIGINAL_TEST_ACCURACY, cell_key
from scratchnet.studies.registry import STUDIES

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ORIGINAL_CONFIG = CONFIGS / "mnist_original.toml"
IMPROVED_CONFIG = CONFIGS / "mnist_improved.toml"


def parse(path, quick=False):
    table = apply_quick(read_toml(path), quick, str(path))
    assert STUDIES[table.pop("study")] is MNIST_STUDY
    return MNIST_STUDY.parse_config(table, str(path))


def test_the_original_config_is_the_original_protocol():
    config = parse(ORIGINAL_CONFIG)
    assert config.data.dataset == "mnist" and config.data.split == "ratio"
    assert config.data.ratios == (0.8, 0.1, 0.1) and config.data.train_subset == 0
    model = config.model
    assert model["layers"] == [784, 256, 128, 64, 32, 10]
    assert (model["optimizer"], model["momentum"], model["lr_schedule"]) == ("sgd", 0.0, "constant")
    assert (model["lr"], model["batch_size"], model["epochs"]) == (2e-3, 128, 50)
    assert model["early_stopping"] and {"patience", "min_delta"} <= set(model)
    cells = MNIST_STUDY.cells(config)
    assert len(cells) == 12
    assert {(c.params["activation"], c.params["weight_init"]) for c in cells} == set(
        ORIGINAL_TEST_ACCURACY
    )
    assert cell_key("relu", "normal") in {c.key for c in cells}
    assert cell_key("relu", "normal") == "model_activation_relu_weight_init_normal"


def test_the_improved_config_keeps_the_network_and_the_split():
    original, improved = parse(ORIGINAL_CONFIG), parse(IMPROVED_CONFIG)
    assert improved.data == original.data
    assert improved.model["layers"] == original.model["layers"]
    assert {c.key for c in MNIST_STUDY.cells(original)} <= {
        c.key for c in MNIST_STUDY.cells(improved)
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t["model"].update(activations="relu"),
            r"\[model\]: activations is set per cell",
        ),
        (lambda t: t["model"].update(optimiser="sgd"), "unknown key model.optimiser"),
        (
            lambda t: t["model"].update(optimizer="rmsprop"),
            r"\[model\]: The 'optimizer' parameter of NeuralNetwork must be a str among",
        ),
        (
            lambda t: t["model"].update(lr=-1.0),
            r"\[model\]: The 'lr' parameter of NeuralNetwork must be a float in the range \(0.0",
        ),
        (lambda t: t["model"].update(layers=[784, 10, 3]), r"\[model\]: .*layers\[-1\]"),
        (lambda t: t["grid"].update(activations=["relu", "swish"]), r"\[grid\]: unknown act"),
        (lambda t: t["grid"].update(weight_init=[]), r"grid.weight_init must be"),
        (lambda t: t["grid"].update(depth=[1]), "unknown key grid.depth"),
        (lambda t: t["data"].update(ratio=[1]), "unknown key data.ratio"),
        (lambda t: t.pop("grid"), "missing key grid"),
        (lambda t: t.update(epochs=3), r"unknown key epochs"),
    ],
)
def test_config_errors_name_the_file_table_and_key(change, message):
    table = apply_quick(read_toml(ORIGINAL_CONFIG), False, "my.toml")
    table.pop("study")
    change(table)
    with pytest.raises(ConfigError, match=message) as info:
        MNIST_STUDY.parse_config(table, "my.toml")
    assert str(info.value).startswith("my.toml")


def test_the_originals_figures_are_its_table():
    assert ORIGINAL_TEST_ACCURACY["leaky_relu", "normal"] == 96.23
    assert ORIGINAL_TEST_ACCURACY["sigmoid", "normal"] == 91.02
    assert ORIGINAL_TEST_ACCURACY["leaky_relu", "random"] == 94.13
    assert sum(value == 10.67 for value in ORIGINAL_TEST_ACCURACY.values()) == 7


SLOW = pytest.mark.skipif(
    os.environ.get("SCRATCHNET_SLOW") != "1",
    reason="full MNIST study in the original protocol (minutes); set SCRATCHNET_SLOW=1",
)


@pytest.fixture(scope="module")
def original_protocol_accuracy(tmp_path_factory):
    """Test accuracy per (activation, init) of configs/mnist_original.toml on the full data.

    Runs (or resumes) the sweep into $SCRATCHNET_SWEEP_DIR (default: a temp folder), so a
    finished full run there is read, not redone.
    """
    from scratchnet.studies.registry import run_sweep

    default = tmp_path_factory.mktemp("mnist_original")
    out = Path(os.environ.get("SCRATCHNET_SWEEP_DIR", default))
    results = run_sweep(ORIGINAL_CONFIG, out, n_jobs=2, progress=False)
    assert len(results) == 12 and all(r["status"] == "complete" for r in results)
    return {
        (r["params"]["activation"], r["params"]["weight_init"]): r["metrics"]["test_accuracy"]
        for r in results
    }


SIGMOID_STALLS = pytest.mark.xfail(
    strict=True,
    reason="measured: with the mean-over-batch gradient, plain SGD at lr 2e-3 leaves the "
    "4-sigmoid-layer network on its plateau (loss 2.30) for all 50 epochs, at chance like "
    "random init; the original's 91% suggests its gradient was summed over the batch",
)


@pytest.mark.slow
@SLOW
@pytest.mark.parametrize(
    "activation", [pytest.param("sigmoid", marks=SIGMOID_STALLS), "tanh", "relu", "leaky_relu"]
)
def test_normal_init_beats_random_in_the_original_protocol(original_protocol_accuracy, activation):
    accuracy = original_protocol_accuracy
    assert accuracy[activation, "normal"] > accuracy[activation, "random"] + 0.01


@pytest.mark.slow
@SLOW
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_zero_init_sits_at_chance_in_the_original_protocol(original_protocol_accuracy, activation):
    assert original_protocol_accuracy[activation, "zero"] < 0.12  # the most frequent class, ~11%
