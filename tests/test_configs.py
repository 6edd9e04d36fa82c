"""Every config file shipped in configs/ parses, in full and in --quick mode."""

from pathlib import Path

import pytest

from scratchnet.config import apply_quick, read_toml
from scratchnet.experiments.registry import get_study

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))
STUDY_CONFIGS = [p for p in CONFIGS if "study" in read_toml(p)]


def test_configs_are_found():
    assert len(STUDY_CONFIGS) >= 8


@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
@pytest.mark.parametrize("path", STUDY_CONFIGS, ids=lambda p: p.stem)
def test_study_config_parses_and_lists_cells(path, quick):
    table = apply_quick(read_toml(path), quick, str(path))
    study = get_study(table.pop("study"), str(path))
    config = study.parse_config(table, str(path))
    assert study.cells(config)


@pytest.mark.parametrize("path", STUDY_CONFIGS, ids=lambda p: p.stem)
def test_every_study_config_has_a_quick_table(path):
    table = read_toml(path)
    quick = table.get("quick", {})
    assert quick, f"{path.name} has no [quick] table for reproduce --quick"
