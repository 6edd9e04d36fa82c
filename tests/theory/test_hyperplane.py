"""Margins, support vectors and classification for a given hyperplane."""

from __future__ import annotations

import pytest

from scratchnet.errors import ConfigError
from scratchnet.theory import hyperplane, original


def test_original_q3():
    a = original.hyperplane_analysis()
    assert a.w_norm_squared == 4 and a.margin == 1 and a.margin_text == "2/2 = 1"
    assert a.functional_margins == [3, 1, 1, 3]
    assert a.distances == [1.5, 0.5, 0.5, 1.5]
    assert a.support_vectors == [1, 2]
    assert a.new_classes == [1] and a.decision(a.new_points[0]) == 3
    assert a.canonical and a.misclassified == []
    assert a.is_max_margin is True


def test_scaled_plane_is_not_canonical_nor_max_margin():
    h = original.HYPERPLANE
    a = hyperplane.analyze([-4, 0], 10, h["points"], h["labels"], [(2.5, 0), (3, 0)])
    assert a.functional_margins == [6, 2, 2, 6]
    assert a.support_vectors == [] and not a.canonical
    assert a.new_classes == [0, -1]  # (2.5, 0) lies on the hyperplane
    assert a.is_max_margin is False
    assert a.max_margin.w == [-2, 0] and a.max_margin.b == 5


def test_misclassified_points_are_listed():
    a = hyperplane.analyze([1, 0], 0, [(1, 0), (2, 0)], [1, -1])
    assert a.misclassified == [1]


def test_non_separable_points_have_no_max_margin():
    a = hyperplane.analyze([1, 0], 0, [(0, 0), (1, 1), (1, 0), (0, 1)], [1, 1, -1, -1])
    assert a.is_max_margin is None


@pytest.mark.parametrize(
    ("w", "points", "message"),
    [([0, 0], [(1, 2), (2, 3)], "non-zero"), ([1, 0, 0], [(1, 2), (2, 3)], "3")],
)
def test_bad_input(w, points, message):
    with pytest.raises(ConfigError, match=message):
        hyperplane.analyze(w, 0, points, [1, -1])
