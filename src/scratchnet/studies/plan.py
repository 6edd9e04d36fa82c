"""The reproduction's plan: every study of the original, in order, as a folder of the run, a
title and the config file it runs (:mod:`scratchnet.studies.reproduce` runs it)."""

from __future__ import annotations

from dataclasses import dataclass


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
    Step("section_b/seed", "Section B: MNIST, the seed's protocol", "mnist_seed.toml", 6.0, MNIST),
    Step(
        "section_b/seed_summed",
        "Section B: MNIST, the seed's protocol with summed gradients",
        "mnist_seed_summed.toml",
        6.0,
        MNIST,
    ),
    Step(
        "section_b/improved",
        "Section B: MNIST, an improved recipe",
        "mnist_improved.toml",
        6.0,
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
        9.0,
        "fashion-activations",
    ),
    Step(
        "section_c/gridsearch",
        "Section C.3: grid search",
        "fashion_gridsearch.toml",
        10.0,
        "fashion-gridsearch",
    ),
    Step(
        "section_c/autoencoder",
        "Section C.4: autoencoder",
        "fashion_autoencoder.toml",
        6.0,
        "fashion-autoencoder",
    ),
    Step(
        "section_c/features",
        "Section C.5: hidden features",
        "fashion_features.toml",
        3.0,
        "fashion-features",
    ),
    Step("records/mnist", "Records: MNIST", "mnist_record.toml", 9.0, "record"),
    Step("records/fashion", "Records: Fashion-MNIST", "fashion_record.toml", 3.0, "record"),
    Step(
        "records/autoencoder",
        "Records: Fashion-MNIST autoencoder",
        "autoencoder_record.toml",
        3.0,
        "record",
    ),
)
