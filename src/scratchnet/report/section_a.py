"""Section A of the report: the hand-worked exercises, the seed's answers beside exact ones.

Reads the files :mod:`scratchnet.experiments.worked_examples` wrote; computes nothing new.
"""

from __future__ import annotations

import json
from pathlib import Path

from scratchnet.report.document import Cell, Figure, Note, Paragraph, Section, Table

VERDICT_STATUS = {"wrong": "bad", "correct": "good"}


def build(folder: Path) -> Section:
    """The section, or a note that Section A was not run into ``folder``."""
    section = Section("Section A: worked examples", anchor="section-a")
    if not (folder / "comparisons.json").is_file():
        section.blocks.append(
            Note(f"Section A was not run (no {folder}/comparisons.json).", "missing")
        )
        return section
    comparisons = json.loads((folder / "comparisons.json").read_text())
    section.blocks.append(
        Paragraph(
            "Every quantity is computed in exact rational arithmetic where the activations allow "
            "it (ReLU, identity), then compared with the value the seed wrote; a written value "
            "counts as right when it equals the exact one rounded to the places shown."
        )
    )
    wrong = {
        name: sum(c["verdict"] == "wrong" for c in items) for name, items in comparisons.items()
    }
    section.blocks.append(
        Note(
            f"The seed's answers that differ from the exact ones: {wrong['backprop']} in the "
            f"backpropagation exercise, {wrong['svm']} in the SVM exercise and "
            f"{wrong['hyperplane']} in the hyperplane exercise.",
            "differs" if any(wrong.values()) else "info",
        )
    )
    section.subsections = [
        _backprop(folder, comparisons["backprop"]),
        _svm(folder, comparisons["svm"]),
        _hyperplane(folder, comparisons["hyperplane"]),
    ]
    return section


def _backprop(folder: Path, comparisons: list[dict]) -> Section:
    trace = json.loads((folder / "backprop.json").read_text())
    forward = Table(
        ["i", "x", "z1", "a1", "ŷ = z2", "y", "(y − ŷ)²"],
        [
            [
                str(s["index"]),
                _n(s["x"][0]),
                _n(s["z"][0][0]),
                _n(s["a"][0][0]),
                _n(s["y_hat"][0]),
                _n(s["y"][0]),
                _n(s["squared_error"]),
            ]
            for s in trace["samples"]
        ],
        caption=f"Forward pass, learning rate {trace['learning_rate']}; "
        f"{trace['loss_formula']} = {_n(trace['mse'])}",
    )
    gradients = Table(
        ["parameter", "gradient (chain rule)", "∂MSE/∂θ", "before", "after one step"],
        [
            [p["name"], f"`{p['formula']}`", _n(p["gradient"]), _n(p["value"]), _n(p["new_value"])]
            for p in trace["parameters"]
        ],
        caption="Backward pass: each gradient sums its per-sample chain-rule terms",
    )
    return Section(
        "Q1(a): one step of backpropagation by hand",
        [
            Paragraph(
                "A 1-1-1 network (ReLU hidden unit, identity output) with w1 = 0.1, b1 = 0, "
                "w2 = 0.2, b2 = 0 on x = [1, 2, 3], y = [3, 4, 5], mean squared error, one "
                "gradient step of size 0.01."
            ),
            forward,
            gradients,
            _comparison_table(comparisons),
        ],
    )


def _svm(folder: Path, comparisons: list[dict]) -> Section:
    fit = json.loads((folder / "svm.json").read_text())
    points = Table(
        ["point", "x", "y", "α", "functional margin y(w·x + b)"],
        [
            [f"x{i + 1}", f"({', '.join(_n(v) for v in p)})", f"{label:+d}", _n(alpha), _n(margin)]
            for i, (p, label, alpha, margin) in enumerate(
                zip(fit["points"], fit["labels"], fit["alphas"], fit["functional_margins"])
            )
        ],
        caption=f"Dual solution: w = ({', '.join(_n(v) for v in fit['w'])}), "
        f"b = {_n(fit['b'])}, margin {fit['margin_text']}, "
        f"dual objective {_n(fit['dual_objective'])}",
    )
    return Section(
        "Q1(b): a hard-margin linear SVM, primal and dual",
        [
            Paragraph(
                "The dual is solved here by sequential minimal optimisation and then confirmed "
                "exactly: on the support set, the KKT conditions are a small linear system."
            ),
            points,
            Figure(
                folder / "svm.png",
                "The seed's six points, the maximum-margin line (solid) and "
                "its margins (dashed); support vectors circled.",
            ),
            _comparison_table(comparisons),
        ],
    )


def _hyperplane(folder: Path, comparisons: list[dict]) -> Section:
    plane = json.loads((folder / "hyperplane.json").read_text())
    new = plane["new_points"][0]
    return Section(
        "Q3: margins of a given hyperplane",
        [
            Paragraph(
                f"w = ({', '.join(_n(v) for v in plane['w'])}), b = {_n(plane['b'])}: margin "
                f"{plane['margin_text']}; the new point "
                f"({', '.join(_n(v) for v in new['point'])}) has w·x + b = "
                f"{_n(new['decision'])} and belongs to class {new['class']:+d}."
            ),
            _comparison_table(comparisons),
        ],
    )


def _comparison_table(comparisons: list[dict]) -> Table:
    rows = [
        [
            c["quantity"],
            c["given"],
            c["correct"],
            Cell(c["verdict"], VERDICT_STATUS.get(c["verdict"])),
            c["why"],
        ]
        for c in comparisons
    ]
    return Table(
        ["quantity", "the seed", "exact", "verdict", "why"],
        rows,
        caption="The seed's answers against the exact ones",
    )


def _n(value: float) -> str:
    """A number at up to 6 significant digits, without float noise."""
    return f"{value:.6g}"
