"""Plain-text rendering of the theory results: aligned tables, each formula before its numbers.

Pure functions returning strings (the CLI prints them; the report may embed them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scratchnet.theory.backprop import (
    BackpropTrace,
    ParameterStep,
    SampleForward,
    describe_deltas,
    fmt_vector,
)
from scratchnet.theory.compare import Comparison
from scratchnet.theory.hyperplane import HyperplaneAnalysis, class_text
from scratchnet.theory.marking import plane_text
from scratchnet.theory.numbers import Number, fmt
from scratchnet.theory.svm import SVMResult


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned text table; numbers right-aligned, text left-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    numeric = [
        all(_looks_numeric(r[k]) for r in cells[1:]) if rows else False for k in range(len(headers))
    ]

    def line(row: list[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _looks_numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).replace("...", "").isdigit()


def _point(p: Sequence[Number]) -> str:
    return "(" + ", ".join(fmt(v) for v in p) + ")"


def backprop_text(trace: BackpropTrace) -> str:
    """The full trace: network, forward pass, loss, chain rule per parameter, update."""
    out = _network_lines(trace)
    out += _forward_lines(trace)
    out += _loss_lines(trace)
    out += _backward_lines(trace)
    for p in trace.parameters:
        out += _parameter_lines(p, trace.learning_rate)
    out += ["", "Updated parameters", _updates_table(trace.parameters)]
    return "\n".join(out)


def _network_lines(trace: BackpropTrace) -> list[str]:
    """The heading, then each layer's shape, weights W_l (n_out, n_in) flattened by rows,
    biases b_l (n_out,) and activation, then the learning rate."""
    kind = "exact fractions" if trace.exact else "float64"
    out = [f"Backpropagation, one gradient step ({kind})", ""]
    out.append("Network: z_l = W_l a_(l-1) + b_l,  a_l = f_l(z_l),  a_0 = x,  y_hat = a_L")
    for l, layer in enumerate(trace.network.layers, 1):
        w = fmt_vector([v for row in layer.weights for v in row])
        out.append(
            f"  layer {l}: {layer.shape[1]} -> {layer.shape[0]}, W{l} = {w}, "
            f"b{l} = {fmt_vector(list(layer.biases))}, activation {layer.activation}"
        )
    out.append(f"  learning rate eta = {fmt(trace.learning_rate)}")
    return out


def _sample_table(columns: Sequence[str], rows: Iterable[tuple[int, Sequence[object]]]) -> str:
    """A table of one row per sample: column ``i`` (the sample's number), then ``columns``;
    ``rows`` gives each sample's number and its cells, one per column."""
    return table(["i", *columns], [[i, *cells] for i, cells in rows])


def _layer_columns(n_layers: int) -> list[tuple[str, str, int]]:
    """The forward table's per-layer columns z1, a1, ..., z_L as (heading, ``"z"`` or ``"a"``,
    layer); the last layer's activation is the y_hat column."""
    return [
        (f"{kind}{l}", kind, l)
        for l in range(1, n_layers + 1)
        for kind in ("z", "a")
        if kind == "z" or l < n_layers
    ]


def _forward_lines(trace: BackpropTrace) -> list[str]:
    """The forward pass, one row per sample: x, z_l and a_l per layer (each (n_units_l,)),
    y_hat, y, the error and its square; then a note for each activation met at its kink."""
    columns = _layer_columns(len(trace.network.layers))
    headings = [heading for heading, _, _ in columns]
    rows = ((s.index, _forward_cells(s, columns)) for s in trace.samples)
    forward = _sample_table(["x", *headings, "y_hat", "y", "y - y_hat", "(y - y_hat)^2"], rows)
    notes = [f"  note: sample {s.index}: {k}" for s in trace.samples for k in s.kinks]
    return ["", "Forward pass", forward, *notes]


def _forward_cells(s: SampleForward, columns: list[tuple[str, str, int]]) -> list[object]:
    """One sample's cells of the forward table (``columns`` from :func:`_layer_columns`)."""
    errors = [t - p for t, p in zip(s.y, s.y_hat, strict=True)]
    layers = [fmt_vector(getattr(s, kind)[l]) for _, kind, l in columns]
    outputs = [fmt_vector(values) for values in (s.y_hat, s.y, errors)]
    return [fmt_vector(s.x), *layers, *outputs, fmt(s.squared_error)]


def _loss_lines(trace: BackpropTrace) -> list[str]:
    """The mean squared error over the N = n_samples * n_outputs entries, summed then divided."""
    n = trace.n_entries
    sse = sum(s.squared_error for s in trace.samples)
    return [
        "",
        f"Loss: MSE = (1/N) sum (y - y_hat)^2 with N = {n}",
        f"  MSE = {fmt(sse)} / {n} = {fmt(trace.loss)}",
    ]


def _backward_lines(trace: BackpropTrace) -> list[str]:
    """The backward recursion, then one row per sample: dMSE/dy_hat (n_outputs,) and each
    layer's delta_l = dMSE/dz_l (n_units_l,)."""
    layers = range(1, len(trace.network.layers) + 1)
    rows = (
        (s.index, [fmt_vector(s.dloss_dyhat), *(fmt_vector(s.deltas[l]) for l in layers)])
        for s in trace.samples
    )
    deltas = _sample_table(["dMSE/dy_hat_i", *(f"delta{l}_i" for l in layers)], rows)
    recursion = [f"  {line}" for line in describe_deltas(trace.network)]
    return ["", "Backward pass (chain rule)", *recursion, deltas]


def _parameter_lines(p: ParameterStep, learning_rate: Number) -> list[str]:
    """One parameter's gradient: its chain-rule formula, one row of factors per sample, the
    sum of the samples' terms, and its gradient-descent update."""
    labels = [label for label, _ in p.terms[0].factors]
    rows = ((t.sample, [*(fmt(v) for _, v in t.factors), fmt(t.value)]) for t in p.terms)
    terms = " + ".join(_paren(t.value) for t in p.terms)
    return [
        "",
        f"dMSE/d{p.name} = {p.formula}",
        _sample_table([*labels, "term"], rows),
        f"  dMSE/d{p.name} = {terms} = {fmt(p.gradient)}",
        f"  {p.name} <- {fmt(p.value)} - {fmt(learning_rate)} * {_paren(p.gradient)}"
        f" = {fmt(p.new_value)}",
    ]


def _updates_table(parameters: Sequence[ParameterStep]) -> str:
    """Each parameter's old value, gradient and new value."""
    return table(
        ["parameter", "old", "gradient", "new"],
        [[p.name, fmt(p.value), fmt(p.gradient), fmt(p.new_value)] for p in parameters],
    )


def _paren(value: Number) -> str:
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


WIDE = 48


def _short(text: str) -> str:
    return text if len(text) <= WIDE else text[: WIDE - 3] + "..."


def comparisons_text(title: str, comparisons: Sequence[Comparison]) -> str:
    """A table of quantity / given / correct / verdict, then the reasons numbered below it."""
    rows = [[c.quantity, _short(c.given), _short(c.correct), c.verdict] for c in comparisons]
    lines = [title, table(["quantity", "given", "correct", "verdict"], rows), ""]
    for c in comparisons:
        if c.verdict != "correct" or len(c.correct) > WIDE:
            full = f" [correct: {c.correct}]" if len(c.correct) > WIDE else ""
            lines.append(f"  {c.quantity}: {c.why}{full}")
    return "\n".join(lines).rstrip()


def svm_text(result: SVMResult) -> str:
    """Alphas, w, b, support vectors, margins."""
    kind = "hard margin" if result.C is None else f"soft margin, C = {fmt(result.C)}"
    out = [
        f"Linear SVM ({kind}; {'exact' if result.exact else 'float64'}; "
        f"SMO iterations {result.iterations})",
        "",
        "Dual: maximize sum a_i - 1/2 sum_ij a_i a_j y_i y_j x_i.x_j",
        "      subject to sum a_i y_i = 0, "
        + ("a_i >= 0" if result.C is None else f"0 <= a_i <= {fmt(result.C)}"),
        "",
    ]
    margins = result.functional_margins
    headers = ["i", "x_i", "y_i", "alpha_i", "y_i (w.x_i + b)"]
    if result.C is not None:
        headers.append("slack")
    rows = []
    for i, (p, y, a, m) in enumerate(
        zip(result.points, result.labels, result.alphas, margins, strict=True)
    ):
        row: list[object] = [f"x{i + 1}", _point(p), f"{y:+d}", fmt(a), fmt(m)]
        if result.C is not None:
            row.append(fmt(result.slacks[i]))
        rows.append(row)
    out.append(table(headers, rows))
    terms = " ".join(
        f"{'-' if a * y < 0 else '+'} {fmt(abs(a * y))} {_point(p)}"
        for p, y, a in zip(result.points, result.labels, result.alphas, strict=True)
        if a != 0
    ).lstrip("+ ")
    out += [
        "",
        f"w = sum a_i y_i x_i = {terms} = {_point(result.w)}",
        f"b = {fmt(result.b)}   (from y_i (w.x_i + b) = 1 on the free support vectors)",
        f"hyperplane: {plane_text(result.w, result.b)}",
        "support vectors (alpha > 0): "
        + ", ".join(f"x{i + 1} {_point(result.points[i])}" for i in result.support),
        f"on the margin (y f(x) = 1): {', '.join(f'x{i + 1}' for i in result.on_margin)}",
        f"||w||^2 = {fmt(result.w_norm_squared)},  margin 2/||w|| = {result.margin_text}",
        f"dual objective = {fmt(result.dual_objective)} = primal objective "
        f"{fmt(result.primal_objective)}",
    ]
    out += [f"note: {note}" for note in result.notes]
    return "\n".join(out)


def hyperplane_text(analysis: HyperplaneAnalysis) -> str:
    """Margin, functional margins, support vectors, classes of new points."""
    out = [
        f"Hyperplane {plane_text(analysis.w, analysis.b)}  "
        f"(w = {_point(analysis.w)}, b = {fmt(analysis.b)})",
        f"margin 2/||w|| = {analysis.margin_text}  "
        f"(distance to each side: {analysis.margin / 2:.10g})",
        "",
    ]
    rows = []
    for i, (p, y, m, d) in enumerate(
        zip(
            analysis.points,
            analysis.labels,
            analysis.functional_margins,
            analysis.distances,
            strict=True,
        )
    ):
        sv = (
            "support vector"
            if i in analysis.support_vectors
            else ("misclassified" if m <= 0 else "")
        )
        rows.append([_point(p), f"{y:+d}", fmt(analysis.decision(p)), fmt(m), f"{d:.6g}", sv])
    out.append(table(["x", "y", "w.x + b", "y (w.x + b)", "distance", ""], rows))
    if not analysis.canonical:
        smallest = fmt(min(analysis.functional_margins))
        out.append(f"note: not canonically scaled (smallest functional margin {smallest})")
    for p, c in zip(analysis.new_points, analysis.new_classes, strict=True):
        out.append(
            f"new point {_point(p)}: w.x + b = {fmt(analysis.decision(p))} -> class {class_text(c)}"
        )
    if analysis.is_max_margin is not None:
        verdict = "is" if analysis.is_max_margin else "is NOT"
        best = analysis.max_margin
        out.append(
            f"this {verdict} the maximum-margin hyperplane of these points"
            + (
                ""
                if analysis.is_max_margin
                else f" (that is w = {_point(best.w)}, b = {fmt(best.b)})"
            )
        )
    return "\n".join(out)
