"""``scratchnet export``: a saved model in an interchange format (ONNX)."""

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
        help="convert a saved model to ONNX",
        description="Load a model file (never unpickled) and write it as an ONNX model: "
        "input X (n, n_features); outputs label and probabilities (classifier) or variable "
        "(regressor). Needs the onnx extra: pip install 'scratchnet[onnx]'.",
    )
    parser.add_argument("model", help="a model file written by scratchnet (model.npz)")
    parser.add_argument(
        "--onnx", required=True, type=_suffixed(".onnx"), metavar="OUT.onnx",
        help="where to write the ONNX model (replaced atomically)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scratchnet import persistence
    from scratchnet.export import to_onnx

    model = persistence.load(args.model)
    to_onnx(model, args.onnx)
    print(f"wrote {args.onnx} ({type(model).__name__}, {model.n_features_in_} features)")
    return 0
