"""A given hyperplane ``w·x + b = 0`` and labelled points: margins, support vectors, new points.

Under the canonical scaling (the closest points have ``y (w . x + b) = 1``) the street between
``w . x + b = +1`` and ``-1`` has width ``2/||w||`` and the support vectors are the points with
functional margin exactly 1. :func:`analyze` also fits the hard-margin SVM to the same points,
to say whether the given hyperplane is the maximum-margin one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scratchnet.errors import ConfigError
from scratchnet.theory import svm
from scratchnet.theory.numbers import Number, to_fraction


@dataclass
class HyperplaneAnalysis:
    """Result of :func:`analyze`; exact Fractions throughout, ``to_dict`` gives floats."""

    w: list[Number]
    b: Number
    points: list[list[Number]]
    labels: list[int]
    new_points: list[list[Number]]
    max_margin: svm.SVMResult | None

    @property
    def w_norm_squared(self) -> Number:
        return sum(v * v for v in self.w)

    @property
    def margin(self) -> float:
        """Width of the street, ``2/||w||``."""
        return 2.0 / math.sqrt(float(self.w_norm_squared))

    @property
    def margin_text(self) -> str:
        return svm.margin_text(self.w)

    def decision(self, point: Sequence[Number]) -> Number:
        return sum((wk * xk for wk, xk in zip(self.w, point, strict=True)), self.b)

    @property
    def functional_margins(self) -> list[Number]:
        return [y * self.decision(p) for p, y in zip(self.points, self.labels, strict=True)]

    @property
    def distances(self) -> list[float]:
        """Signed distance ``y (w . x + b) / ||w||`` of each point to the hyperplane."""
        norm = math.sqrt(float(self.w_norm_squared))
        return [float(m) / norm for m in self.functional_margins]

    @property
    def support_vectors(self) -> list[int]:
        """Indices with functional margin exactly 1."""
        return [i for i, m in enumerate(self.functional_margins) if m == 1]

    @property
    def misclassified(self) -> list[int]:
        return [i for i, m in enumerate(self.functional_margins) if m <= 0]

    @property
    def canonical(self) -> bool:
        """Whether the smallest functional margin is exactly 1."""
        return min(self.functional_margins) == 1

    @property
    def new_classes(self) -> list[int]:
        """Predicted class (+1, -1, or 0 on the hyperplane) for each new point."""
        return [(v > 0) - (v < 0) for v in (self.decision(p) for p in self.new_points)]

    @property
    def is_max_margin(self) -> bool | None:
        """Whether (w, b) is exactly the hard-margin SVM's solution; None if not separable."""
        if self.max_margin is None:
            return None
        return list(self.max_margin.w) == list(self.w) and self.max_margin.b == self.b

    def to_dict(self) -> dict[str, Any]:
        f = float
        return {
            "w": [f(v) for v in self.w],
            "b": f(self.b),
            "points": [[f(v) for v in p] for p in self.points],
            "labels": self.labels,
            "w_norm_squared": f(self.w_norm_squared),
            "margin": self.margin,
            "margin_text": self.margin_text,
            "half_margin": self.margin / 2,
            "functional_margins": [f(m) for m in self.functional_margins],
            "distances": self.distances,
            "support_vectors": self.support_vectors,
            "misclassified": self.misclassified,
            "canonical": self.canonical,
            "new_points": [
                {"point": [f(v) for v in p], "decision": f(self.decision(p)), "class": c}
                for p, c in zip(self.new_points, self.new_classes, strict=True)
            ],
            "is_max_margin": self.is_max_margin,
            "max_margin": None
            if self.max_margin is None
            else {"w": [f(v) for v in self.max_margin.w], "b": f(self.max_margin.b)},
        }


def analyze(
    w: Sequence[Any],
    b: Any,
    points: Sequence[Sequence[Any]],
    labels: Sequence[Any],
    new_points: Sequence[Sequence[Any]] = (),
) -> HyperplaneAnalysis:
    """Analyze the hyperplane ``(w, b)`` on labelled points and classify ``new_points``.

    Raises
    ------
    ConfigError
        If ``w`` is zero or any point has a different dimension from ``w``.
    """
    wf = [to_fraction(v, name="w") for v in w]
    if not wf or all(v == 0 for v in wf):
        raise ConfigError("w: expected a non-zero normal vector")
    bf = to_fraction(b, name="b")
    rows, ys = svm.parse_data(points, labels)
    for option, group in (("points", rows), ("new points", new_points)):
        for p in group:
            if len(p) != len(wf):
                raise ConfigError(
                    f"{option}: point {list(p)} has {len(p)} coordinates, w has {len(wf)}"
                )
    new = [[to_fraction(v, name="new point") for v in p] for p in new_points]
    try:
        best = svm.fit_hard_margin(rows, ys, exact=True)
    except svm.NotSeparableError:
        best = None
    return HyperplaneAnalysis(wf, bf, rows, ys, new, best)


def class_text(label: int) -> str:
    """``+1``, ``-1`` or ``on the hyperplane``."""
    return {1: "+1", -1: "-1"}.get(label, "on the hyperplane (0)")
