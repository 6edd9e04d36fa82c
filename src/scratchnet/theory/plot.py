"""A figure of 2-D labelled points with a separating line and its two margin lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scratchnet.errors import ConfigError
from scratchnet.theory.numbers import Number

# Space left around the points on every side, in data units.
_PAD = 1.0


def plot_separator(
    points: Sequence[Sequence[Number]],
    labels: Sequence[int],
    w: Sequence[Number],
    b: Number,
    *,
    highlight: Sequence[int] = (),
    title: str = "",
) -> Figure:
    """Points (+1 blue, -1 red), ``w.x + b = 0`` solid, ``= +-1`` dashed, highlighted ones circled.

    Raises
    ------
    ConfigError
        If the points are not 2-D or ``w`` is zero.
    """
    line = _checked_line(points, w, b)
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    x_range, y_range = _padded_range(xs), _padded_range(ys)
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    _draw_margin_lines(ax, line, x_range, y_range)
    _draw_points(ax, xs, ys, labels, highlight)
    _finish_axes(ax, x_range, y_range, title)
    return fig


def _checked_line(
    points: Sequence[Sequence[Number]], w: Sequence[Number], b: Number
) -> tuple[float, float, float]:
    """``(w1, w2, b)`` as floats; ConfigError unless the points and ``w`` (2,) are 2-D and
    ``w`` is not zero."""
    if any(len(p) != 2 for p in points) or len(w) != 2:
        raise ConfigError("plot: only 2-D points can be plotted")
    w1, w2, bf = float(w[0]), float(w[1]), float(b)
    if w1 == 0 and w2 == 0:
        raise ConfigError("plot: w is zero, there is no line to draw")
    return w1, w2, bf


def _padded_range(values: Sequence[float]) -> tuple[float, float]:
    """The axis range of one coordinate: its smallest and largest value, _PAD beyond each."""
    return min(values) - _PAD, max(values) + _PAD


def _draw_margin_lines(
    ax: Axes,
    line: tuple[float, float, float],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> None:
    """``w.x + b = 0`` solid black, ``= +1`` and ``= -1`` dashed grey, across the axes;
    ``line`` is ``(w1, w2, b)``."""
    for level, style in ((0, "-"), (1, "--"), (-1, "--")):
        label = "w.x + b = 0" if level == 0 else f"w.x + b = {level:+d}"
        line_x, line_y = _level_ends(line, level, x_range, y_range)
        ax.plot(line_x, line_y, style, color="black" if level == 0 else "grey", label=label)


def _level_ends(
    line: tuple[float, float, float],
    level: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> tuple[list[float], list[float]]:
    """The two ends (x values, y values) of ``w.x + b = level``: at the ends of ``x_range``
    when the line is closer to horizontal (``|w2| >= |w1|``), else at the ends of ``y_range``."""
    w1, w2, b = line
    if abs(w2) >= abs(w1):
        line_x = list(x_range)
        return line_x, [(level - b - w1 * x) / w2 for x in line_x]
    line_y = list(y_range)
    return [(level - b - w2 * y) / w1 for y in line_y], line_y


def _draw_points(
    ax: Axes,
    xs: list[float],
    ys: list[float],
    labels: Sequence[int],
    highlight: Sequence[int],
) -> None:
    """Each class in its colour and marker, the ``highlight`` points circled, every point
    named ``x1``, ``x2``, ... (``xs``, ``ys``: the coordinates, (n_points,) each)."""
    for cls, color, marker in ((1, "tab:blue", "o"), (-1, "tab:red", "s")):
        idx = [i for i, y in enumerate(labels) if y == cls]
        _scatter(ax, xs, ys, idx, c=color, marker=marker, label=f"y = {cls:+d}", zorder=3)
    if highlight:
        circled = {"s": 220, "facecolors": "none", "edgecolors": "black", "zorder": 4}
        _scatter(ax, xs, ys, highlight, label="support vectors", **circled)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True), 1):
        ax.annotate(f"x{i}", (x, y), textcoords="offset points", xytext=(6, 6))


def _scatter(
    ax: Axes, xs: list[float], ys: list[float], indices: Sequence[int], **style: Any
) -> None:
    """The points at ``indices`` (into ``xs`` and ``ys``) drawn with matplotlib's ``style``."""
    ax.scatter([xs[i] for i in indices], [ys[i] for i in indices], **style)


def _finish_axes(
    ax: Axes, x_range: tuple[float, float], y_range: tuple[float, float], title: str
) -> None:
    """Limits, equal aspect, axis labels, grid, legend and the title (if any)."""
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
