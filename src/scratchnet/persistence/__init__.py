"""Safe model files: an ``.npz`` of numeric arrays plus a JSON header, never pickle.

A model file holds ``coef_<i>`` and ``intercept_<i>`` for every layer, ``classes`` for a
classifier, ``probe`` (the model's predictions on a fixed input, see
:mod:`~scratchnet.persistence.probe`) and ``header``: UTF-8 JSON (stored as a uint8 array)
with the format name and version, the estimator class, layer sizes, dtype, activations,
hyper-parameters and the training history. It stores scratchnet's ``NeuralNetwork`` and
``NeuralNetworkRegressor``, and ``MLPClassifier`` and ``MLPRegressor`` both from
``scratchnet.sklearn`` and from scikit-learn itself.

:func:`load` is strict, in this order, and reads no array data before the last step but one:

1. the zip structure (:mod:`~scratchnet.persistence.archive`): an end record without comment,
   a bounded member count, members named ``<name>.npy``, stored or deflated, not encrypted,
   each starting with an NPY header exactly as NumPy writes one, of a number or text dtype;
2. the header JSON (:mod:`~scratchnet.persistence.jsonio`): bounded size, depth and numbers,
   no ``NaN``/``Infinity``, no repeated key; then one declarative schema per estimator family
   and its cross-field rules; the hyper-parameters through the estimator's own validation;
3. every member's dtype and shape (from its NPY header) and its zip size against what the
   header implies, and their total against ``max_bytes``;
4. the data, streamed into buffers of the declared size, checked finite;
5. the probe: the loaded model must predict finite values equal to those recorded at save.

Any failure is one :class:`~scratchnet.errors.ModelFileError` naming the file. Nothing is
unpickled, so a file from a stranger can at worst fail to load: it cannot run code.

The same model, header and checks also go into a ``.safetensors`` file (chosen by the suffix;
see :mod:`~scratchnet.persistence.safetensors_file`): weights as tensors ``coefs.<i>`` and
``intercepts.<i>``, the header as its string metadata, readable by
``safetensors.numpy.load_file``. Its container is parsed here, strictly, not by that library.

Pickling an estimator still works (scikit-learn needs it for joblib and clone), but a pickle
runs code when loaded: trust only pickles you made. Share models as these files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.errors import ModelFileError
from scratchnet.persistence import archive as npz
from scratchnet.persistence import jsonio, probe, scratchnet_models, sklearn_models
from scratchnet.persistence import safetensors_file as st
from scratchnet.persistence.common import (
    DEFAULT_MAX_BYTES,
    FORMAT,
    LEGACY_SKLEARN_FORMAT,
    MAX_HEADER_BYTES,
    READABLE_VERSIONS,
    SUFFIX,
    VERSION,
    Invalid,
)
from scratchnet.persistence.schema import check_rules

__all__ = ["DEFAULT_MAX_BYTES", "ESTIMATORS", "FORMAT", "SUFFIX", "VERSION", "load", "save"]

#: Estimator class name -> the module that writes, checks and rebuilds it.
FAMILIES = {
    **dict.fromkeys(scratchnet_models.ESTIMATORS, scratchnet_models),
    **dict.fromkeys(sklearn_models.ESTIMATORS, sklearn_models),
}
ESTIMATORS = tuple(FAMILIES)


def save(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted estimator to ``path`` atomically; return the path.

    Parameters
    ----------
    model : fitted estimator
        ``NeuralNetwork``, ``NeuralNetworkRegressor``, ``scratchnet.sklearn``'s or
        ``sklearn.neural_network``'s ``MLPClassifier`` or ``MLPRegressor``.
    path : path-like
        Ending in ``.safetensors`` for that format; anything else is written as ``.npz``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    ModelFileError
        If ``model`` is of another class, has non-finite weights or predictions, or a
        header that :func:`load` would refuse; nothing is written.
    """
    from sklearn.utils.validation import check_is_fitted

    family = next((f for f in FAMILIES.values() if f.name_of(model)), None)
    if family is None:
        raise ModelFileError(
            f"refusing to save {path}: model files hold {', '.join(ESTIMATORS)}, "
            f"not {type(model).__module__}.{type(model).__name__}"
        )
    check_is_fitted(model)
    try:
        header = {"format": FORMAT, "version": VERSION, **family.header(model)}
        encoded = jsonio.dumps(header)
        arrays = {"header": np.frombuffer(encoded, np.uint8)}
        arrays.update(family.arrays(model))
        arrays["probe"] = probe.outputs(model)
        _check_before_writing(jsonio.loads(encoded), arrays)
    except (Invalid, ValueError) as exc:
        raise ModelFileError(f"refusing to save {path}: {exc}") from None
    if _is_safetensors(path):
        st.write(path, encoded, {k: v for k, v in arrays.items() if k != "header"})
    else:
        npz.write(path, arrays)
    return Path(path)


def _is_safetensors(path: str | os.PathLike[str]) -> bool:
    """True for a path ending in ``.safetensors``: that format, else ``.npz``."""
    return Path(path).suffix.lower() == st.SUFFIX


def _check_before_writing(header: dict, arrays: dict[str, np.ndarray]) -> None:
    """What :func:`load` checks of a header and arrays, on the way out."""
    _check_header(header)
    if arrays["header"].size > MAX_HEADER_BYTES:
        raise Invalid(f"the header would be {arrays['header'].size} bytes (at most "
                      f"{MAX_HEADER_BYTES}): the training history is too long")  # fmt: skip
    for name, array in arrays.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            what = "predictions" if name == "probe" else "weights"
            raise Invalid(f"the model has non-finite {what} ({name!r})")


def load(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Read a model file written by :func:`save`; return the fitted estimator.

    Parameters
    ----------
    path : path-like
        A ``.safetensors`` file by its suffix, else an ``.npz`` file.
    max_bytes : int
        Largest total of array data to read (the header's layer sizes imply the total, which
        is checked before any data is read). Peak memory is about twice this, plus a few
        times the JSON header's size.

    Raises
    ------
    ModelFileError
        If the file is not a scratchnet model file, is damaged, truncated, of an unknown
        version, inconsistent, over ``max_bytes``, or does not predict what was saved. The
        message, one line, names the file.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if not path.is_file():
        raise ModelFileError(
            f"{path}: not a regular file; expected a model file (.npz or .safetensors)"
        )
    try:
        return _load(path, max_bytes)
    except Invalid as exc:
        raise ModelFileError(f"{path}: {' '.join(str(exc).split())}") from None


def _load(path: Path, max_bytes: int) -> Any:
    safetensors = _is_safetensors(path)
    with (st.Archive if safetensors else npz.Archive).open(path) as archive:
        header = _read_header(archive)
        family = FAMILIES[header["estimator"]]
        plan = family.plan(header)
        if not safetensors:  # its header is an array; a .safetensors file's is metadata
            plan["header"] = _header_expect(archive)
        if header["version"] >= 2:
            plan["probe"] = npz.Expect((probe.ROWS, family.probe_width(header)), "float64")
        archive.check_plan(plan, max_bytes)
        model = family.build(header, archive)
        recorded = archive.read("probe") if "probe" in plan else None
    probe.verify(model, recorded, header["dtype"])
    return model


def _header_expect(archive: npz.Archive) -> npz.Expect:
    """The ``header`` member as it must be: 1-D uint8 of at most ``MAX_HEADER_BYTES``."""
    member = archive.members.get("header")
    if member is None:
        raise Invalid("no 'header' array; not a scratchnet model file")
    if len(member.shape) != 1 or member.nbytes > MAX_HEADER_BYTES:
        raise Invalid(
            f"the 'header' array has shape {member.shape}; expected 1-D, at most "
            f"{MAX_HEADER_BYTES} bytes"
        )
    return npz.Expect(member.shape, "uint8")


def _read_header(archive: npz.Archive | st.Archive) -> dict:
    """The header, parsed strictly and checked against its family's schema and rules."""
    if isinstance(archive, st.Archive):
        raw = archive.header_text
        if len(raw) > MAX_HEADER_BYTES:
            raise Invalid(f"the header is {len(raw)} bytes (at most {MAX_HEADER_BYTES})")
    else:
        archive.check_plan({"header": _header_expect(archive)}, MAX_HEADER_BYTES, partial=True)
        raw = archive.read("header").tobytes()
    header = jsonio.loads(raw)
    if isinstance(header, dict) and header.get("format") == LEGACY_SKLEARN_FORMAT:
        header = sklearn_models.upgrade_legacy(header, archive)
    _check_header(header)
    return header


def _check_header(header: Any) -> None:
    if not isinstance(header, dict):
        raise Invalid(f"the header is JSON {type(header).__name__}, not an object")
    if header.get("format") != FORMAT:
        raise Invalid(f"the header does not name the format {FORMAT!r}")
    version = header.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise Invalid(
            f"model format version {str(version)[:20]} is not supported (this scratchnet "
            f"reads versions {', '.join(map(str, READABLE_VERSIONS))})"
        )
    estimator = header.get("estimator")
    family = FAMILIES.get(estimator) if isinstance(estimator, str) else None
    if family is None:
        raise Invalid(
            f"unknown estimator {str(header.get('estimator'))[:40]!r}; expected one of "
            f"{', '.join(ESTIMATORS)}"
        )
    family.SCHEMA.check(header, "header")
    check_rules(header, family.RULES, "header")
