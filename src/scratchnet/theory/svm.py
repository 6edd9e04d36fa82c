"""Linear SVM from its dual: exact hard margin, soft margin with C, and what the solution means.

The dual (maximize ``sum a - 1/2 sum_ij a_i a_j y_i y_j x_i . x_j``, ``sum a_i y_i = 0``,
``0 <= a_i <= C``) is solved by SMO (:mod:`scratchnet.theory.smo`) in float64; then the
support set is reduced to linearly independent vectors (Caratheodory, which keeps ``w``) and the
KKT equations on it are solved again exactly with Fractions. The exact solution is kept only if
every KKT condition holds exactly; otherwise the float solution is reported (``exact=False``).
Separability is decided first and exactly by :mod:`scratchnet.theory.separability`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.theory import separability, smo
from scratchnet.theory.numbers import Number, fmt, to_fraction

#: Inputs whose denominators exceed this are solved in float (exact rationals would blow up).
MAX_EXACT_DENOMINATOR = 10**6


@dataclass
class SVMResult:
    """A fitted linear SVM and its diagnostics; indices are 0-based, ``to_dict`` gives floats."""

    points: list[list[Number]]
    labels: list[int]
    C: Number | None
    w: list[Number]
    b: Number
    alphas: list[Number]
    exact: bool
    iterations: int
    alphas_unique: bool
    notes: list[str] = field(default_factory=list)

    @property
    def support(self) -> list[int]:
        """Indices with ``alpha > 0`` (as scikit-learn's ``support_``)."""
        return [i for i, a in enumerate(self.alphas) if a > 0]

    @property
    def support_vectors(self) -> list[list[Number]]:
        return [self.points[i] for i in self.support]

    @property
    def functional_margins(self) -> list[Number]:
        """``y_i (w . x_i + b)`` per point."""
        return [
            y * (_dot(self.w, p) + self.b) for p, y in zip(self.points, self.labels, strict=True)
        ]

    @property
    def on_margin(self) -> list[int]:
        """Indices whose functional margin is exactly 1 (within 1e-9 in float mode)."""
        return [i for i, m in enumerate(self.functional_margins) if _close(m, 1, self.exact)]

    @property
    def w_norm_squared(self) -> Number:
        return _dot(self.w, self.w)

    @property
    def margin(self) -> float:
        """Geometric margin (width of the street) ``2 / ||w||``."""
        q = float(self.w_norm_squared)
        return 2.0 / math.sqrt(q) if q > 0 else math.inf

    @property
    def margin_text(self) -> str:
        """``2/||w||`` exactly where possible, e.g. ``2/sqrt(8) = 0.7071067812``."""
        return margin_text(self.w)

    @property
    def slacks(self) -> list[Number]:
        """``max(0, 1 - y_i f(x_i))`` per point (all 0 for the hard margin)."""
        return [max(0 * m, 1 - m) for m in self.functional_margins]

    @property
    def dual_objective(self) -> Number:
        """``sum a - 1/2 ||w||^2`` (``w = sum a_i y_i x_i``)."""
        return sum(self.alphas) - self.w_norm_squared / 2

    @property
    def primal_objective(self) -> Number:
        """``1/2 ||w||^2 (+ C sum xi)``; equals the dual objective at the optimum."""
        extra = self.C * sum(self.slacks) if self.C is not None else 0
        return self.w_norm_squared / 2 + extra

    def decision(self, point: Sequence[Any]) -> Number:
        """``w . x + b`` for one point."""
        x = [_convert(v, self.exact, "point") for v in point]
        return _dot(self.w, x) + self.b

    def to_dict(self) -> dict[str, Any]:
        f = float
        return {
            "points": [[f(v) for v in p] for p in self.points],
            "labels": self.labels,
            "C": None if self.C is None else f(self.C),
            "w": [f(v) for v in self.w],
            "b": f(self.b),
            "alphas": [f(a) for a in self.alphas],
            "alphas_unique": self.alphas_unique,
            "support": self.support,
            "support_vectors": [[f(v) for v in p] for p in self.support_vectors],
            "on_margin": self.on_margin,
            "functional_margins": [f(m) for m in self.functional_margins],
            "slacks": [f(s) for s in self.slacks],
            "w_norm_squared": f(self.w_norm_squared),
            "margin": self.margin if math.isfinite(self.margin) else None,
            "margin_text": self.margin_text,
            "dual_objective": f(self.dual_objective),
            "primal_objective": f(self.primal_objective),
            "exact": self.exact,
            "exact_values": (
                {
                    "w": [str(v) for v in self.w],
                    "b": str(self.b),
                    "alphas": [str(a) for a in self.alphas],
                }
                if self.exact
                else None
            ),
            "iterations": self.iterations,
            "notes": self.notes,
        }


def margin_text(w: Sequence[Number]) -> str:
    """``2/||w||`` as text, exact if ``||w||^2`` is a square rational, else ``2/sqrt(q) = ...``."""
    q = _dot(w, w)
    if q == 0:
        return "infinite (w = 0: the soft margin gave up separating, every point has slack)"
    value = 2.0 / math.sqrt(float(q))
    if isinstance(q, Fraction):
        num, den = math.isqrt(q.numerator), math.isqrt(q.denominator)
        if num * num == q.numerator and den * den == q.denominator:
            return f"2/{fmt(Fraction(num, den))} = {fmt(2 / Fraction(num, den))}"
        return f"2/sqrt({fmt(q)}) = {value:.10g}"
    return f"{value:.10g}"


class NotSeparableError(ConfigError):
    """Hard margin asked for on data that no hyperplane separates."""

    def __init__(self, message: str, witness: separability.Separability) -> None:
        super().__init__(message)
        self.witness = witness


def parse_data(
    points: Sequence[Sequence[Any]], labels: Sequence[Any], *, option: str = "points"
) -> tuple[list[list[Fraction]], list[int]]:
    """Validate points (n, d) and labels (+1/-1, also 1/0 is rejected) into Fractions and ints."""
    if len(points) != len(labels):
        raise ConfigError(f"{option}: {len(points)} points but {len(labels)} labels")
    if len(points) < 2:
        raise ConfigError(f"{option}: need at least two points")
    rows = [
        [to_fraction(v, name=f"{option} (point {i})") for v in p] for i, p in enumerate(points, 1)
    ]
    if not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ConfigError(f"{option}: every point needs the same number of coordinates")
    ys = []
    for i, label in enumerate(labels, 1):
        value = to_fraction(label, name=f"{option} (label {i})")
        if value not in (1, -1):
            raise ConfigError(f"{option}: label {i} is {label!r}; expected +1 or -1")
        ys.append(int(value))
    if len(set(ys)) < 2:
        raise ConfigError(f"{option}: need points of both classes (+1 and -1)")
    return rows, ys


def fit_hard_margin(
    points: Sequence[Sequence[Any]], labels: Sequence[Any], *, exact: bool | None = None
) -> SVMResult:
    """Hard-margin linear SVM.

    Parameters
    ----------
    points : sequence, shape (n, d)
    labels : sequence, shape (n,), each +1 or -1
    exact : bool, optional
        Use Fractions; default when all inputs have small denominators.

    Raises
    ------
    NotSeparableError
        If no hyperplane separates the classes; the message names a point in both hulls.
    """
    rows, ys = parse_data(points, labels)
    exact = _want_exact(rows, exact)
    data = [[_convert(v, exact, "points") for v in r] for r in rows]
    check = separability.check(data, ys)
    if not check.separable:
        raise NotSeparableError(_not_separable_message(check), check)
    return _fit(data, ys, None, exact)


def fit_soft_margin(
    points: Sequence[Sequence[Any]],
    labels: Sequence[Any],
    C: Any,
    *,
    exact: bool | None = None,
) -> SVMResult:
    """Soft-margin linear SVM: minimize ``1/2 ||w||^2 + C sum xi_i``; ``C > 0``."""
    rows, ys = parse_data(points, labels)
    c = to_fraction(C, name="C")
    if c <= 0:
        raise ConfigError(f"C: expected a positive number, got {C!r}")
    exact = _want_exact([*rows, [c]], exact)
    data = [[_convert(v, exact, "points") for v in r] for r in rows]
    return _fit(data, ys, _convert(c, exact, "C"), exact)


def _not_separable_message(check: separability.Separability) -> str:
    point = "(" + ", ".join(fmt(v, 6) for v in check.common_point or []) + ")"
    return (
        f"points: not linearly separable; the point {point} lies in the convex hull of both "
        "classes (use the soft margin, --C)"
    )


def _want_exact(rows: list[list[Fraction]], exact: bool | None) -> bool:
    if exact is not None:
        return exact
    return all(v.denominator <= MAX_EXACT_DENOMINATOR for r in rows for v in r)


def _convert(value: Any, exact: bool, name: str) -> Number:
    return to_fraction(value, name=name) if exact else float(to_fraction(value, name=name))


def _dot(a: Sequence[Number], b: Sequence[Number]) -> Number:
    return sum((u * v for u, v in zip(a, b, strict=True)), 0 * a[0])


def _close(a: Number, b: Number, exact: bool) -> bool:
    return a == b if exact else abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def _fit(data: list[list[Number]], ys: list[int], C: Number | None, exact: bool) -> SVMResult:
    X = np.array([[float(v) for v in r] for r in data])
    y = np.array(ys, dtype=float)
    alpha, iterations = smo.solve(X, y, math.inf if C is None else float(C))
    notes: list[str] = []
    free, bounded = _partition(alpha, None if C is None else float(C))
    free = _caratheodory(X, y, alpha, free)
    polished = _polish(data, ys, C, free, bounded, exact)
    if polished is None:
        polished = _from_float(X, y, alpha, C, free)
        if exact:
            notes.append("exact polishing failed; values are float64")
        exact = False
    alphas, b = polished
    w = [
        sum((a * yy * r[k] for a, yy, r in zip(alphas, ys, data, strict=True)), 0 * alphas[0])
        for k in range(len(data[0]))
    ]
    result = SVMResult(
        [list(r) for r in data], list(ys), C, w, b, alphas, exact, iterations, True, notes
    )
    result.alphas_unique = _alphas_unique(result)
    if not result.alphas_unique:
        notes.append(
            "the points on the margin are linearly dependent: w and b are unique, "
            "the alphas are not (one optimal choice is shown)"
        )
    return result


def _partition(alpha: np.ndarray, C: float | None) -> tuple[list[int], list[int]]:
    scale = max(1.0, float(alpha.max()))
    positive = alpha > 1e-9 * scale
    if C is None:
        return list(np.flatnonzero(positive)), []
    at_bound = alpha >= C * (1 - 1e-9)
    return list(np.flatnonzero(positive & ~at_bound)), list(np.flatnonzero(at_bound))


def _caratheodory(X: np.ndarray, y: np.ndarray, alpha: np.ndarray, free: list[int]) -> list[int]:
    """Drop free support vectors until ``(y_i x_i, y_i)`` are independent, keeping ``w``."""
    alpha = alpha.copy()
    free = list(free)
    while free:
        V = np.column_stack([y[free, None] * X[free], y[free]])
        _, s, vt = np.linalg.svd(V.T)
        rank = int((s > 1e-10 * max(1.0, s.max())).sum()) if len(s) else 0
        if rank >= len(free):
            return free
        u = vt[-1]
        if not (u > 0).any():
            u = -u
        ratios = np.where(u > 1e-12, alpha[free] / np.where(u > 1e-12, u, 1), np.inf)
        k = int(np.argmin(ratios))
        alpha[free] = alpha[free] - ratios[k] * u
        del free[k]
    return free


def _polish(
    data: list[list[Number]],
    ys: list[int],
    C: Number | None,
    free: list[int],
    bounded: list[int],
    exact: bool,
) -> tuple[list[Number], Number] | None:
    """Solve the KKT equations on the free set; None if singular or any KKT condition fails."""
    zero = Fraction(0) if exact else 0.0
    n = len(ys)

    def q(i: int, j: int) -> Number:
        return ys[i] * ys[j] * _dot(data[i], data[j])

    c_bound = C if C is not None else zero
    if free:
        size = len(free) + 1
        matrix = [[q(i, j) for j in free] + [ys[i] * (1 + zero)] for i in free]
        matrix.append([ys[j] * (1 + zero) for j in free] + [zero])
        rhs = [1 - c_bound * sum((q(i, j) for j in bounded), zero) for i in free]
        rhs.append(-c_bound * sum(ys[j] for j in bounded))
        solution = _solve_linear(matrix, rhs, size)
        if solution is None:
            return None
        alphas = [zero] * n
        for i, a in zip(free, solution[:-1], strict=True):
            alphas[i] = a
        for i in bounded:
            alphas[i] = c_bound
        b = solution[-1]
    else:
        alphas = [zero] * n
        for i in bounded:
            alphas[i] = c_bound
        b = _b_without_free(data, ys, alphas)
        if b is None:
            return None
    if not _kkt_holds(data, ys, alphas, b, C, exact):
        return None
    return alphas, b


def _b_without_free(data: list[list[Number]], ys: list[int], alphas: list[Number]) -> Number | None:
    """Midpoint of the interval of valid ``b`` when every alpha sits at a bound (LIBSVM's rule)."""
    w = [
        sum(a * y * r[k] for a, y, r in zip(alphas, ys, data, strict=True))
        for k in range(len(data[0]))
    ]
    lower, upper = [], []
    for r, y, a in zip(data, ys, alphas, strict=True):
        # alpha = 0: y (w.x + b) >= 1; alpha = C: y (w.x + b) <= 1.
        edge = y - _dot(w, r)  # the b at which y f(x) = 1
        wants_above = (a == 0) == (y > 0)
        (lower if wants_above else upper).append(edge)
    lo = max(lower) if lower else None
    hi = min(upper) if upper else None
    if lo is None and hi is None:
        return None
    if lo is None or hi is None:
        return lo if hi is None else hi
    return (lo + hi) / 2


def _kkt_holds(
    data: list[list[Number]],
    ys: list[int],
    alphas: list[Number],
    b: Number,
    C: Number | None,
    exact: bool,
) -> bool:
    tol = 0 if exact else 1e-7
    if any(a < -tol or (C is not None and a > C + tol) for a in alphas):
        return False
    if abs(sum(a * y for a, y in zip(alphas, ys, strict=True))) > tol:
        return False
    w = [
        sum(a * y * r[k] for a, y, r in zip(alphas, ys, data, strict=True))
        for k in range(len(data[0]))
    ]
    for r, y, a in zip(data, ys, alphas, strict=True):
        m = y * (_dot(w, r) + b)
        if a <= tol and m < 1 - tol:
            return False
        if tol < a and (C is None or a < C - tol) and abs(m - 1) > tol:
            return False
        if C is not None and a >= C - tol and m > 1 + tol:
            return False
    return True


def _solve_linear(matrix: list[list[Number]], rhs: list[Number], size: int) -> list[Number] | None:
    """Gaussian elimination with pivoting; exact on Fractions. None if singular."""
    exact = isinstance(matrix[0][0], Fraction)
    a = [[*row[:], v] for row, v in zip(matrix, rhs, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        if a[pivot][col] == 0 or (not exact and abs(a[pivot][col]) < 1e-12):
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(size):
            if r != col and a[r][col] != 0:
                factor = a[r][col] / a[col][col]
                a[r] = [u - factor * v for u, v in zip(a[r], a[col], strict=True)]
    return [a[i][size] / a[i][i] for i in range(size)]


def _from_float(
    X: np.ndarray, y: np.ndarray, alpha: np.ndarray, C: Number | None, free: list[int]
) -> tuple[list[Number], Number]:
    w = (alpha * y) @ X
    if free:
        b = float(np.mean(y[free] - X[free] @ w))
    else:
        b = float(np.median(y - X @ w))
    return [float(a) for a in alpha], b


def _alphas_unique(result: SVMResult) -> bool:
    """Sufficient test: the vectors ``(y_i x_i, y_i)`` of the on-margin points are independent."""
    idx = (
        result.on_margin
        if result.C is None
        else [i for i in result.on_margin if result.C is None or result.alphas[i] < result.C]
    )
    if not idx:
        return True
    V = np.array(
        [[result.labels[i] * float(v) for v in result.points[i]] + [result.labels[i]] for i in idx]
    )
    return int(np.linalg.matrix_rank(V, tol=1e-9)) == len(idx)
