"""Is a labelled point set linearly separable? An exact answer by a phase-1 simplex (Bland's rule).

Separable means some ``(w, b)`` has ``y_i (w . x_i + b) >= 1`` for all ``i``. Phase 1 minimizes
the total violation; at optimum 0 the basis gives such ``(w, b)``, otherwise the duals
``lam >= 0`` satisfy ``sum lam_i y_i x_i = 0`` and ``sum lam_i y_i = 0`` (Farkas): a convex
combination of the +1 points equals a convex combination of the -1 points, a point in both
convex hulls. With Fractions every step is exact; with floats a small tolerance is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from scratchnet.theory.numbers import Number


@dataclass(frozen=True)
class Separability:
    """Result of :func:`check`: a separating ``(w, b)`` or a common point of the two hulls."""

    separable: bool
    w: list[Number] | None = None
    b: Number | None = None
    weights: list[Number] | None = None  # convex weights per point (each class sums to 1)
    common_point: list[Number] | None = None


def check(points: Sequence[Sequence[Number]], labels: Sequence[int]) -> Separability:
    """Decide separability of ``points`` (n, d) with ``labels`` in {-1, +1}.

    Exact when the coordinates are Fractions, else float64 with tolerance 1e-9.
    """
    exact = all(isinstance(v, Fraction | int) for p in points for v in p)
    eps: Number = Fraction(0) if exact else 1e-9
    zero, one = (Fraction(0), Fraction(1)) if exact else (0.0, 1.0)
    n, d = len(points), len(points[0])
    rows = [[y * v for v in p] + [y * one] for p, y in zip(points, labels, strict=True)]
    m = d + 1
    # Columns: u+ (m), u- (m), surplus (n), artificial (n); then the right-hand side.
    n_cols = 2 * m + 2 * n
    tableau = []
    for i, row in enumerate(rows):
        line = row + [-v for v in row] + [zero] * (2 * n) + [one]
        line[2 * m + i] = -one
        line[2 * m + n + i] = one
        tableau.append(line)
    basis = [2 * m + n + i for i in range(n)]
    cost = [zero] * (2 * m + n) + [one] * n
    _simplex(tableau, basis, cost, n_cols, eps)
    reduced = _reduced_costs(tableau, basis, cost, n_cols)
    total = sum(tableau[i][-1] for i in range(n) if basis[i] >= 2 * m + n)
    if total <= eps:
        u = [zero] * (2 * m)
        for i, col in enumerate(basis):
            if col < 2 * m:
                u[col] = tableau[i][-1]
        wb = [u[k] - u[m + k] for k in range(m)]
        return Separability(True, w=wb[:d], b=wb[d])
    lam = [one - reduced[2 * m + n + i] for i in range(n)]
    lam = [v if v > eps else zero for v in lam]
    weights: list[Number] = [zero] * n
    for cls in (1, -1):
        mass = sum(lam[i] for i in range(n) if labels[i] == cls)
        for i in range(n):
            if labels[i] == cls:
                weights[i] = lam[i] / mass
    common = [sum(weights[i] * points[i][k] for i in range(n) if labels[i] == 1) for k in range(d)]
    return Separability(False, weights=weights, common_point=common)


def _reduced_costs(
    tableau: list[list[Number]], basis: list[int], cost: list[Number], n_cols: int
) -> list[Number]:
    return [
        cost[j] - sum(cost[basis[i]] * tableau[i][j] for i in range(len(basis)))
        for j in range(n_cols)
    ]


def _simplex(
    tableau: list[list[Number]], basis: list[int], cost: list[Number], n_cols: int, eps: Number
) -> None:
    """Minimize ``cost`` in place by Bland's rule (no cycling); the problem is bounded below."""
    while True:
        reduced = _reduced_costs(tableau, basis, cost, n_cols)
        entering = next((j for j in range(n_cols) if reduced[j] < -eps), None)
        if entering is None:
            return
        best = None
        for i, row in enumerate(tableau):
            if row[entering] > eps:
                ratio = row[-1] / row[entering]
                key = (ratio, basis[i])
                if best is None or key < best[0]:
                    best = (key, i)
        if best is None:  # unbounded; impossible for phase 1
            return
        _pivot(tableau, best[1], entering)
        basis[best[1]] = entering


def _pivot(tableau: list[list[Number]], r: int, c: int) -> None:
    pivot = tableau[r][c]
    tableau[r] = [v / pivot for v in tableau[r]]
    for i, row in enumerate(tableau):
        if i != r and row[c] != 0:
            factor = row[c]
            tableau[i] = [a - factor * b for a, b in zip(row, tableau[r], strict=True)]
