"""Section C of the report: the Fashion-MNIST studies, the seed beside scikit-learn and us.

Each study's sweep folder holds its tables as ``<stem>.csv`` (columns in order) and
``<stem>.json`` (title and notes), plus PNG figures. Rows of a results table carry a ``source``
(``seed``, ``sklearn``, ``scratchnet``, ``scratchnet improved``); the columns before it name
the row's group (an activation, a feature layer). Every number of a group is highlighted
against the seed's row of that group, and a note says where the best choice differs. A damaged
file takes out the study that reads it, with a note naming the file and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scratchnet.report.document import Cell, Figure, Note, Paragraph, Section, Table, guarded
from scratchnet.runfiles import read_csv, read_json

SEED = "seed"
LOWER_IS_BETTER = ("mse", "loss", " s", "std", "rank")


@dataclass(frozen=True)
class StudyView:
    folder: str
    title: str
    intro: str
    tables: tuple[tuple[str, str | None], ...]  # (stem, metric deciding "best", if any)
    figures: tuple[tuple[str, str], ...]


STUDIES = (
    StudyView(
        "preprocessing",
        "C.1 Preprocessing",
        "Min-max scaling fitted on the training images (the seed's MinMaxScaler); a "
        "10,000-image validation set held out of the 60,000 training images.",
        (("preprocessing", None),),
        (("samples.png", "Ten random test images"),),
    ),
    StudyView(
        "activations",
        "C.2 Activations",
        "Hidden layers [128, 64, 32], Adam at the seed's learning rate 2e-5, batch 128, "
        "100 epochs; scikit-learn driven epoch by epoch so that its curves exist.",
        (("activations", "val acc %"), ("engines", None)),
        (("loss.png", "Log loss per epoch"), ("accuracy.png", "Accuracy per epoch")),
    ),
    StudyView(
        "gridsearch",
        "C.3 Grid search",
        "scikit-learn's GridSearchCV, unchanged, over learning rate {1e-4, 1e-5} x batch "
        "size {128, 256} with 3-fold cross-validation, on both engines.",
        (("gridsearch", None), ("candidates", None), ("engines", None)),
        (),
    ),
    StudyView(
        "autoencoder",
        "C.4 Autoencoder",
        "A [64, 32, 16, 32, 64] regressor trained to regenerate its input.",
        (("autoencoder", "test R2"), ("engines", None)),
        (
            ("mse.png", "Mean squared error per epoch"),
            ("reconstructions.png", "Test images above their reconstructions"),
        ),
    ),
    StudyView(
        "features",
        "C.5 Hidden features",
        "Classifiers with two hidden layers of 16 units trained on the autoencoders' "
        "hidden activations.",
        (("features", "test acc %"), ("engines", None)),
        (("accuracy.png", "Accuracy per epoch"),),
    ),
)


def build(folder: Path) -> Section:
    """The section from ``folder/<study>/`` sweep folders; missing studies are noted."""
    section = Section("Section C: Fashion-MNIST studies", anchor="section-c")
    section.blocks.append(
        Paragraph(
            "Each study runs with scikit-learn's MLPClassifier / MLPRegressor (the seed's tool) "
            "and with scratchnet's estimators on the same data, beside the seed's figures; "
            "the improved rows use a recipe of our own with scratchnet."
        )
    )
    section.subsections = [
        guarded(view.title, lambda v=view: _study(folder / v.folder, v)) for view in STUDIES
    ]
    return section


def _study(folder: Path, view: StudyView) -> Section:
    section = Section(view.title, [Paragraph(view.intro)])
    if not any((folder / f"{stem}.csv").exists() for stem, _ in view.tables):
        section.blocks.append(Note(f"Not run: no tables in {folder}.", "missing"))
        return section
    for stem, metric in view.tables:
        if not (folder / f"{stem}.csv").exists():
            continue
        columns, rows = read_csv(folder / f"{stem}.csv")
        title, notes = _meta(folder / f"{stem}.json", stem)
        section.blocks += [Paragraph(note) for note in notes[:1]]
        section.blocks.append(_table(columns, rows, title))
        if metric and metric in columns:
            section.blocks += _best_notes(columns, rows, metric)
    section.blocks += [
        Figure(folder / name, caption)
        for name, caption in view.figures
        if (folder / name).is_file()
    ]
    return section


def _table(columns: list[str], rows: list[dict], title: str) -> Table:
    group = columns[: columns.index("source")] if "source" in columns else []
    seeds = {tuple(r[c] for c in group): r for r in rows if r.get("source") == SEED}
    out = []
    for row in rows:
        seed = seeds.get(tuple(row[c] for c in group)) if row.get("source") != SEED else None
        out.append(
            [_cell(column, row[column], seed.get(column) if seed else None) for column in columns]
        )
    return Table(columns, out, caption=title)


def _cell(column: str, raw: str, seed_text: str | None) -> str | Cell:
    text = _display(raw)
    if column == "within":
        return Cell(text, "good" if text == "yes" else "bad")
    if column.startswith("speedup") or column.endswith("speedup"):
        value = _float(raw)
        return Cell(text, None if value is None else "good" if value >= 2 else "bad")
    ours, seed = _float(raw), _float(seed_text)
    if ours is None or seed is None:
        return text
    lower = any(marker in column.lower() for marker in LOWER_IS_BETTER)
    difference = (seed - ours) if lower else (ours - seed)
    return Cell(text, "same" if abs(difference) < 1e-9 else "good" if difference > 0 else "bad")


def _best_notes(columns: list[str], rows: list[dict], metric: str) -> list[Note]:
    """Which group is best by ``metric``, for the seed and for each source that ran them all."""
    group = columns[: columns.index("source")] if "source" in columns else []
    if not group:
        return []
    groups_of: dict[str, set[str]] = {}
    for row in rows:
        groups_of.setdefault(row["source"], set()).add(", ".join(row[c] for c in group))
    complete = {s for s, g in groups_of.items() if g >= groups_of.get(SEED, set())}
    best: dict[str, tuple[str, float]] = {}
    for row in (r for r in rows if r["source"] in complete):
        value = _float(row.get(metric))
        name = ", ".join(row[c] for c in group)
        if value is not None and (row["source"] not in best or value > best[row["source"]][1]):
            best[row["source"]] = (name, value)
    if SEED not in best or len(best) < 2:
        return []
    seed_name, seed_value = best[SEED]
    others = {s: b for s, b in best.items() if s != SEED}
    differing = {s: b for s, b in others.items() if b[0] != seed_name}
    described = "; ".join(
        f"{source}: {name} ({value:g})" for source, (name, value) in others.items()
    )
    if differing:
        return [
            Note(
                f"By {metric}, the seed found **{seed_name}** best ({seed_value:g}); here "
                f"the best is, per engine, {described}.",
                "differs",
            )
        ]
    return [
        Note(f"By {metric}, **{seed_name}** is best here too, as the seed found ({described}).")
    ]


def _display(text: str) -> str:
    """A CSV number at a readable precision (integers and words unchanged)."""
    value = _float(text)
    if value is None or text.lstrip("-").isdigit():
        return text
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.4g}"


def _meta(path: Path, stem: str) -> tuple[str, list[str]]:
    """A table's title and notes from its ``<stem>.json`` (the stem and none if absent)."""
    if not path.exists():
        return stem, []
    view = read_json(path)
    return view.get("title", stem).text(), [note.text() for note in view.get("notes", []).items()]


def _float(text: str | None) -> float | None:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
