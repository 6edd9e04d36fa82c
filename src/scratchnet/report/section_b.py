"""Section B of the report: the MNIST activation x initialization study, the original beside
ours.

Reads each protocol's sweep folder (``results.csv``, ``sweep.json`` and the sweep's figures);
writes automatic notes where a finding differs from the original study's. A damaged file takes
out the protocol that reads it, with a note naming the file and what is wrong; a number that
does not parse shows as a dash.
"""

from __future__ import annotations

from pathlib import Path

from scratchnet.report.document import (
    Cell,
    Figure,
    Note,
    Paragraph,
    Section,
    Table,
    compare_cell,
    guarded,
)
from scratchnet.runfiles import RunFolderError, read_csv, read_json

PROTOCOLS = (
    ("seed", "The original study's protocol, as written"),
    (
        "seed_summed",
        "The original study's protocol with a summed batch gradient, as its code likely ran",
    ),
    ("improved", "An improved recipe for the same network"),
)
CHANCE_PCT = 15.0  # ten classes: anything below this learned nothing


def build(folder: Path) -> Section:
    """The section from ``folder/<protocol>/`` sweep folders; missing ones are noted."""
    section = Section("Section B: activations and initializations on MNIST", anchor="section-b")
    section.blocks.append(
        Paragraph(
            "A 784-256-128-64-32-10 network, four hidden activations x three weight "
            "initializations, on the original study's stratified 80:10:10 split of the 60,000 "
            "MNIST training images (48,000 / 6,000 / 6,000); test accuracy on the original's "
            "6,000-image test split and on the official 10,000-image test set."
        )
    )
    results, damaged = {}, {}
    for name, _ in PROTOCOLS:
        try:
            results[name] = _read_rows(folder / name / "results.csv")
        except RunFolderError as exc:
            results[name], damaged[name] = [], exc
    if results["seed"]:
        section.blocks.append(_side_by_side(results))
    for name, title in PROTOCOLS:
        section.subsections.append(
            guarded(title, lambda n=name, t=title: _protocol(folder / n, t, results[n], damaged))
        )
    return section


SHORT_NAMES = {"seed": "as written", "seed_summed": "summed gradient", "improved": "improved"}


def _side_by_side(results: dict[str, list[dict]]) -> Table:
    """One row per cell of the seed's grid: the seed's figure, then each protocol's."""
    ran = [name for name, _ in PROTOCOLS if results[name]]
    by_cell = {
        name: {(r["activation"], r["weight_init"]): r for r in results[name]} for name in ran
    }
    rows = []
    for row in results["seed"]:
        cell = (row["activation"], row["weight_init"])
        seed = _float(row["seed_test_accuracy_pct"])
        line = [row["activation"], row["weight_init"], _fmt(seed)]
        for name in ran:
            ours = _float(by_cell[name].get(cell, {}).get("test_accuracy_pct"))
            line.append("–" if ours is None else _accuracy_cell(ours, seed))
        rows.append(line)
    return Table(
        ["activation", "init", "the original %", *(f"ours, {SHORT_NAMES[n]} %" for n in ran)],
        rows,
        caption="Test accuracy on the original study's 6,000-image test split",
    )


def _protocol(
    folder: Path, title: str, rows: list[dict], damaged: dict[str, RunFolderError]
) -> Section:
    if folder.name in damaged:
        raise damaged[folder.name]
    section = Section(title)
    if not rows:
        section.blocks.append(Note(f"Not run: no results in {folder}.", "missing"))
        return section
    settings = _settings(folder)
    if settings:
        section.blocks.append(Table(["setting", "value"], settings, caption="Settings"))
    section.blocks.append(_cells_table(rows))
    section.blocks += _differences(rows)
    for name, caption in (
        ("test_accuracy_heatmap.png", "Test accuracy, activation x init"),
        ("loss_curves.png", "Training and validation loss of every cell"),
    ):
        if (folder / name).is_file():
            section.blocks.append(Figure(folder / name, caption))
    return section


CELL_COLUMNS = [
    "activation",
    "init",
    "test % (original split)",
    "test % (official 10k)",
    "the original %",
    "best epoch",
    "epochs",
    "final train loss",
    "final val loss",
    "time (s)",
]


def _cells_table(rows: list[dict]) -> Table:
    """Every cell of a protocol, its accuracy highlighted against the original's."""
    return Table(
        CELL_COLUMNS,
        [
            [
                r["activation"],
                r["weight_init"],
                _accuracy_cell(_float(r["test_accuracy_pct"]), _float(r["seed_test_accuracy_pct"]))
                if r["status"] == "complete"
                else r["status"],
                _fmt(_float(r["official_test_accuracy_pct"])),
                _fmt(_float(r["seed_test_accuracy_pct"])),
                r["best_epoch"],
                r["epochs"],
                _fmt(_float(r["final_train_loss"]), 4),
                _fmt(_float(r["final_val_loss"]), 4),
                _fmt(_float(r["wall_time_s"]), 1),
            ]
            for r in rows
        ],
        caption="Every cell; green beats the original's figure, red falls short",
    )


def _accuracy_cell(ours: float | None, seed: float | None) -> Cell:
    """Our accuracy, highlighted against the seed's; two chance-level figures are the same."""
    if ours is None:
        return Cell("–")
    if seed is not None and max(ours, seed) < CHANCE_PCT:
        return Cell(f"{ours:.2f}", "same")
    return compare_cell(ours, seed, tolerance=0.05)


def _differences(rows: list[dict]) -> list[Note]:
    """Notes where a cell's fate differs from the seed's: learned vs stuck at chance."""
    notes = []
    for r in rows:
        seed, ours = _float(r["seed_test_accuracy_pct"]), _float(r["test_accuracy_pct"])
        if seed is None or ours is None:
            continue
        cell = f"{r['activation']} with {r['weight_init']} initialization"
        if seed < CHANCE_PCT <= ours:
            notes.append(
                Note(
                    f"The original study found {cell} stuck at chance ({seed:.2f}%); here it "
                    f"learns, reaching {ours:.2f}%.",
                    "differs",
                )
            )
        elif ours < CHANCE_PCT <= seed:
            notes.append(
                Note(
                    f"The original study's {cell} reached {seed:.2f}%; here it stays at chance "
                    f"({ours:.2f}%).",
                    "differs",
                )
            )
    complete = [r for r in rows if _float(r["test_accuracy_pct"]) is not None]
    if complete:
        best = max(complete, key=lambda r: _float(r["test_accuracy_pct"]))
        seed_best = max(complete, key=lambda r: _float(r["seed_test_accuracy_pct"]) or 0.0)
        same = (best["activation"], best["weight_init"]) == (
            seed_best["activation"],
            seed_best["weight_init"],
        )
        notes.append(
            Note(
                f"Best cell here: {best['activation']} with {best['weight_init']} initialization, "
                f"{_float(best['test_accuracy_pct']):.2f}% "
                + (
                    "(the original's best too)."
                    if same
                    else f"(the original's best was {seed_best['activation']} with "
                    f"{seed_best['weight_init']}, {seed_best['seed_test_accuracy_pct']}%)."
                ),
                "info" if same else "differs",
            )
        )
    return notes


def _settings(folder: Path) -> list[list[str]]:
    """The shared model settings of the sweep, from its ``sweep.json``."""
    path = folder / "sweep.json"
    if not path.exists():
        return []
    model = read_json(path).get("config", {}).get("model", {})
    keys = (
        "optimizer",
        "lr",
        "lr_schedule",
        "weight_decay",
        "batch_size",
        "epochs",
        "early_stopping",
        "patience",
        "min_delta",
    )
    present = dict(model.entries())
    return [[key, present[key].scalar()] for key in keys if key in present]


COLUMNS = (
    "activation",
    "weight_init",
    "status",
    "seed_test_accuracy_pct",
    "test_accuracy_pct",
    "official_test_accuracy_pct",
    "best_epoch",
    "epochs",
    "final_train_loss",
    "final_val_loss",
    "wall_time_s",
)


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return read_csv(path, required=COLUMNS)[1]


def _float(text: str | None) -> float | None:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
