"""Section A of the report: the hand-worked exercises, the original's answers beside exact ones.

Reads the files :mod:`scratchnet.studies.worked_examples` wrote; computes nothing new. A
damaged file takes out the part that reads it (the whole section for ``comparisons.json``, one
exercise for the others), with a note naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.report.document import Cell, Figure, Note, Paragraph, Section, Table, guarded
from scratchnet.runfiles import JsonView, RunFolderError, read_json

VERDICT_STATUS = {"wrong": "bad", "correct": "good"}
TITLE = "Section A: worked examples"
Q1A = "Q1(a): one step of backpropagation by hand"
Q1B = "Q1(b): a hard-margin linear SVM, primal and dual"
Q3 = "Q3: margins of a given hyperplane"
#: One comparison: quantity, the original's value, the exact one, verdict, why.
Comparison = tuple[str, str, str, str, str]


def build(folder: Path, title: str = TITLE, anchor: str = "section-a") -> Section:
    """The section, or a note that Section A was not run into ``folder`` (or is damaged)."""
    return guarded(title, lambda: _build(folder, title, anchor), anchor=anchor)


def _build(folder: Path, title: str, anchor: str) -> Section:
    section = Section(title, anchor=anchor)
    if not (folder / "comparisons.json").exists():
        section.blocks.append(
            Note(f"Section A was not run (no {folder}/comparisons.json).", "missing")
        )
        return section
    document = read_json(folder / "comparisons.json")
    parts = {"backprop": (Q1A, _backprop), "svm": (Q1B, _svm), "hyperplane": (Q3, _hyperplane)}
    comparisons = {name: _comparisons(document[name]) for name in parts}
    section.blocks.append(
        Paragraph(
            "Every quantity is computed in exact rational arithmetic where the activations allow "
            "it (ReLU, identity), then compared with the value the original study wrote; a "
            "written value counts as right when it equals the exact one rounded to the places "
            "shown."
        )
    )
    wrong = {name: sum(c[3] == "wrong" for c in items) for name, items in comparisons.items()}
    section.blocks.append(
        Note(
            f"The original study's answers that differ from the exact ones: "
            f"{wrong['backprop']} in the backpropagation exercise, {wrong['svm']} in the SVM "
            f"exercise and {wrong['hyperplane']} in the hyperplane exercise.",
            "differs" if any(wrong.values()) else "info",
        )
    )
    section.subsections = [
        guarded(title, lambda b=part, n=name: b(folder, comparisons[n]))
        for name, (title, part) in parts.items()
    ]
    return section


HEADLINES = (
    ("backprop", "Q1(a) backprop", Q1A),
    ("svm", "Q1(b) SVM", Q1B),
    ("hyperplane", "Q3 margins", Q3),
)


def headlines(folder: Path, row) -> list[list]:
    """The first screen's rows, per exercise: its first wrong answer beside the exact one and
    how many differ (``row(label, anchor_title, original, ours, agrees)``); none if the
    section was not run or its ``comparisons.json`` is damaged (the section says so)."""
    path = folder / "comparisons.json"
    found = []
    for part in HEADLINES if path.exists() else ():
        try:
            found.append(_headline(read_json(path), *part, row))
        except RunFolderError:
            continue
    return [line for line in found if line]


def _headline(document: JsonView, key: str, label: str, title: str, row) -> list | None:
    fields = [c[:4] for c in _comparisons(document[key])]
    wrong = [f for f in fields if f[3] == "wrong"]
    if not fields:
        return None
    if not wrong:
        return row(label, title, "all answers exact", "all answers exact", True)
    quantity, given, correct, _ = wrong[0]
    return row(
        f"{label}: {len(wrong)} of {len(fields)} differ",
        title,
        _short(f"{quantity} = {given}"),
        _short(f"{quantity} = {correct}"),
        False,
    )


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _comparisons(items: JsonView) -> list[Comparison]:
    """The rows of one exercise's comparisons, every field a string."""
    fields = ("quantity", "given", "correct", "verdict", "why")
    return [tuple(item[name].text() for name in fields) for item in items.items()]  # type: ignore[misc]


def _backprop(folder: Path, comparisons: list[Comparison]) -> Section:
    trace = read_json(folder / "backprop.json")
    forward = Table(
        ["i", "x", "z1", "a1", "ŷ = z2", "y", "(y − ŷ)²"],
        [
            [
                str(s["index"].integer()),
                _n(s["x"][0]),
                _n(s["z"][0][0]),
                _n(s["a"][0][0]),
                _n(s["y_hat"][0]),
                _n(s["y"][0]),
                _n(s["squared_error"]),
            ]
            for s in trace["samples"].items()
        ],
        caption=f"Forward pass, learning rate {_n(trace['learning_rate'])}; "
        f"{trace['loss_formula'].text()} = {_n(trace['mse'])}",
    )
    gradients = Table(
        ["parameter", "gradient (chain rule)", "∂MSE/∂θ", "before", "after one step"],
        [
            [
                p["name"].text(),
                f"`{p['formula'].text()}`",
                _n(p["gradient"]),
                _n(p["value"]),
                _n(p["new_value"]),
            ]
            for p in trace["parameters"].items()
        ],
        caption="Backward pass: each gradient sums its per-sample chain-rule terms",
    )
    return Section(
        Q1A,
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


def _svm(folder: Path, comparisons: list[Comparison]) -> Section:
    fit = read_json(folder / "svm.json")
    columns = [fit[name].items() for name in ("points", "labels", "alphas", "functional_margins")]
    if len({len(column) for column in columns}) != 1:
        raise fit.error("points, labels, alphas and functional_margins differ in length")
    points = Table(
        ["point", "x", "y", "α", "functional margin y(w·x + b)"],
        [
            [f"x{i + 1}", _vector(p), f"{label.integer():+d}", _n(alpha), _n(margin)]
            for i, (p, label, alpha, margin) in enumerate(zip(*columns))
        ],
        caption=f"Dual solution: w = {_vector(fit['w'])}, "
        f"b = {_n(fit['b'])}, margin {fit['margin_text'].text()}, "
        f"dual objective {_n(fit['dual_objective'])}",
    )
    return Section(
        Q1B,
        [
            Paragraph(
                "The dual is solved here by sequential minimal optimisation and then confirmed "
                "exactly: on the support set, the KKT conditions are a small linear system."
            ),
            points,
            *_figure(
                folder / "svm.png",
                "The original study's six points, the maximum-margin line (solid) and "
                "its margins (dashed); support vectors circled.",
            ),
            _comparison_table(comparisons),
        ],
    )


def _hyperplane(folder: Path, comparisons: list[Comparison]) -> Section:
    plane = read_json(folder / "hyperplane.json")
    new = plane["new_points"][0]
    return Section(
        Q3,
        [
            Paragraph(
                f"w = {_vector(plane['w'])}, b = {_n(plane['b'])}: margin "
                f"{plane['margin_text'].text()}; the new point {_vector(new['point'])} has "
                f"w·x + b = {_n(new['decision'])} and belongs to class "
                f"{new['class'].integer():+d}."
            ),
            _comparison_table(comparisons),
        ],
    )


def _comparison_table(comparisons: list[Comparison]) -> Table:
    rows = [
        [quantity, given, correct, Cell(verdict, VERDICT_STATUS.get(verdict)), why]
        for quantity, given, correct, verdict, why in comparisons
    ]
    return Table(
        ["quantity", "the original", "exact", "verdict", "why"],
        rows,
        caption="The original study's answers against the exact ones",
    )


def _figure(path: Path, caption: str) -> list[Figure]:
    """The figure if its file is there (a missing one is left out, like in Sections B and C)."""
    return [Figure(path, caption)] if path.is_file() else []


def _vector(values: JsonView) -> str:
    """``(a, b)`` from a JSON list of numbers."""
    return f"({', '.join(_n(v) for v in values.items())})"


def _n(value: JsonView) -> str:
    """A JSON number at up to 6 significant digits, without float noise."""
    return f"{value.number():.6g}"
