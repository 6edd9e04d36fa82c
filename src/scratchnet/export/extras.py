"""Optional dependencies, imported on first use with a one-line error naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from scratchnet.errors import MissingExtraError

#: Extra -> the modules it installs (``pip install scratchnet[<extra>]``).
EXTRAS = {
    "onnx": ("onnx", "skl2onnx"),
    "skops": ("skops",),
    "safetensors": ("safetensors",),
}


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``; raise :class:`MissingExtraError` naming ``extra`` if it is missing.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"onnx.helper"``.
    extra : str
        The extra of scratchnet that installs it, a key of :data:`EXTRAS`.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{module} is not installed; it comes with the {extra!r} extra: "
            f"pip install 'scratchnet[{extra}]'"
        ) from None
