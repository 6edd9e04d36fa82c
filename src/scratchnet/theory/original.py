"""The original study's Section A as data, and its answers compared with the exact ones.

Each ``compare_*`` function returns a list of :class:`~scratchnet.theory.compare.Comparison`
(quantity, the original's value as written, the correct value, verdict, why). Values are
transcribed from the original study (``shared/seed/000_c3e9dc572287ad13.txt``) as strings so
that their written precision is kept.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from scratchnet.theory import backprop, hyperplane, marking, svm
from scratchnet.theory.compare import CORRECT, NOT_GIVEN, WRONG, Comparison
from scratchnet.theory.numbers import fmt

# --- Q1(a): one backpropagation step ------------------------------------------------------------

BACKPROP: dict[str, Any] = {
    "x": [1, 2, 3],
    "y": [3, 4, 5],
    "weights": ["0.1", "0.2"],
    "biases": [0, 0],
    "activations": ["relu", "identity"],
    "learning_rate": "0.01",
}

#: The original's numbers for Q1(a). Forward values for samples 1..3, then loss, gradients, updates.
BACKPROP_ANSWERS: dict[str, str] = {
    "z1_1": "0.1", "a1_1": "0.1", "y_hat_1": "0.02",
    "z1_2": "0.2", "a1_2": "0.2", "y_hat_2": "0.04",
    "z1_3": "0.3", "a1_3": "0.3", "y_hat_3": "0.06",
    "mse": "16.3213",
    "grad_w1": "-1.143", "new_w1": "0.11143",
    "grad_b1": "-0.528", "new_b1": "0.00528",
    "grad_w2": "-0.572", "new_w2": "0.20572",
    "grad_b2": "-2.64", "new_b2": "0.0264",
}  # fmt: skip


def backprop_network() -> backprop.Network:
    """The original study's 1-1-1 network: w1 = 0.1, b1 = 0 (relu), w2 = 0.2, b2 = 0 (identity)."""
    return backprop.Network.from_lists(
        BACKPROP["weights"], BACKPROP["biases"], BACKPROP["activations"], input_size=1
    )


def backprop_trace() -> backprop.BackpropTrace:
    """The exact trace of the original study's exercise."""
    return backprop.trace(
        backprop_network(), BACKPROP["x"], BACKPROP["y"], BACKPROP["learning_rate"]
    )


def compare_backprop() -> list[Comparison]:
    """The original study's Q1(a) numbers and formulas against the exact trace."""
    trace = backprop_trace()
    out = marking.mark_backprop(trace, BACKPROP_ANSWERS)
    out.append(
        Comparison(
            "formula for dMSE/dw1",
            "1/3 sum_i (dMSE/dz2 * w2 * ReLU'(z1))",
            "sum_i dMSE/dy_hat_i * w2 * relu'(z1_i) * x_i",
            WRONG,
            "the written formula omits the factor x_i (it is the one for b1), although the "
            "number -1.143 does include it",
        )
    )
    out.append(
        Comparison(
            "the 1/3 in front of every gradient",
            "1/3 sum_i (dMSE/dz2 ...)",
            "sum_i dMSE/dy_hat_i ..., dMSE/dy_hat_i = -(2/3)(y_i - y_hat_i)",
            WRONG,
            "dMSE/dy_hat_i already carries the 1/3 of the mean; the extra 1/3 counts it twice, "
            "which is why each of the four gradients is exactly the correct one divided by 3",
        )
    )
    return out


# --- Q1(b): hard-margin SVM ---------------------------------------------------------------------

SVM_POINTS: list[tuple[int, int]] = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (3, 0)]
SVM_LABELS: list[int] = [1, 1, 1, -1, -1, -1]
SVM_READING = (
    "x1 = (0,0), x2 = (1,0), x3 = (0,1) with y = +1 and x4 = (1,1), x5 = (2,2), x6 = (3,0) with "
    "y = -1, read from the original's expansion w = a1 (0,0) + a2 (1,0) + a3 (0,1) - a4 (1,1) - "
    "a5 (2,2) - a6 (3,0) (the minus signs are the labels y = -1) and from its constraint "
    "a1 + a2 + a3 - a4 - a5 - a6 = 0; its second-coordinate equation a3 - a4 - 2 a5 = w2 agrees, "
    "and its first-coordinate equation agrees except for the coefficient of a6"
)

#: The original study's claims for Q1(b).
SVM_ANSWERS: dict[str, Any] = {
    "w1 equation": "a2 - a4 - 2a5 - a6 = w1",
    "w2 equation": "a3 - a4 - 2a5 = w2",
    "sum equation": "a1 + a2 + a3 - a4 - a5 - a6 = 0",
    "dual": "cannot be solved explicitly",
    "line": "x1 + x2 = 1.5",
    "w_before": ["-2", "2"],
    "b_before": "3",
    "w": ["1", "1"],
    "b": "1.5",
    "support_vectors": [[1, 0], [0, 1], [1, 1]],
}


def svm_fit() -> svm.SVMResult:
    """The exact hard-margin SVM on the original study's six points."""
    return svm.fit_hard_margin(SVM_POINTS, SVM_LABELS)


def _equation(coefficients: list[Fraction], rhs: str) -> str:
    terms = []
    for i, c in enumerate(coefficients, 1):
        if c != 0:
            mag = "" if abs(c) == 1 else fmt(abs(c))
            terms.append(f"{'-' if c < 0 else '+'} {mag}a{i}")
    text = " ".join(terms)
    text = text[2:] if text.startswith("+ ") else "-" + text[2:]
    return f"{text} = {rhs}"


# The rest of why the original's final (w, b) is wrong, after the points it misclassifies.
_CANONICAL_SCALING = (
    "; the line x1 + x2 - 1.5 = 0 has b = -1.5, and with +1 on the origin's side w "
    "must point towards the origin: w = -k (1, 1), b = 1.5 k, and canonical scaling "
    "(functional margin 1 at the support vectors) gives k = 2"
)


def compare_svm() -> list[Comparison]:
    """The original study's Q1(b) working and answers against the exact dual solution."""
    result = svm_fit()
    given = SVM_ANSWERS  # the original's answers
    return [
        _svm_reading(),
        *_expansion_equations(),
        _svm_dual(result),
        _svm_line(result),
        _marked_plane(result, "(w, b) before rescaling", given["w_before"], given["b_before"]),
        _marked_plane(result, "(w, b)", given["w"], given["b"], _CANONICAL_SCALING),
        marking.mark_point_set("support vectors", given["support_vectors"], result.support_vectors),
        Comparison(
            "margin 2/||w||", "-", result.margin_text, NOT_GIVEN, "the original does not state it"
        ),
    ]


def _svm_reading() -> Comparison:
    """The data set, which the original never lists, as read from its working."""
    return Comparison(
        "data set (reading of the original)",
        "never listed",
        SVM_READING,
        "assumption",
        "the only reading consistent with the original's expansion of w and its sum constraint",
    )


def _expansion_equations() -> list[Comparison]:
    """The original's equations for w1 and w2 (from w = sum a_i y_i x_i, one per coordinate)
    and for sum a_i y_i = 0, against the ones the six points give."""
    ys, pts = SVM_LABELS, [[Fraction(v) for v in p] for p in SVM_POINTS]
    out = []
    for k, key in enumerate(("w1 equation", "w2 equation")):
        correct = _equation([y * p[k] for p, y in zip(pts, ys, strict=True)], f"w{k + 1}")
        ok = correct.replace(" ", "") == SVM_ANSWERS[key].replace(" ", "")
        why = (
            "matches w = sum a_i y_i x_i"
            if ok
            else ("x6 = (3, 0) contributes -3 a6 to w1, not -a6 (coordinate 3 times y6 = -1)")
        )
        out.append(Comparison(key, SVM_ANSWERS[key], correct, CORRECT if ok else WRONG, why))
    correct_sum = _equation([Fraction(y) for y in ys], "0")
    out.append(
        Comparison(
            "sum_i a_i y_i = 0", SVM_ANSWERS["sum equation"], correct_sum, CORRECT, "matches"
        )
    )
    return out


def _svm_dual(result: svm.SVMResult) -> Comparison:
    """The original's claim that the dual cannot be solved, against its exact solution."""
    alphas = ", ".join(fmt(a) for a in result.alphas)
    sv = ", ".join(f"x{i + 1}" for i in result.support)
    return Comparison(
        "solving the dual",
        SVM_ANSWERS["dual"],
        f"a = ({alphas}), dual objective {fmt(result.dual_objective)}",
        WRONG,
        f"on the support set {{{sv}}} the KKT conditions y_i (w.x_i + b) = 1 and "
        "sum a_i y_i = 0 are linear equations with a unique solution "
        "(a2 - a4 = w1 = -2, a3 - a4 = w2 = -2, a2 + a3 - a4 = 0); all a_i >= 0 and every "
        "other point has functional margin > 1, so this is the optimum",
    )


def _svm_line(result: svm.SVMResult) -> Comparison:
    """The original's separating line against the fitted hyperplane."""
    return Comparison(
        "separating line",
        SVM_ANSWERS["line"],
        marking.plane_text(result.w, result.b) + "  (i.e. x1 + x2 = 1.5)",
        CORRECT,
        "the maximum-margin boundary is the line x1 + x2 = 1.5",
    )


def _marked_plane(
    result: svm.SVMResult, quantity: str, w: list[str], b: str, why: str = ""
) -> Comparison:
    """A (w, b) of the original marked against the fitted one, named ``quantity``; its reason
    says which points it misclassifies, then ``why``."""
    marked = marking.mark_plane(w, b, result.w, result.b)
    return _renamed(marked, quantity, _misclassified_note(w, b) + why)


def _misclassified_note(w: list[str], b: str) -> str:
    analysis = hyperplane.analyze(w, b, SVM_POINTS, SVM_LABELS)
    wrong = [f"x{i + 1}" for i in analysis.misclassified]
    if not wrong:
        return "it separates the points"
    return f"it misclassifies {', '.join(wrong)}"


def _renamed(c: Comparison, quantity: str, extra: str) -> Comparison:
    return Comparison(quantity, c.given, c.correct, c.verdict, f"{c.why}; {extra}")


# --- Q3: a given hyperplane ----------------------------------------------------------------------

HYPERPLANE: dict[str, Any] = {
    "w": [-2, 0],
    "b": 5,
    "points": [(1, 2), (2, 3), (3, 3), (4, 1)],
    "labels": [1, 1, -1, -1],
    "new_points": [(1, 3)],
}

#: The original study's answers for Q3.
HYPERPLANE_ANSWERS: dict[str, Any] = {
    "margin": "1",
    "functional_margins": ["3", "1", "1", "3"],
    "support_vectors": [[2, 3], [3, 3]],
    "class": [1],
}


def hyperplane_analysis() -> hyperplane.HyperplaneAnalysis:
    """The exact analysis of the original study's Q3."""
    h = HYPERPLANE
    return hyperplane.analyze(h["w"], h["b"], h["points"], h["labels"], h["new_points"])


def compare_hyperplane() -> list[Comparison]:
    """The original study's Q3 answers against the exact analysis."""
    analysis = hyperplane_analysis()
    out = marking.mark_hyperplane(analysis, HYPERPLANE_ANSWERS)
    out[0] = _renamed(
        out[0],
        out[0].quantity,
        f"2/||w|| is the street's width; each support vector is 1/||w|| = "
        f"{analysis.margin / 2:g} from the hyperplane",
    )
    boundary = -Fraction(analysis.b) / analysis.w[0]
    out.insert(
        0,
        Comparison("boundary", "x1 = 2.5", f"x1 = {fmt(boundary)}", CORRECT, "-2 x1 + 5 = 0"),
    )
    best = analysis.max_margin
    out.append(
        Comparison(
            "is (w, b) the maximum-margin hyperplane?",
            "-",
            "yes"
            if analysis.is_max_margin
            else f"no: w = {best.w}, b = {best.b}"
            if best
            else "not separable",
            NOT_GIVEN,
            "checked by fitting the hard-margin SVM to the four points",
        )
    )
    return out


def compare_with_original() -> dict[str, list[Comparison]]:
    """All three exercises: ``{"backprop": [...], "svm": [...], "hyperplane": [...]}``."""
    return {
        "backprop": compare_backprop(),
        "svm": compare_svm(),
        "hyperplane": compare_hyperplane(),
    }
