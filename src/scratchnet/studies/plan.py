"""The reproduction's plan: every study of the original, in order, as a folder of the run, a
title and the config file it runs (:mod:`scratchnet.studies.reproduce` runs it); and the
report's sections those folders make (:func:`run_view`, written as the run's ``report.json``).

A step's folder ``<section>/<part>`` is a part of the section ``<section>``; a section named in
:data:`SECTIONS` gets its title and intro from there, any other its first step's title. So a
study added here shows up in the report, and on its first screen, with no edit of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from scratchnet.errors import ConfigError
from scratchnet.views import RunView, SectionView


def configs_folder() -> Path:
    """The ``configs/`` folder of the source checkout this package runs from."""
    folder = Path(__file__).resolve().parents[3] / "configs"
    if not folder.is_dir():
        raise ConfigError(
            f"no configs folder at {folder}: run from a source checkout installed with "
            f"'pip install -e .', or pass --configs DIR"
        )
    return folder


@dataclass(frozen=True)
class Step:
    """One study of the reproduction: its folder, its title and its config file."""

    folder: str
    title: str
    config: str | None = None  # file name in the configs folder; None for Section A
    full_minutes: float = 0.0  # measured on the reference machine (2-core AMD EPYC), full data
    study: str | None = None  # the study its config names (for folders written before views)


MNIST = "mnist-activation-init"
PLAN = (
    Step("section_a", "Section A: worked examples"),
    Step(
        "section_b/original",
        "Section B: MNIST, the original study's protocol",
        "mnist_original.toml",
        5.1,
        MNIST,
    ),
    Step(
        "section_b/original_summed",
        "Section B: MNIST, the original study's protocol with summed gradients",
        "mnist_original_summed.toml",
        1.8,
        MNIST,
    ),
    Step(
        "section_b/improved",
        "Section B: MNIST, an improved recipe",
        "mnist_improved.toml",
        5.2,
        MNIST,
    ),
    Step(
        "section_c/preprocessing",
        "Section C.1: preprocessing",
        "fashion_preprocessing.toml",
        study="fashion-preprocessing",
    ),
    Step(
        "section_c/activations",
        "Section C.2: activations",
        "fashion_activations.toml",
        13.5,
        "fashion-activations",
    ),
    Step(
        "section_c/gridsearch",
        "Section C.3: grid search",
        "fashion_gridsearch.toml",
        10.6,
        "fashion-gridsearch",
    ),
    Step(
        "section_c/autoencoder",
        "Section C.4: autoencoder",
        "fashion_autoencoder.toml",
        11.2,
        "fashion-autoencoder",
    ),
    Step(
        "section_c/features",
        "Section C.5: hidden features",
        "fashion_features.toml",
        2.7,
        "fashion-features",
    ),
    # the records, measured: MNIST its five cells on two workers (1,613 cell-seconds), the
    # others as run whole (297 s and 427 s)
    Step("records/mnist", "Records: MNIST", "mnist_record.toml", 13.5, "record"),
    Step("records/fashion", "Records: Fashion-MNIST", "fashion_record.toml", 5.0, "record"),
    Step(
        "records/autoencoder",
        "Records: Fashion-MNIST autoencoder",
        "autoencoder_record.toml",
        7.1,
        "record",
    ),
)

TITLE = "scratchnet: the study, reproduced"
SUBTITLE = (
    "Every experiment of the original study (Sections A, B and C) rerun from scratch, with "
    "its figures beside ours, and how far its networks go. Green cells beat the original, red "
    "ones fall short."
)
#: The sections' own titles and intros, by folder; ``kind`` as in SectionView.
SECTIONS = {
    "section_a": SectionView(
        "Section A: worked examples", "section_a", "section-a", kind="worked-examples"
    ),
    "section_b": SectionView(
        "Section B: activations and initializations on MNIST",
        "section_b",
        "section-b",
        "A 784-256-128-64-32-10 network, four hidden activations x three weight "
        "initializations, on the original study's stratified 80:10:10 split of the 60,000 "
        "MNIST training images (48,000 / 6,000 / 6,000); test accuracy on the original's "
        "6,000-image test split and on the official 10,000-image test set.",
    ),
    "section_c": SectionView(
        "Section C: Fashion-MNIST studies",
        "section_c",
        "section-c",
        "Each study runs with scikit-learn's MLPClassifier / MLPRegressor (the original "
        "study's tool) and with scratchnet's estimators on the same data, beside the original "
        "study's figures; the improved rows use a recipe of our own with scratchnet.",
    ),
    "records": SectionView(
        "Records: how far the original's networks go",
        "records",
        "records",
        "The original study's three networks with their layer sizes unchanged, each trained "
        "through a ladder of recipes on 50,000 training images and scored on the other 10,000 "
        "(validation) only; the best step on validation is the record, trained once more on all "
        "60,000 training images, and that model alone is scored on the official 10,000 test "
        "images, once.",
    ),
}


def section_of(step: Step) -> str:
    """The section folder a step belongs to: ``"section_b/improved"`` -> ``"section_b"``."""
    return step.folder.split("/", 1)[0]


def run_view(plan: tuple[Step, ...] = PLAN) -> RunView:
    """The report's sections, in the order of their first step; each lists its steps'
    folders as parts (a step that is a section's folder itself lists none)."""
    found: dict[str, SectionView] = {}
    for step in plan:
        name = section_of(step)
        section = found.get(name) or SECTIONS.get(name) or SectionView(step.title, name)
        parts = section.parts + ((step.folder,) if step.folder != name else ())
        found[name] = replace(section, parts=parts)
    return RunView(TITLE, SUBTITLE, tuple(found.values()))
