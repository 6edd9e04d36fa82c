"""``scratchnet explain``: the original study's Section A worked exactly, step by step, and marked.

Sub-commands ``backprop``, ``svm``, ``hyperplane`` (and ``original``, all three against the
original's own answers). Each defaults to the original study's exercise, prints readable tables
(``--json`` for machine-readable output), and with ``--check`` or ``--answers FILE`` marks given
answers.
"""

from __future__ import annotations

import argparse
from typing import Any

from scratchnet.cli.outputs import image_path

ORIGINAL_HELP = "the original study's exercise by default"


def register(subparsers: Any) -> None:
    """Add the ``explain`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "explain",
        help="work the original study's Section A exactly: backprop, SVM, hyperplane margins",
        description=__doc__.splitlines()[0],
    )
    sub = parser.add_subparsers(dest="exercise", metavar="EXERCISE", parser_class=type(parser))
    sub.required = True
    for add in (_add_backprop, _add_svm, _add_hyperplane, _add_original):
        add(sub)


def _add_backprop(sub: Any) -> None:
    bp = sub.add_parser("backprop", help="one gradient step of a small network, exactly")
    bp.add_argument("--x", nargs="+", metavar="X", help="inputs, one per sample")
    bp.add_argument("--y", nargs="+", metavar="Y", help="targets, one per sample")
    bp.add_argument("--w1", help="weight of layer 1 (original: 0.1)")
    bp.add_argument("--b1", help="bias of layer 1 (original: 0)")
    bp.add_argument("--w2", help="weight of layer 2 (original: 0.2)")
    bp.add_argument("--b2", help="bias of layer 2 (original: 0)")
    bp.add_argument(
        "--weights", nargs="+", metavar="W", help="one weight per layer (chain of units)"
    )
    bp.add_argument("--biases", nargs="+", metavar="B", help="one bias per layer")
    bp.add_argument("--activations", nargs="+", metavar="NAME", help="one activation per layer")
    bp.add_argument("--lr", help="learning rate (original: 0.01)")
    bp.add_argument("--config", metavar="FILE.toml", help="network, data and answers from a file")
    _common(bp)
    bp.set_defaults(func=_backprop)


def _add_svm(sub: Any) -> None:
    sv = sub.add_parser("svm", help="linear SVM from its dual: alphas, w, b, margin")
    sv.add_argument("--points", nargs="+", metavar="X,Y:LABEL", help='e.g. "0,0:+1" "1,1:-1"')
    sv.add_argument("--csv", metavar="FILE", help="points from a CSV, label in the last column")
    sv.add_argument("--C", dest="C", help="soft margin with this C (default: hard margin)")
    sv.add_argument("--plot", metavar="FILE.png", type=image_path, help="save a figure (2-D data)")
    _common(sv)
    sv.set_defaults(func=_svm)


def _add_hyperplane(sub: Any) -> None:
    hp = sub.add_parser("hyperplane", help="margins and support vectors of a given hyperplane")
    hp.add_argument("--w", nargs="+", metavar="W", help="normal vector (original: -2 0)")
    hp.add_argument("--b", help="offset (original: 5)")
    hp.add_argument("--points", nargs="+", metavar="X,Y:LABEL", help="labelled points")
    hp.add_argument("--new", nargs="*", metavar="X,Y", help="points to classify (original: 1,3)")
    hp.add_argument("--plot", metavar="FILE.png", type=image_path, help="save a figure (2-D data)")
    _common(hp)
    hp.set_defaults(func=_hyperplane)


def _add_original(sub: Any) -> None:
    sd = sub.add_parser(
        "original",
        aliases=["seed"],
        help="every answer of the original study in Section A against the exact one",
    )
    sd.add_argument("--json", action="store_true", help="machine-readable output")
    sd.set_defaults(func=_original)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="mark the original study's answers")
    parser.add_argument("--answers", metavar="FILE", help="mark the answers in a TOML/JSON file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _emit(args: argparse.Namespace, name: str, result: Any, text: str, marks: list | None) -> int:
    import json

    from scratchnet.theory import render

    if args.json:
        payload = {"exercise": name, "result": result.to_dict()}
        if marks is not None:
            payload["comparisons"] = [c.to_dict() for c in marks]
        print(json.dumps(payload, indent=2, allow_nan=False))
        return 0
    print(text)
    if marks is not None:
        print()
        print(render.comparisons_text("Marking", marks))
    return 0


def _answers(
    args: argparse.Namespace, original_answers: dict, is_original: bool, extra: dict | None = None
):
    from scratchnet.errors import ConfigError
    from scratchnet.theory import config

    if args.answers:
        return config.read_answers(args.answers)
    if extra:
        return extra
    if args.check:
        if not is_original:
            raise ConfigError(
                "--check: the original's answers fit only the original's exercise; "
                "give --answers FILE"
            )
        return original_answers
    return None


def _backprop(args: argparse.Namespace) -> int:
    from scratchnet.theory import backprop, marking, original, render

    settings, file_answers = _backprop_settings(args)
    network = backprop.Network.from_lists(
        settings["weights"],
        settings["biases"],
        settings["activations"],
        input_size=_width(settings["x"]),
    )
    trace = backprop.trace(network, settings["x"], settings["y"], settings["learning_rate"])
    is_original = settings == original.BACKPROP
    answers = _answers(
        args, original.BACKPROP_ANSWERS, is_original, file_answers if args.check else None
    )
    marks = marking.mark_backprop(trace, answers) if answers is not None else None
    return _emit(args, "backprop", trace, render.backprop_text(trace), marks)


def _backprop_settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict | None]:
    """The exercise to trace (``original.BACKPROP``'s keys) and the answers of ``--config``, if
    any: the original's exercise, then ``--config``, the per-layer lists, the single weights
    and biases, and the data and learning rate, each over the one before."""
    from scratchnet.theory import config, original

    settings = dict(original.BACKPROP)
    file_answers = None
    if args.config:
        loaded = config.backprop_settings(args.config)
        settings.update(loaded)
        file_answers = config.read_mapping(args.config).get("answers")
    if args.weights or args.biases or args.activations:
        _set_layers(settings, args)
    _set_single_parameters(settings, args)
    for option, key in (("x", "x"), ("y", "y"), ("lr", "learning_rate")):
        if getattr(args, option) is not None:
            settings[key] = getattr(args, option)
    _check_activations(settings["activations"])
    return settings, file_answers


def _set_layers(settings: dict[str, Any], args: argparse.Namespace) -> None:
    """``--weights``, ``--biases``, ``--activations`` (a chain of n single units, n values
    each): those not given are the weights so far (cut to n, then 1), zero biases, and relu
    activations with identity last."""
    from scratchnet.errors import ConfigError

    n = len(args.weights or args.biases or args.activations)
    for option, values in (
        ("--weights", args.weights),
        ("--biases", args.biases),
        ("--activations", args.activations),
    ):
        if values is not None and len(values) != n:
            raise ConfigError(f"{option}: expected {n} values (one per layer), got {len(values)}")
    settings["weights"] = args.weights or settings["weights"][:n] + ["1"] * (
        n - len(settings["weights"])
    )
    settings["biases"] = args.biases or ["0"] * n
    settings["activations"] = args.activations or ["relu"] * (n - 1) + ["identity"]


def _set_single_parameters(settings: dict[str, Any], args: argparse.Namespace) -> None:
    """``--w1``, ``--w2``, ``--b1``, ``--b2``: one weight or bias of layer 1 or 2, set in a
    copy of its list."""
    from scratchnet.errors import ConfigError

    for option, key, index in (
        ("w1", "weights", 0),
        ("w2", "weights", 1),
        ("b1", "biases", 0),
        ("b2", "biases", 1),
    ):
        value = getattr(args, option)
        if value is not None:
            if index >= len(settings[key]):
                raise ConfigError(f"--{option}: the network has only {len(settings[key])} layer(s)")
            settings[key] = list(settings[key])
            settings[key][index] = value


def _check_activations(names: list[str]) -> None:
    """ConfigError naming the layer of the first unknown activation."""
    from scratchnet.theory import activations

    for i, name in enumerate(names, 1):
        activations.get(name, option=f"--activations (layer {i})")


def _width(x: Any) -> int | None:
    if isinstance(x, list) and x and isinstance(x[0], list):
        return len(x[0])
    return 1


def parse_points(values: list[str], option: str) -> tuple[list[list[str]], list[str]]:
    """``"0,0:+1"`` -> coordinates and label; ConfigError naming ``option`` if malformed."""
    from scratchnet.errors import ConfigError

    points, labels = [], []
    for text in values:
        coords, sep, label = text.partition(":")
        if not sep or not label.strip():
            raise ConfigError(f'{option}: {text!r} is not of the form X,Y:LABEL (e.g. "0,0:+1")')
        points.append([c for c in coords.replace(" ", ",").split(",") if c])
        labels.append(label.strip())
    return points, labels


def _svm(args: argparse.Namespace) -> int:
    from scratchnet.errors import ConfigError
    from scratchnet.theory import config, marking, original, render, svm

    if args.points and args.csv:
        raise ConfigError("--points/--csv: give one of them, not both")
    if args.csv:
        points, labels = config.read_points_csv(args.csv)
    elif args.points:
        points, labels = parse_points(args.points, "--points")
    else:
        points, labels = original.SVM_POINTS, original.SVM_LABELS
    if args.C is not None:
        result = svm.fit_soft_margin(points, labels, args.C)
    else:
        result = svm.fit_hard_margin(points, labels)
    is_original = not (args.points or args.csv) and args.C is None
    original_answers = {k: original.SVM_ANSWERS[k] for k in ("w", "b", "support_vectors")}
    answers = _answers(args, original_answers, is_original)
    marks = marking.mark_svm(result, answers) if answers is not None else None
    if marks is not None and args.check and is_original and not args.answers:
        marks = original.compare_svm()
    if args.plot:
        _save_plot(
            args.plot,
            result.points,
            result.labels,
            result.w,
            result.b,
            result.support,
            "linear SVM",
        )
    return _emit(args, "svm", result, render.svm_text(result), marks)


def _hyperplane(args: argparse.Namespace) -> int:
    from scratchnet.theory import hyperplane, marking, original, render

    h = original.HYPERPLANE
    if args.points:
        points, labels = parse_points(args.points, "--points")
    else:
        points, labels = h["points"], h["labels"]
    w = args.w if args.w is not None else h["w"]
    b = args.b if args.b is not None else h["b"]
    if args.new is not None:
        new = [[c for c in p.replace(" ", ",").split(",") if c] for p in args.new]
    else:
        new = h["new_points"]
    analysis = hyperplane.analyze(w, b, points, labels, new)
    is_original = args.w is None and args.b is None and not args.points and args.new is None
    answers = _answers(args, original.HYPERPLANE_ANSWERS, is_original)
    marks = marking.mark_hyperplane(analysis, answers) if answers is not None else None
    if marks is not None and args.check and is_original and not args.answers:
        marks = original.compare_hyperplane()
    if args.plot:
        _save_plot(
            args.plot,
            analysis.points,
            analysis.labels,
            analysis.w,
            analysis.b,
            analysis.support_vectors,
            "hyperplane",
        )
    return _emit(args, "hyperplane", analysis, render.hyperplane_text(analysis), marks)


def _original(args: argparse.Namespace) -> int:
    import json

    from scratchnet.theory import original, render

    everything = original.compare_with_original()
    if args.json:
        print(json.dumps({k: [c.to_dict() for c in v] for k, v in everything.items()}, indent=2))
        return 0
    blocks = [
        render.comparisons_text(f"Original, {name}", marks) for name, marks in everything.items()
    ]
    print("\n\n".join(blocks))
    return 0


def _save_plot(
    path: str, points: Any, labels: Any, w: Any, b: Any, highlight: Any, title: str
) -> None:
    from scratchnet.fileio import atomic_path, image_format
    from scratchnet.theory.plot import plot_separator

    fig = plot_separator(points, labels, w, b, highlight=highlight, title=title)
    fmt = image_format(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=120, bbox_inches="tight")
