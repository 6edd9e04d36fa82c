"""From a dataset name and a split recipe to the arrays a study trains and tests on.

Two recipes, as in the original study:

* ``ratio``: train/validation/test by ratio of the official training images (Section B's
  80:10:10, stratified); the official test set is kept too, as ``official_test``.
* ``holdout``: a validation set of ``val_size`` images from the training images, and the
  official test set as the test set (Section C).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.schema import Spec, array, integer, number, seed, text

DATASETS = ("mnist", "fashion-mnist", "digits")


SCALINGS = ("divide255", "minmax", "standardize")


@dataclass(frozen=True)
class DataConfig:
    """How a study gets its data (the ``[data]`` table of a config file)."""

    dataset: str = "mnist"
    split: str = "ratio"
    ratios: tuple = (0.8, 0.1, 0.1)
    val_size: int = 10_000
    train_subset: int = 0  # 0 = all; else the first N training images (the original's filter)
    test_subset: int = 0  # 0 = all; else the first N test images
    scaling: str = "divide255"  # or "minmax" (scikit-learn's MinMaxScaler, fitted on train),
    # or "standardize" (minmax, then every pixel to mean 0, std 1 (floored at 0.05) on train)
    seed: int = 0
    data_dir: str | None = None

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ConfigError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.split not in ("ratio", "holdout"):
            raise ConfigError(f"split must be 'ratio' or 'holdout', got {self.split!r}")
        if self.scaling not in SCALINGS:
            raise ConfigError(
                f"scaling must be one of {', '.join(map(repr, SCALINGS))}, got {self.scaling!r}"
            )
        for name in ("train_subset", "test_subset", "val_size"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")


#: The schema of a config's ``[data]`` table (:class:`DataConfig`).
DATA: dict[str, Spec] = {
    "dataset": text(*DATASETS),
    "split": text("ratio", "holdout"),
    "ratios": array(number(0, 1), 3, 3),
    "val_size": integer(0),
    "train_subset": integer(0),
    "test_subset": integer(0),
    "scaling": text(*SCALINGS),
    "seed": seed(),
    "data_dir": text(),
}


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Flattened, scaled float32 arrays (n, 784) and integer labels (n,) of every part."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    official_test: tuple[np.ndarray, np.ndarray] | None = None
    source: str = ""
    sizes: dict = field(default_factory=dict)


def prepare(config: DataConfig) -> PreparedData:
    """Load, subset, split and scale the data as ``config`` says."""
    from scratchnet.data import flatten_images, train_val_split, train_val_test_split

    X_all, y_all, X_official, y_official, class_names, source = _load(config)
    if config.train_subset:
        X_all, y_all = _first(X_all, y_all, config.train_subset, "train_subset")
    if config.test_subset:
        X_official, y_official = _first(X_official, y_official, config.test_subset, "test_subset")
    X_all, X_official = flatten_images(X_all), flatten_images(X_official)
    if config.split == "ratio":
        parts = train_val_test_split(X_all, y_all, tuple(config.ratios), random_state=config.seed)
        raw = [parts.X_train, parts.X_val, parts.X_test, X_official]
        y_parts = [parts.y_train, parts.y_val, parts.y_test, y_official]
        del parts
    else:
        X_train, X_val, y_train, y_val = train_val_split(
            X_all, y_all, config.val_size, random_state=config.seed
        )
        raw, y_parts = [X_train, X_val, X_official], [y_train, y_val, y_official]
        del X_train, X_val
    del X_all, X_official  # only the split copies are needed now: free the full set's memory
    scaled = _scale(config.scaling, raw)
    labels = [np.asarray(y, dtype=np.intp) for y in y_parts]
    official = (scaled[3], labels[3]) if len(scaled) == 4 else None
    return PreparedData(
        scaled[0],
        labels[0],
        scaled[1],
        labels[1],
        scaled[2],
        labels[2],
        tuple(class_names),
        official,
        source,
        {
            "train": len(labels[0]),
            "val": len(labels[1]),
            "test": len(labels[2]),
            **({"official_test": len(official[1])} if official else {}),
        },
    )


def check_batch_size(batch_size: object, n_train: int, where: str) -> None:
    """Refuse a batch larger than the training set: a config error, not a silent clip."""
    if isinstance(batch_size, int) and batch_size > n_train:
        raise ConfigError(
            f"{where}: batch_size={batch_size} is larger than the {n_train} training samples"
        )


def official_test_set(config: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    """The official test images (n, 784), scaled to [0, 1], and their labels (n,)."""
    from scratchnet.data import flatten_images, scale_pixels

    _, _, X_test, y_test, _, _ = _load(config)
    if config.test_subset:
        X_test, y_test = _first(X_test, y_test, config.test_subset, "test_subset")
    return scale_pixels(flatten_images(X_test)), np.asarray(y_test, dtype=np.intp)


def _load(config: DataConfig):
    """Raw (uint8 or small-int) images and labels: train, official test, names, source."""
    if config.dataset == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        images = (digits.images * (255.0 / 16.0)).round().astype(np.uint8)
        X_tr, X_te, y_tr, y_te = train_test_split(
            images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
        )
        names = tuple(str(i) for i in range(10))
        return X_tr, y_tr, X_te, y_te, names, "scikit-learn bundled digits (8x8)"
    from scratchnet.data import load_dataset

    ds = load_dataset(config.dataset, data_dir=config.data_dir)
    return ds.X_train, ds.y_train, ds.X_test, ds.y_test, ds.class_names, ds.source


def _first(X: np.ndarray, y: np.ndarray, n: int, name: str):
    if n > len(y):
        raise ConfigError(f"{name}={n} but the data has only {len(y)} samples")
    return X[:n], y[:n]


def _standardized(transform, X_fit: np.ndarray):
    """``transform`` followed by per-pixel standardization fitted on ``transform(X_fit)``."""
    from scratchnet.data.scaling import PixelScaler

    scaler = PixelScaler.fit(transform(X_fit))
    return lambda X: scaler.transform(transform(X))


def _scale(scaling: str, raw: list[np.ndarray]) -> list[np.ndarray]:
    """Scale every part (the first is the one a min-max scaler is fitted on) to float32.

    Each raw part is released from ``raw`` as soon as its scaled copy exists, so that the
    peak memory holds one part twice, not the whole data set.
    """
    from scratchnet.data.preprocessing import minmax_apply, minmax_fit, scale_pixels

    if scaling in ("minmax", "standardize"):
        low, span = minmax_fit(raw[0])
        transform = partial(minmax_apply, low=low, span=span)
        if scaling == "standardize":
            transform = _standardized(transform, raw[0])
    else:
        transform = scale_pixels
    scaled = []
    for i in range(len(raw)):
        scaled.append(transform(raw[i]))
        raw[i] = None
    return scaled
