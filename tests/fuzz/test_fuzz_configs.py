"""Fuzz config parsing: the shipped configs with values replaced by generated ones (any TOML
type, NaN and infinities, huge integers, tables for scalars) end in a parsed config or a
ConfigError naming the file, within a memory bound."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet.config import parse_toml
from scratchnet.errors import ConfigError
from scratchnet.studies.registry import get_study

from bounded import MiB, call_bounded
from studyconfigs import toml_text

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.toml"))
STUDY_CONFIGS = [p for p in CONFIGS if "study" in tomllib.loads(p.read_text())]
DOCUMENTS = {p: tomllib.loads(p.read_text()) for p in STUDY_CONFIGS}

SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, -1, 2**32, math.nan, math.inf, -math.inf, 1e308, 0.5, True]),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["relu", "adam", "mnist", "sklearn", "ratio", "float64", "x"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node, prefix=()):
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*prefix, key)
        if isinstance(value, dict | list):
            yield from _paths(value, (*prefix, key))


@st.composite
def mutated_documents(draw):
    path = draw(st.sampled_from(STUDY_CONFIGS))
    document = copy.deepcopy(DOCUMENTS[path])
    for _ in range(draw(st.integers(1, 3))):
        *parents, last = draw(st.sampled_from(list(_paths(document))))
        node = document
        for key in parents:
            node = node[key]
        if draw(st.integers(0, 9)) == 0 and isinstance(node, dict):
            last = draw(st.text(min_size=1, max_size=8))  # a new (unknown) key
        node[last] = draw(VALUES)
    return path, document


def _parse(path: Path, document: dict, quick: bool):
    from scratchnet.config import apply_quick

    table = apply_quick(parse_toml(toml_text(document), path), quick, str(path))
    if "study" not in table:
        raise ConfigError(f"{path}: missing key 'study'")
    study = get_study(table.pop("study"), str(path))
    config = study.parse_config(table, str(path))
    return study.cells(config)


@settings(max_examples=100 if os.environ.get("SCRATCHNET_FUZZ", "ci") == "ci" else 20_000)
@given(case=mutated_documents(), quick=st.booleans())
def test_config_parsing_fails_only_with_a_named_config_error(case, quick):
    path, document = case
    outcome = call_bounded(lambda: _parse(path, document, quick), (ConfigError,), 64 * MiB)
    if isinstance(outcome, ConfigError):
        assert str(path) in str(outcome) or "--quick" in str(outcome), outcome
        assert "\n" not in str(outcome)
