"""Section A of the study: the three hand-worked exercises, solved exactly, written to a folder.

Writes ``comparisons.json`` (the seed's answers against the exact ones), ``backprop.json``,
``svm.json``, ``hyperplane.json`` and ``svm.png`` (the seed's six points with the maximum-margin
line), so that the report is built from files, like every other section.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.fileio import write_json
from scratchnet.sweep.figures import save as save_figure


def run(out_dir: str | Path) -> dict[str, int]:
    """Solve the seed's exercises into ``out_dir``; return verdict counts per exercise."""
    from scratchnet.theory import seed
    from scratchnet.theory.compare import summary
    from scratchnet.theory.plot import plot_separator

    out = Path(out_dir)
    comparisons = seed.compare_with_seed()
    write_json(out / "backprop.json", seed.backprop_trace().to_dict())
    fit = seed.svm_fit()
    write_json(out / "svm.json", fit.to_dict())
    write_json(out / "hyperplane.json", seed.hyperplane_analysis().to_dict())
    figure = plot_separator(
        seed.SVM_POINTS,
        seed.SVM_LABELS,
        fit.w,
        fit.b,
        highlight=fit.support,
        title="Hard-margin SVM on the seed's six points",
    )
    save_figure(figure, out / "svm.png")
    write_json(
        out / "comparisons.json",
        {name: [c.to_dict() for c in items] for name, items in comparisons.items()},
    )
    return {name: summary(items).get("wrong", 0) for name, items in comparisons.items()}
