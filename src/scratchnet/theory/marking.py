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
        out.append(check_value(name, answers[name], correct, explanations=explanations))
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
