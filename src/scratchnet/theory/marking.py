"""Mark a student's answers to each exercise, explaining wrong numbers by the usual mistakes.

Answers are a mapping from quantity name to value (numbers or decimal strings; strings keep the
decimals the student wrote). The names are those in ``trace.quantities()`` for backprop
(``mse``, ``grad_w1``, ``new_w1``, ``y_hat_2``...), and ``w``, ``b``, ``margin``,
``support_vectors``, ``functional_margins``, ``alphas``, ``class`` for the SVM and hyperplane.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from scratchnet.errors import ConfigError
from scratchnet.theory.backprop import BackpropTrace
from scratchnet.theory.compare import CORRECT, WRONG, Comparison, agrees, check_value
from scratchnet.theory.numbers import Number, fmt, to_fraction


def gradient_explanations(correct: Number, n: int) -> list[tuple[Number, str]]:
    """Values the common gradient mistakes give, each with its explanation (``n`` = N of MSE)."""
    return [
        (
            correct / n,
            f"equals the correct gradient divided by {n}: the 1/{n} factor was applied twice "
            f"(dMSE/dy_hat_i = -(2/{n})(y_i - y_hat_i) already contains it)",
        ),
        (
            correct / 2,
            "equals the correct gradient divided by 2: the factor 2 of d(y - y_hat)^2 was dropped",
        ),
        (
            correct / (2 * n),
            f"equals the correct gradient divided by {2 * n}: the factor 2 was dropped and the "
            f"1/{n} applied twice",
        ),
        (correct * n, f"equals the correct gradient times {n}: the 1/{n} of the mean was left out"),
        (-correct, "has the wrong sign: dMSE/dy_hat = -(2/N)(y - y_hat), not +(2/N)(y - y_hat)"),
    ]


def mark_backprop(trace: BackpropTrace, answers: Mapping[str, Any]) -> list[Comparison]:
    """Compare ``answers`` with ``trace``, in the trace's order; unknown names raise ConfigError."""
    quantities = trace.quantities()
    unknown = sorted(set(answers) - set(quantities))
    if unknown:
        raise ConfigError(
            f"answers: unknown quantity {unknown[0]!r}; expected names like "
            f"{', '.join(list(quantities)[:3])}, mse, grad_<param>, new_<param>"
        )
    n = trace.n_entries
    steps = {p.name: p for p in trace.parameters}
    out = []
    for name, correct in quantities.items():
        if name not in answers:
            continue
        explanations: list[tuple[Number, str]] = []
        if name == "mse":
            sse = correct * n
            explanations = [
                (sse, f"is the sum of squared errors ({fmt(sse)}), not its mean (divide by {n})"),
                (correct / 2, "is half the MSE (the 1/2 of the squared-error loss slipped in)"),
            ]
        elif name.startswith("grad_"):
            explanations = gradient_explanations(correct, n)
        elif name.startswith("new_"):
            explanations = _update_explanations(steps[name[4:]], trace, answers)
        note = f"sum of squared errors {fmt(correct * n)}, divided by {n}" if name == "mse" else ""
        out.append(check_value(name, answers[name], correct, explanations=explanations, note=note))
    return out


def _update_explanations(step: Any, trace: BackpropTrace, answers: Mapping[str, Any]) -> list:
    lr, p = trace.learning_rate, step.value
    out: list[tuple[Number, str]] = []
    given_grad = answers.get(f"grad_{step.name}")
    if given_grad is not None and not agrees(given_grad, step.gradient):
        g = to_fraction(given_grad, name=f"grad_{step.name}")
        g = g if isinstance(p, Fraction) else float(g)
        out.append(
            (
                p - lr * g,
                f"follows from the given gradient {given_grad}: "
                f"{fmt(p)} - {fmt(lr)} * ({given_grad}); "
                "the update rule is applied right, the gradient is wrong",
            )
        )
    for value, why in gradient_explanations(step.gradient, trace.n_entries):
        out.append((p - lr * value, f"uses a gradient that {why}"))
    out.append((p + lr * step.gradient, "steps up the gradient: p_new = p - eta * dMSE/dp"))
    return out


def mark_numbers(
    quantity: str, given: Any, correct: Sequence[Number], *, unordered: bool = False
) -> Comparison:
    """Compare a list of numbers (or a set of points when ``unordered``) element by element."""
    if given is None:
        return (
            check_value(quantity, None, correct[0])
            if len(correct) == 1
            else Comparison(quantity, "-", _text(correct), "not given", "no answer given")
        )
    items = list(given) if isinstance(given, list | tuple) else [given]
    correct_text = _text(correct)
    given_text = "[" + ", ".join(str(v) for v in items) + "]"
    if len(items) != len(correct):
        return Comparison(
            quantity,
            given_text,
            correct_text,
            WRONG,
            f"{len(items)} values given, {len(correct)} expected",
        )
    ok = all(agrees(g, c) for g, c in zip(items, correct, strict=True))
    verdict = CORRECT if ok else WRONG
    why = (
        "matches"
        if ok
        else "differs in: "
        + ", ".join(
            f"#{i} ({g} vs {fmt(c)})"
            for i, (g, c) in enumerate(zip(items, correct, strict=True), 1)
            if not agrees(g, c)
        )
    )
    return Comparison(quantity, given_text, correct_text, verdict, why)


def mark_point_set(quantity: str, given: Any, correct: Sequence[Sequence[Number]]) -> Comparison:
    """Compare a set of points (order ignored), e.g. the support vectors."""
    correct_text = "{" + ", ".join(_point(p) for p in correct) + "}"
    if given is None:
        return Comparison(quantity, "-", correct_text, "not given", "no answer given")
    points = [tuple(to_fraction(v, name=quantity) for v in p) for p in given]
    want = {tuple(Fraction(v) for v in p) for p in correct}
    got = set(points)
    given_text = "{" + ", ".join(_point(p) for p in points) + "}"
    if got == want:
        return Comparison(quantity, given_text, correct_text, CORRECT, "same set of points")
    parts = []
    if got - want:
        parts.append("not support vectors: " + ", ".join(_point(p) for p in sorted(got - want)))
    if want - got:
        parts.append("missing: " + ", ".join(_point(p) for p in sorted(want - got)))
    return Comparison(quantity, given_text, correct_text, WRONG, "; ".join(parts))


def _point(p: Sequence[Number]) -> str:
    return "(" + ", ".join(fmt(v) for v in p) + ")"


def _text(values: Sequence[Number]) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def plane_text(w: Sequence[Number], b: Number) -> str:
    """``-2 x1 - 2 x2 + 3 = 0``."""
    parts = []
    for k, v in enumerate(w, 1):
        if v != 0:
            sign = "-" if v < 0 else "+"
            mag = "" if abs(v) == 1 else f"{fmt(abs(v))} "
            parts.append(f"{sign} {mag}x{k}")
    if b != 0:
        parts.append(f"{'-' if b < 0 else '+'} {fmt(abs(b))}")
    text = " ".join(parts).lstrip("+ ")
    return (text if not text.startswith("- ") else "-" + text[2:]) + " = 0"


def mark_plane(given_w: Any, given_b: Any, w: Sequence[Number], b: Number) -> Comparison:
    """Compare a given ``(w, b)`` with the canonical one, recognizing rescaled or flipped planes."""
    correct_text = f"w = {_text(w)}, b = {fmt(b)}"
    if given_w is None or given_b is None:
        return Comparison("(w, b)", "-", correct_text, "not given", "no answer given")
    gw = [to_fraction(v, name="w") for v in given_w]
    gb = to_fraction(given_b, name="b")
    given_text = f"w = {_text(gw)}, b = {fmt(gb)}"
    if len(gw) != len(w):
        return Comparison("(w, b)", given_text, correct_text, WRONG, "w has the wrong dimension")
    same_line, ratio = _proportional([*gw, gb], [*w, b])
    if ratio == 1 and same_line:
        return Comparison("(w, b)", given_text, correct_text, CORRECT, "canonical (w, b)")
    if same_line and ratio > 0:
        why = (
            f"the right hyperplane scaled by {fmt(ratio)}: the canonical scaling makes the "
            "support vectors' functional margin 1"
        )
    elif same_line:
        why = (
            f"the right line with the orientation flipped (scaled by {fmt(ratio)}): it scores "
            "the +1 points negative"
        )
    else:
        why = f"a different hyperplane: {plane_text(gw, gb)}, not {plane_text(w, b)}"
    return Comparison("(w, b)", given_text, correct_text, WRONG, why)


def _proportional(given: Sequence[Fraction], ref: Sequence[Number]) -> tuple[bool, Number]:
    """Whether ``given = ratio * ref`` for some non-zero ratio (exact, or to 1e-9 for floats)."""
    pivot = max(range(len(ref)), key=lambda k: abs(ref[k]))
    exact = all(isinstance(v, Fraction | int) for v in ref)
    ratio = given[pivot] / Fraction(ref[pivot]) if exact else float(given[pivot]) / ref[pivot]
    if ratio == 0:
        return False, ratio
    if exact:
        return all(g == ratio * r for g, r in zip(given, ref, strict=True)), ratio
    scale = max(abs(float(v)) for v in given)
    close = all(abs(float(g) - ratio * r) <= 1e-9 * scale for g, r in zip(given, ref, strict=True))
    return close, ratio


def mark_svm(result: Any, answers: Mapping[str, Any]) -> list[Comparison]:
    """Mark ``w``/``b``, ``margin``, ``support_vectors``, ``alphas``, ``dual_objective``."""
    _require_known(answers, {"w", "b", "margin", "support_vectors", "alphas", "dual_objective"})
    out = []
    if "w" in answers or "b" in answers:
        out.append(mark_plane(answers.get("w"), answers.get("b"), result.w, result.b))
    if "margin" in answers:
        out.append(_mark_margin(answers["margin"], result.w, result.margin))
    if "support_vectors" in answers:
        out.append(
            mark_point_set("support vectors", answers["support_vectors"], result.support_vectors)
        )
    if "alphas" in answers:
        out.append(mark_numbers("alphas", answers["alphas"], result.alphas))
    if "dual_objective" in answers:
        out.append(check_value("dual objective", answers["dual_objective"], result.dual_objective))
    return out


def mark_hyperplane(analysis: Any, answers: Mapping[str, Any]) -> list[Comparison]:
    """Mark ``margin``, ``functional_margins``, ``support_vectors``, ``class`` (of new points)."""
    _require_known(answers, {"margin", "functional_margins", "support_vectors", "class"})
    out = []
    if "margin" in answers:
        out.append(_mark_margin(answers["margin"], analysis.w, analysis.margin))
    if "functional_margins" in answers:
        out.append(
            mark_numbers(
                "functional margins", answers["functional_margins"], analysis.functional_margins
            )
        )
    if "support_vectors" in answers:
        points = [analysis.points[i] for i in analysis.support_vectors]
        out.append(mark_point_set("support vectors", answers["support_vectors"], points))
    if "class" in answers:
        given = (
            answers["class"] if isinstance(answers["class"], list | tuple) else [answers["class"]]
        )
        out.append(mark_numbers("class of new point(s)", given, analysis.new_classes))
    return out


def _mark_margin(given: Any, w: Sequence[Number], margin: float) -> Comparison:
    from scratchnet.theory.svm import margin_text

    half = margin / 2
    comparison = check_value(
        "margin 2/||w||",
        given,
        margin,
        explanations=[
            (half, "is 1/||w||, the distance to a support vector: the street is twice that")
        ],
    )
    return Comparison(
        comparison.quantity, comparison.given, margin_text(w), comparison.verdict, comparison.why
    )


def _require_known(answers: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ConfigError(
            f"answers: unknown quantity {unknown[0]!r}; expected some of {', '.join(sorted(known))}"
        )
