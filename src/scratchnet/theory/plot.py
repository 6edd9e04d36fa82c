"""A figure of 2-D labelled points with a separating line and its two margin lines."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from scratchnet.errors import ConfigError
from scratchnet.theory.numbers import Number


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
    if any(len(p) != 2 for p in points) or len(w) != 2:
        raise ConfigError("plot: only 2-D points can be plotted")
    w1, w2, bf = float(w[0]), float(w[1]), float(b)
    if w1 == 0 and w2 == 0:
        raise ConfigError("plot: w is zero, there is no line to draw")
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    pad = 1.0
    lo_x, hi_x = min(xs) - pad, max(xs) + pad
    lo_y, hi_y = min(ys) - pad, max(ys) + pad
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    for level, style in ((0, "-"), (1, "--"), (-1, "--")):
        label = "w.x + b = 0" if level == 0 else f"w.x + b = {level:+d}"
        if abs(w2) >= abs(w1):
            line_x = [lo_x, hi_x]
            line_y = [(level - bf - w1 * x) / w2 for x in line_x]
        else:
            line_y = [lo_y, hi_y]
            line_x = [(level - bf - w2 * y) / w1 for y in line_y]
        ax.plot(line_x, line_y, style, color="black" if level == 0 else "grey", label=label)
    for cls, color, marker in ((1, "tab:blue", "o"), (-1, "tab:red", "s")):
        idx = [i for i, y in enumerate(labels) if y == cls]
        ax.scatter(
            [xs[i] for i in idx],
            [ys[i] for i in idx],
            c=color,
            marker=marker,
            label=f"y = {cls:+d}",
            zorder=3,
        )
    if highlight:
        ax.scatter(
            [xs[i] for i in highlight],
            [ys[i] for i in highlight],
            s=220,
            facecolors="none",
            edgecolors="black",
            label="support vectors",
            zorder=4,
        )
    for i, (x, y) in enumerate(zip(xs, ys, strict=True), 1):
        ax.annotate(f"x{i}", (x, y), textcoords="offset points", xytext=(6, 6))
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(lo_y, hi_y)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return fig
