"""``scratchnet export``: a saved model in an interchange format (ONNX, safetensors)."""

from __future__ import annotations

import argparse


def _suffixed(suffix: str):
    """An argparse type: a file name ending in ``suffix``."""

    def check(text: str) -> str:
        if not text.lower().endswith(suffix):
            raise argparse.ArgumentTypeError(f"{text!r} must end in {suffix}")
        return text

    check.__name__ = f"{suffix} file"
    return check


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="convert a saved model to ONNX or .safetensors",
        description="Load a model file (never unpickled) and write it as an ONNX model "
        "(input X (n, n_features); outputs label and probabilities for a classifier, variable "
        "for a regressor; needs the onnx extra: pip install 'scratchnet[onnx]') and/or as a "
        ".safetensors model file that scratchnet.load reads back.",
    )
    parser.add_argument(
        "model", help="a model file written by scratchnet (model.npz or model.safetensors)"
    )
    parser.add_argument(
        "--onnx",
        type=_suffixed(".onnx"),
        metavar="OUT.onnx",
        help="where to write the ONNX model (replaced atomically)",
    )
    parser.add_argument(
        "--safetensors",
        type=_suffixed(".safetensors"),
        metavar="OUT.safetensors",
        help="where to write the model as a .safetensors model file (replaced atomically)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scratchnet import persistence
    from scratchnet.errors import ConfigError

    if not (args.onnx or args.safetensors):
        raise ConfigError("give an output: --onnx OUT.onnx and/or --safetensors OUT.safetensors")
    model = persistence.load(args.model)
    if args.onnx:
        from scratchnet.export import to_onnx

        to_onnx(model, args.onnx)
    if args.safetensors:
        persistence.save(model, args.safetensors)
    for out in filter(None, (args.onnx, args.safetensors)):
        print(f"wrote {out} ({type(model).__name__}, {model.n_features_in_} features)")
    return 0
