"""The five Fashion-MNIST studies end to end on tiny subsets, both engines: the cell files, the
figures (PNG), and the tables (original rows, engine rows, columns), plus config errors."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from scratchnet.cli import main
from scratchnet.errors import ConfigError
from scratchnet.studies.fashion import activations as fashion_activations
from scratchnet.studies.fashion import autoencoder as fashion_autoencoder
from scratchnet.studies.fashion import features as fashion_features
from scratchnet.studies.registry import run_sweep

DATA = {"train_subset": 1500, "test_subset": 500, "val_size": 300}
PNG = b"\x89PNG\r\n\x1a\n"
IMPROVED = {"activations": ["relu"], "optimizer": "adamw", "lr": 3e-3,
            "lr_schedule": "onecycle", "weight_decay": 0.01, "epochs": 2}  # fmt: skip


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG, path


def cell_files(out: Path, key: str) -> set[str]:
    return {p.name for p in (out / "cells" / key).iterdir()}


def source_rows(rows: list[dict], setting: str, key: str = "activation") -> dict[str, dict]:
    return {row["source"]: row for row in rows if row[key] == setting}


@pytest.fixture(scope="module")
def autoencoder_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("autoencoder")
    table = {
        "study": "fashion-autoencoder",
        "data": DATA,
        "model": {"epochs": 2, "lr": 1e-3},
        "improved": {**IMPROVED, "activations": ["relu"]},
        "options": {"n_images": 4},
    }
    return out, run_sweep(table, out, progress=False)


def test_activations_study(tmp_path):
    table = {
        "study": "fashion-activations",
        "data": DATA,
        "model": {"activations": ["relu", "logistic"], "epochs": 2, "lr": 1e-3},
        "improved": IMPROVED,
    }
    results = run_sweep(table, tmp_path, progress=False)
    keys = [r["key"] for r in results]
    assert keys == ["sklearn-original-relu", "sklearn-original-logistic",
                    "scratchnet-original-relu", "scratchnet-original-logistic",
                    "scratchnet-improved-relu"]  # fmt: skip
    for key in keys:
        assert {"history.json", "model.npz"} <= cell_files(tmp_path, key)
        history = json.loads((tmp_path / "cells" / key / "history.json").read_text())
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"} <= set(history)
        assert len(history["val_accuracy"]) == 2
    for name in ("loss.png", "accuracy.png"):
        assert_png(tmp_path / name)
    rows = read_csv(tmp_path / "activations.csv")
    assert list(rows[0]) == list(fashion_activations.COLUMNS)
    relu = source_rows(rows, "relu")
    assert list(relu) == ["original", "sklearn", "scratchnet", "scratchnet improved"]
    assert float(relu["original"]["val acc %"]) == 87.83 and relu["original"]["test acc %"] == ""
    logistic = source_rows(rows, "logistic")
    assert float(logistic["original"]["train acc %"]) == 76.25
    metrics = {r["key"]: r["metrics"] for r in results}
    assert float(relu["scratchnet"]["test acc %"]) == pytest.approx(
        100 * metrics["scratchnet-original-relu"]["test_accuracy"]
    )
    for row in (relu["sklearn"], relu["scratchnet"], relu["scratchnet improved"]):
        assert float(row["wall s"]) > 0 and float(row["fit s"]) > 0 and row["epochs"] == "2"
    engines_rows = read_csv(tmp_path / "engines.csv")
    assert [r["activation"] for r in engines_rows] == ["relu", "logistic"]
    assert {"difference", "within", "speedup"} <= set(engines_rows[0])
    markdown = (tmp_path / "activations.md").read_text()
    assert "subset: first 1500 training and 500 test images" in markdown
    assert "| relu | original | 89.51 | 87.83 | - |" in markdown


def test_autoencoder_study(autoencoder_run):
    out, results = autoencoder_run
    assert [r["key"] for r in results] == [
        "sklearn-original-relu", "sklearn-original-identity", "scratchnet-original-relu",
        "scratchnet-original-identity", "scratchnet-improved-relu"]  # fmt: skip
    for record in results:
        assert {"history.json", "model.npz", "reconstructions.npz"} <= cell_files(
            out, record["key"]
        )
        with np.load(out / "cells" / record["key"] / "reconstructions.npz") as saved:
            assert saved["originals"].shape == saved["reconstructions"].shape == (4, 784)
    for name in ("mse.png", "reconstructions.png"):
        assert_png(out / name)
    metrics = {r["key"]: r["metrics"] for r in results}
    assert metrics["scratchnet-improved-relu"]["standardized"] is True
    assert "scaler.npz" in cell_files(out, "scratchnet-improved-relu")
    assert "scaler.npz" not in cell_files(out, "scratchnet-original-relu")
    assert not metrics["scratchnet-original-relu"]["standardized"]
    rows = read_csv(out / "autoencoder.csv")
    relu = source_rows(rows, "relu")
    assert list(relu) == ["original", "sklearn", "scratchnet", "scratchnet improved"]
    assert float(relu["original"]["test R2"]) == pytest.approx(0.6530, abs=1e-4)
    assert float(source_rows(rows, "identity")["original"]["test R2"]) == pytest.approx(
        0.6498, abs=1e-4
    )
    r2 = {r["key"]: r["metrics"]["test_r2"] for r in results}
    assert float(relu["sklearn"]["test R2"]) == pytest.approx(r2["sklearn-original-relu"])
    assert [r["activation"] for r in read_csv(out / "engines.csv")] == ["relu", "identity"]


def test_features_study_reuses_the_autoencoder_sweep(autoencoder_run, tmp_path):
    ae_out, _ = autoencoder_run
    table = {
        "study": "fashion-features",
        "model": {"epochs": 2, "lr": 1e-3},
        "improved": {**IMPROVED, "activations": ["relu"]},
        "options": {"autoencoder": str(ae_out)},
    }
    results = run_sweep(table, tmp_path, progress=False)
    assert len(results) == 5
    for record in results:
        m = record["metrics"]
        assert m["autoencoder"].startswith(str(ae_out))
        assert m["penultimate"]["n_features"] == 64 and m["bottleneck"]["n_features"] == 16
        assert {"penultimate_model.npz", "bottleneck_history.json"} <= cell_files(
            tmp_path, record["key"]
        )
    assert_png(tmp_path / "accuracy.png")
    rows = read_csv(tmp_path / "features.csv")
    relu = source_rows(rows, "relu, penultimate", key="setting")
    assert list(relu) == ["original", "sklearn", "scratchnet", "scratchnet improved"]
    assert float(relu["original"]["test acc %"]) == 81.82
    assert "original" not in source_rows(rows, "relu, bottleneck", key="setting")
    assert (
        float(source_rows(rows, "identity, penultimate", key="setting")["original"]["test acc %"])
        == 82.22
    )
    assert len(read_csv(tmp_path / "engines.csv")) == 4


def test_features_on_one_engines_autoencoders(autoencoder_run, tmp_path):
    ae_out, _ = autoencoder_run
    table = {
        "study": "fashion-features",
        "model": {"activations": ["relu"], "epochs": 1},
        "improved": {**IMPROVED, "epochs": 1},
        "options": {"autoencoder": str(ae_out), "autoencoder_engine": "sklearn"},
    }
    results = run_sweep(table, tmp_path, progress=False)
    used = {r["key"]: r["metrics"]["autoencoder_key"] for r in results}
    assert used == {
        "sklearn-original-relu": "sklearn-original-relu",
        "scratchnet-original-relu": "sklearn-original-relu",
        "scratchnet-improved-relu": "scratchnet-improved-relu",
    }
    assert "sklearn's, for both engines" in (tmp_path / "features.md").read_text()


def test_features_study_trains_its_own_autoencoder(tmp_path):
    (tmp_path / "ae.toml").write_text(
        'study = "fashion-autoencoder"\nengines = ["scratchnet"]\n'
        "[data]\ntrain_subset = 1500\ntest_subset = 500\nval_size = 300\n"
        '[model]\nactivations = ["identity"]\nepochs = 1\n'
    )
    (tmp_path / "features.toml").write_text(
        'study = "fashion-features"\nengines = ["scratchnet"]\n'
        '[model]\nactivations = ["identity"]\nepochs = 1\n'
        '[options]\nautoencoder = "ae.toml"\nlayers = ["bottleneck"]\n'
    )
    out = tmp_path / "out"
    results = run_sweep(tmp_path / "features.toml", out, progress=False)
    assert results[0]["metrics"]["autoencoder"] == "trained in this cell"
    files = {p.relative_to(out / "cells").as_posix() for p in (out / "cells").rglob("*.npz")}
    assert "scratchnet-original-identity/autoencoder/model.npz" in files
    assert [r["setting"] for r in read_csv(out / "features.csv")] == ["identity, bottleneck"]


def test_gridsearch_study(tmp_path):
    table = {
        "study": "fashion-gridsearch",
        "data": {**DATA, "train_subset": 900},
        "model": {"epochs": 2},
        "options": {"n_jobs": 1},
    }
    results = run_sweep(table, tmp_path, progress=False)
    assert [r["key"] for r in results] == ["sklearn-gridsearch", "scratchnet-gridsearch"]
    candidates = read_csv(tmp_path / "candidates.csv")
    assert len(candidates) == 8
    assert {(c["engine"], float(c["lr"]), int(c["batch_size"])) for c in candidates} == {
        (e, lr, b) for e in ("sklearn", "scratchnet") for lr in (1e-4, 1e-5) for b in (128, 256)
    }
    cv = json.loads((tmp_path / "cells" / "scratchnet-gridsearch" / "cv_results.json").read_text())
    assert all(len(c["fold acc %"]) == 3 for c in cv)
    assert sorted(c["rank"] for c in cv) == [1, 2, 3, 4]
    best = read_csv(tmp_path / "gridsearch.csv")
    assert [b["source"] for b in best] == ["original", "sklearn", "scratchnet"]
    assert float(best[0]["best cv acc %"]) == 88.12
    top = max(cv, key=lambda c: c["mean cv acc %"])
    assert float(best[2]["best cv acc %"]) == pytest.approx(top["mean cv acc %"])
    assert float(best[2]["best lr"]) == top["lr"]


def test_preprocessing_study_through_the_cli(tmp_path, capsys):
    config = tmp_path / "pre.toml"
    config.write_text(
        'study = "fashion-preprocessing"\n[data]\ntrain_subset = 1500\ntest_subset = 500\n'
        "val_size = 300\n[options]\nn_images = 10\n"
    )
    assert main(["sweep", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    out = tmp_path / "out"
    assert_png(out / "samples.png")
    rows = read_csv(out / "preprocessing.csv")
    assert [(r["part"], int(r["images"])) for r in rows] == [
        ("train", 1200), ("val", 300), ("test", 500)]  # fmt: skip
    # the scaler is fitted on the training part: exactly [0, 1] there, beyond 1 elsewhere
    assert (float(rows[0]["min"]), float(rows[0]["max"])) == (0.0, 1.0)
    assert all(float(r["min"]) >= 0.0 for r in rows)
    assert "T-shirt/top" in (out / "preprocessing.md").read_text()


def test_shipped_configs_parse_to_the_original_protocol():
    root = Path(__file__).resolve().parents[2] / "configs"
    from scratchnet.config import apply_quick, read_toml
    from scratchnet.studies.registry import get_study

    configs = {}
    for name in ("activations", "gridsearch", "autoencoder", "features", "preprocessing"):
        path = root / f"fashion_{name}.toml"
        table = apply_quick(read_toml(path), False, str(path))
        study = get_study(table.pop("study"))
        configs[name] = study.parse_config(table, str(root / f"fashion_{name}.toml"))
    act = configs["activations"]
    assert (act.hidden, act.recipe.lr, act.recipe.epochs, act.recipe.batch_size) == (
        (128, 64, 32), 2e-5, 100, 128)  # fmt: skip
    assert act.data.train_subset == 0 and act.data.val_size == 10_000
    assert act.engines == ("sklearn", "scratchnet")
    assert configs["autoencoder"].hidden == (64, 32, 16, 32, 64)
    assert configs["features"].layers == (("penultimate", -1), ("bottleneck", 3))
    assert configs["features"].study.recipe.epochs == 200
    assert configs["features"].autoencoder.data.train_subset == 0


def test_quick_features_use_the_autoencoders_quick_table():
    from scratchnet.config import apply_quick, read_toml
    from scratchnet.studies.registry import get_study

    path = Path(__file__).resolve().parents[2] / "configs" / "fashion_features.toml"
    table = apply_quick(read_toml(path), True, str(path))
    config = get_study(table.pop("study")).parse_config(table, str(path))
    assert config.autoencoder.data.train_subset == 3000
    assert config.autoencoder.recipe.epochs == 3 and config.study.recipe.epochs == 3


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"study": "fashion-activations", "model": {"lrr": 1}}, "unknown key model.lrr"),
        ({"study": "fashion-activations", "engines": ["torch"]}, "unknown engine 'torch'"),
        ({"study": "fashion-activations", "sklearn_dtype": "int8"}, "sklearn_dtype"),
        ({"study": "fashion-activations", "data": {"train_subset": -1}}, "train_subset"),
        ({"study": "fashion-gridsearch", "options": {"lr": []}}, "options.lr must be a non-empty"),
        ({"study": "fashion-features", "data": {}}, "data follow the autoencoder"),
    ],
)
def test_config_errors_name_the_key(tmp_path, table, message):
    with pytest.raises(ConfigError, match=message):
        run_sweep(table, tmp_path, progress=False)


def test_features_refuse_an_autoencoder_run_without_the_cell(autoencoder_run, tmp_path):
    ae_out, _ = autoencoder_run
    table = {
        "study": "fashion-features",
        "improved": {"activations": ["identity"]},  # the autoencoder sweep has no improved identity
        "options": {"autoencoder": str(ae_out)},
    }
    with pytest.raises(ConfigError, match="scratchnet-improved-identity"):
        run_sweep(table, tmp_path, progress=False)


def test_modules_keep_the_original_figures():
    assert fashion_activations.ORIGINAL["tanh"] == (89.91, 87.76)
    assert fashion_autoencoder.ORIGINAL_R2["relu"] == pytest.approx(0.6530, abs=1e-4)
    assert fashion_features.ORIGINAL["identity, penultimate"]["test acc %"] == 82.22
