"""Exceptions a user can cause, each a ValueError or OSError subclass with a clear message.

Every message names the file, option or value at fault and says what was expected. The CLI turns
any :class:`ScratchnetError` into a one-line message and exit status 2.
"""

from __future__ import annotations


class ScratchnetError(Exception):
    """Base class for every error scratchnet raises on purpose."""


class ConfigError(ScratchnetError, ValueError):
    """A bad option, hyper-parameter or config file value."""


class DataError(ScratchnetError, ValueError):
    """Malformed or unverifiable data (CSV, arrays, digests)."""


class IDXFormatError(DataError):
    """An IDX file that does not follow the format exactly."""


class DataSourceError(ScratchnetError, OSError):
    """No source could provide a dataset; the message lists what was tried."""


class ModelFileError(ScratchnetError, ValueError):
    """A model file that is damaged, unsafe or of an unknown version."""


class DivergenceError(ScratchnetError, ValueError, FloatingPointError):
    """Training produced a non-finite loss or non-finite weights.

    A ``ValueError`` like every other user error (scikit-learn raises one for the same fault),
    and a ``FloatingPointError`` for what it is.
    """


class MissingExtraError(ScratchnetError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ExportError(ScratchnetError, ValueError):
    """A model that cannot be written in an interchange format (ONNX, safetensors, skops)."""
