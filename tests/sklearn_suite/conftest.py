"""Fixtures scikit-learn's own test modules expect from scikit-learn's conftest."""

import sys
from pathlib import Path

import pytest

# The adapters and the list of known differences import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(params=[42])
def global_random_seed(request):
    """scikit-learn's seed fixture, at its default single value."""
    return request.param
