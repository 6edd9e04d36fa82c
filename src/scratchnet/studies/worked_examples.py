"""Section A of the study: the three hand-worked exercises, solved exactly, written to a folder.

Writes ``comparisons.json`` (the original's answers against the exact ones), ``backprop.json``,
``svm.json``, ``hyperplane.json`` and ``svm.png`` (the original's six points with the maximum-margin
line), so that the report is built from files, like every other section.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.fileio import write_json
from scratchnet.sweep.figures import save as save_figure


def run(out_dir: str | Path) -> dict[str, int]:
    """Solve the original study's exercises into ``out_dir``; return verdict counts per exercise."""
    from scratchnet.theory import original
    from scratchnet.theory.compare import summary
    from scratchnet.theory.plot import plot_separator

    out = Path(out_dir)
    comparisons = original.compare_with_original()
    write_json(out / "backprop.json", original.backprop_trace().to_dict())
    fit = original.svm_fit()
    write_json(out / "svm.json", fit.to_dict())
    write_json(out / "hyperplane.json", original.hyperplane_analysis().to_dict())
    figure = plot_separator(
        original.SVM_POINTS,
        original.SVM_LABELS,
        fit.w,
        fit.b,
        highlight=fit.support,
        title="Hard-margin SVM on the original study's six points",
    )
    save_figure(figure, out / "svm.png")
    write_json(
        out / "comparisons.json",
        {name: [c.to_dict() for c in items] for name, items in comparisons.items()},
    )
    return {name: summary(items).get("wrong", 0) for name, items in comparisons.items()}
