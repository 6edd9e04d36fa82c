"""Export as the original's author did (CSV + PNG by label + manifest) and the sample figure."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scratchnet.data import Dataset, export_dataset, read_csv_dataset, sample_grid, save_figure
from scratchnet.errors import ConfigError, DataError


@pytest.fixture
def dataset(arrays) -> Dataset:
    return Dataset("tiny", **arrays, class_names=("a", "b", "c"), source="test")


def test_export_writes_csv_pngs_and_manifests(dataset: Dataset, tmp_path: Path) -> None:
    written = export_dataset(dataset, tmp_path / "out")
    out = tmp_path / "out"
    assert len(written["csv"]) == 2 and len(written["images"]) == 42
    X, y = read_csv_dataset(out / "tiny_train.csv", n_features=20)
    np.testing.assert_array_equal(X, dataset.X_train.reshape(30, 20))
    np.testing.assert_array_equal(y, dataset.y_train)
    with open(out / "test_manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["filename", "label", "image_path"]
    assert len(rows) == 12
    for index, row in enumerate(rows):
        label = int(dataset.y_test[index])
        assert row["label"] == str(label)
        assert row["image_path"] == f"test/{label}/{row['filename']}"
        pixels = np.asarray(Image.open(out / row["image_path"]))
        np.testing.assert_array_equal(pixels, dataset.X_test[index])
    assert not [p for p in out.rglob("*") if "tmp" in p.name]


def test_export_limit_and_csv_only(dataset: Dataset, tmp_path: Path) -> None:
    written = export_dataset(dataset, tmp_path, limit=5, images=False)
    assert written["images"] == [] and written["manifests"] == []
    X, _ = read_csv_dataset(tmp_path / "tiny_test.csv")
    assert len(X) == 5
    with pytest.raises(ConfigError, match="at least 1"):
        export_dataset(dataset, tmp_path, limit=0)


def test_sample_grid_shows_n_labelled_images(dataset: Dataset, tmp_path: Path) -> None:
    fig = sample_grid(dataset.X_test, dataset.y_test, n=7, class_names=dataset.class_names)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 7
    titles = [ax.get_title() for ax in shown]
    assert all(t.split(": ")[1] == "abc"[int(t.split(":")[0])] for t in titles)
    again = sample_grid(dataset.X_test, dataset.y_test, n=7, class_names=dataset.class_names)
    assert titles == [ax.get_title() for ax in again.axes if ax.images]
    path = save_figure(fig, tmp_path / "grid.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_grid_accepts_flat_rows_and_fixed_indices(tmp_path: Path) -> None:
    X = np.arange(3 * 16, dtype=np.float32).reshape(3, 16) / 48
    fig = sample_grid(X, np.array([0, 1, 2]), indices=[2, 0])
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["2", "0"]
    assert shown[0].images[0].get_array().shape == (4, 4)
    with pytest.raises(ConfigError, match="between 1 and 3"):
        sample_grid(X, np.zeros(3), n=4)
    with pytest.raises(ConfigError, match="square"):
        sample_grid(np.zeros((3, 15)), np.zeros(3))


def test_a_failed_export_leaves_nothing_behind_and_can_be_rerun(
    dataset: Dataset, tmp_path: Path, monkeypatch
) -> None:
    from PIL import Image

    real_save, saved = Image.Image.save, []

    def failing_save(self, *args, **kwargs):
        saved.append(1)
        if len(saved) == 3:
            raise OSError(28, "No space left on device")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="No space"):
        export_dataset(dataset, tmp_path / "out", limit=10)
    assert list((tmp_path / "out").iterdir()) == []  # what it wrote is gone, nothing half-done
    monkeypatch.undo()
    export_dataset(dataset, tmp_path / "out", limit=10)
    assert len(list((tmp_path / "out" / "train").rglob("*.png"))) == 10
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "existing", ["train/mine.txt", "test/0/keep.png", "tiny_test.csv", "train_manifest.csv"]
)
def test_export_never_writes_over_existing_files(
    dataset: Dataset, tmp_path: Path, existing: str
) -> None:
    """Issue 18: an export deleted DIR/train/ and DIR/test/ with whatever they held."""
    mine = tmp_path / existing
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text("the user's own file")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(DataError, match="already exists"):
        export_dataset(dataset, tmp_path, limit=3)
    assert mine.read_text() == "the user's own file"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_export_into_a_folder_with_other_files_and_empty_folders(
    dataset: Dataset, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("kept")
    (tmp_path / "train").mkdir()
    export_dataset(dataset, tmp_path, limit=3)
    assert (tmp_path / "notes.txt").read_text() == "kept"
    assert len(list((tmp_path / "train").rglob("*.png"))) == 3


def test_exported_folders_and_files_follow_the_umask(dataset: Dataset, tmp_path: Path) -> None:
    """Issue 18: the image folders were recreated with mode 0700 whatever the umask."""
    from scratchnet import fileio

    export_dataset(dataset, tmp_path / "out", limit=3)
    folder_mode, file_mode = 0o777 & ~fileio._UMASK, 0o666 & ~fileio._UMASK
    for split in ("train", "test"):
        assert (tmp_path / "out" / split).stat().st_mode & 0o777 == folder_mode
        for path in (tmp_path / "out" / split).rglob("*"):
            assert path.stat().st_mode & 0o777 == (folder_mode if path.is_dir() else file_mode)
    assert (tmp_path / "out" / "tiny_train.csv").stat().st_mode & 0o777 == file_mode
