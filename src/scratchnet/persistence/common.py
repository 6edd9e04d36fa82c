"""What the model-file modules share: the format's name and version, its limits, one fault type.

Each reading step raises :class:`Invalid` with what is wrong, without the file's name; only
:func:`scratchnet.persistence.load` turns it into a :class:`~scratchnet.errors.ModelFileError`
naming the file, so that every message has the same shape.
"""

from __future__ import annotations

FORMAT = "scratchnet-model"
#: Version 2 adds the ``probe`` array: the model's predictions on a fixed input.
VERSION = 2
READABLE_VERSIONS = (1, 2)
#: The scikit-learn cells' format before it joined this one (no version field).
LEGACY_SKLEARN_FORMAT = "scratchnet-sklearn-mlp"
SUFFIX = ".npz"

MiB = 1 << 20
#: Largest total of array data ``load`` reads unless the caller raises it.
DEFAULT_MAX_BYTES = 256 * MiB
#: Largest JSON header (a long training history is some kilobytes per thousand epochs).
MAX_HEADER_BYTES = 4 * MiB
#: Limits on the structure a header may declare.
MAX_LAYERS = 64
MAX_UNITS = 1 << 24
MAX_EPOCHS = 10**7


class Invalid(ValueError):
    """A fault in a model file; the message says what, :func:`load` adds which file."""
