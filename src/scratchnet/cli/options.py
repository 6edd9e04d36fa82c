"""Command-line flags for every estimator parameter, derived from the constructor's signature.

Deriving them keeps the CLI in step with the estimators: a new parameter gets a flag for free.
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any


def random_state(text: str) -> int:
    """A random seed: an integer from 0 to 2**32 - 1, as NumPy's generators take."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to 4294967295, got {text[:40]!r}"
        )
    return value


#: Types of the parameters whose default is None (the signature cannot tell).
_NONE_DEFAULT_TYPES = {
    "layers": int,
    "N": int,
    "weight_decay": float,
    "validation_fraction": float,
    "random_state": random_state,
    "tol": float,
    "class_weight": str,
}


def batch_size(text: str) -> int | str:
    """A batch size: a positive integer, or ``auto`` (min(200, n_samples))."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or 'auto', got {text[:40]!r}"
        ) from None


def augment(text: str) -> str | dict[str, float]:
    """An augmentation: a preset name (``mnist``), or strengths ``shift=2,rotate=10``."""
    if "=" not in text:
        return text
    strengths = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        try:
            strengths[key.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a preset name or key=number pairs such as shift=2,rotate=10, "
                f"got {text[:60]!r}"
            ) from None
    return strengths


#: Flags whose values the default's type does not describe.
_TYPES = {"batch_size": batch_size, "activations": str, "augment": augment}
_LIST_PARAMS = {"layers", "activations", "dropout"}
#: List flags that take a single value as the setting of every layer.
_ONE_FOR_ALL = {"activations", "dropout"}


def add_estimator_flags(parser: argparse.ArgumentParser) -> None:
    """Add ``--<param>`` for every estimator parameter; unset flags stay ``None``."""
    from scratchnet.estimators import NeuralNetwork

    group = parser.add_argument_group("network (each overrides the config file's [model])")
    for name, param in inspect.signature(NeuralNetwork.__init__).parameters.items():
        if name == "self":
            continue
        flag = "--" + name.replace("_", "-")
        default = param.default
        helptext = f"default: {default!r}"
        if isinstance(default, bool):
            group.add_argument(
                flag,
                dest=f"model_{name}",
                action=argparse.BooleanOptionalAction,
                default=None,
                help=helptext,
            )
            continue
        kind: Any = _TYPES.get(name) or _NONE_DEFAULT_TYPES.get(name) or type(default)
        nargs = "+" if name in _LIST_PARAMS else None
        group.add_argument(
            flag,
            dest=f"model_{name}",
            type=kind,
            nargs=nargs,
            default=None,
            metavar=name.upper(),
            help=helptext,
        )


def estimator_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator parameters given on the command line."""
    overrides = {}
    for key, value in vars(args).items():
        if key.startswith("model_") and value is not None:
            name = key.removeprefix("model_")
            if name in _ONE_FOR_ALL and len(value) == 1:
                value = value[0]
            overrides[name] = value
    return overrides
