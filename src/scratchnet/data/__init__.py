"""The data layer: IDX files, verified MNIST / Fashion-MNIST loading, preprocessing, export.

>>> from scratchnet.data import load_mnist, scale_pixels, flatten_images
>>> ds = load_mnist()                                  # doctest: +SKIP
>>> X = scale_pixels(flatten_images(ds.X_train))       # (60000, 784) float32 in [0, 1]
"""

from __future__ import annotations

from scratchnet.data.augment import Augment
from scratchnet.data.cache import cache_root
from scratchnet.data.csvio import read_csv_dataset, write_csv_dataset
from scratchnet.data.datasets import Dataset, load_dataset, load_fashion_mnist, load_mnist
from scratchnet.data.digests import ArrayDigest, array_digest
from scratchnet.data.export import export_dataset
from scratchnet.data.figures import augmented_grid, sample_grid, save_figure
from scratchnet.data.idx import read_idx, read_idx_pair, write_idx
from scratchnet.data.packages import DebianPackageSource, WheelCsvSource
from scratchnet.data.preprocessing import (
    Split,
    first_n,
    flatten_images,
    minmax_scale,
    one_hot,
    scale_pixels,
    stratified_subset,
    train_val_split,
    train_val_test_split,
)
from scratchnet.data.sources import DirectorySource, MirrorSource
from scratchnet.data.specs import DATASETS, FASHION_MNIST, MNIST, DatasetSpec, get_spec

__all__ = [
    "DATASETS",
    "FASHION_MNIST",
    "MNIST",
    "ArrayDigest",
    "Augment",
    "Dataset",
    "DatasetSpec",
    "DebianPackageSource",
    "DirectorySource",
    "MirrorSource",
    "Split",
    "WheelCsvSource",
    "array_digest",
    "augmented_grid",
    "cache_root",
    "export_dataset",
    "first_n",
    "flatten_images",
    "get_spec",
    "load_dataset",
    "load_fashion_mnist",
    "load_mnist",
    "minmax_scale",
    "one_hot",
    "read_csv_dataset",
    "read_idx",
    "read_idx_pair",
    "sample_grid",
    "save_figure",
    "scale_pixels",
    "stratified_subset",
    "train_val_split",
    "train_val_test_split",
    "write_csv_dataset",
    "write_idx",
]
