"""``scratchnet data``: fetch, info, export and show through the real command entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from scratchnet.cli import main
from scratchnet.data.cache import DatasetCache


def test_info_on_an_empty_cache(cache_dir: Path, capsys) -> None:
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert f"cache: {cache_dir}" in out
    assert "mnist: not cached (run: scratchnet data fetch mnist)" in out
    assert "fashion-mnist: not cached" in out


def test_info_reports_a_damaged_cache(cache_dir: Path, capsys) -> None:
    folder = DatasetCache(cache_dir, "mnist").folder
    folder.mkdir(parents=True)
    for role in ("X_train", "y_train", "X_test", "y_test"):
        (folder / f"{role}.npy").write_bytes(b"junk")
    assert main(["data", "info"]) == 0
    assert "NOT verified" in capsys.readouterr().out


def test_offline_fetch_without_data_fails_with_a_one_line_hint(cache_dir: Path, capsys) -> None:
    assert main(["data", "fetch", "mnist", "--offline"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("scratchnet data: error: could not load MNIST. Tried: (1) cache")
    assert "--data-dir" in err and "\n" not in err


def test_fetch_passes_data_dir_to_the_loader(arrays, idx_folder, tmp_path, cache_dir, capsys):
    """A folder of IDX files with the wrong pixels is read, then refused by MNIST's pins."""
    folder = idx_folder(tmp_path / "idx", arrays)
    assert main(["data", "fetch", "mnist", "--offline", "--data-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"(1) folder {folder}: X_train does not match its pinned digest" in err
    assert list(cache_dir.rglob("*.npy")) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["data", "export", "mnist", "--out", "x", "--limit", "0"],
        ["data", "show", "cifar", "--out", "x.png"],
        ["data", "fetch", "svhn"],
        ["data"],
    ],
)
def test_usage_errors_exit_2(argv, cache_dir) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


@pytest.mark.network
def test_show_export_and_info_on_the_real_data(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("SCRATCHNET_DATA_DIR", raising=False)
    monkeypatch.delenv("SCRATCHNET_CACHE_DIR", raising=False)
    if main(["data", "fetch", "all"]) != 0:
        pytest.skip("no source of the real datasets is reachable here")
    png = tmp_path / "grid.png"
    argv = ["data", "show", "fashion-mnist", "--n", "6", "--seed", "1", "--out", str(png)]
    assert main(argv) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    out = tmp_path / "export"
    assert main(["data", "export", "mnist", "--out", str(out), "--limit", "3"]) == 0
    assert (out / "mnist_train.csv").read_text().count("\n") == 4
    assert (out / "train" / "5" / "train_00000.png").is_file()  # MNIST's first digit is a 5
    assert main(["data", "info"]) == 0
    text = capsys.readouterr().out
    assert "mnist: 52.4 MiB" in text and "verified" in text
