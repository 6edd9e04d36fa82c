import itertools

import pytest

from scratchnet.errors import ConfigError
from scratchnet.nn import schedules


def test_constant_and_step():
    assert schedules.get("constant")(77, 100, 0.1) == 0.1
    step = schedules.get("step")
    assert [step(s, 100, 1.0) for s in (0, 49, 50, 74, 75, 99)] == [1, 1, 0.1, 0.1, 0.01, 0.01]


def test_cosine_runs_from_lr_to_zero():
    cosine = schedules.get("cosine")
    assert cosine(0, 101, 2.0) == pytest.approx(2.0)
    assert cosine(50, 101, 2.0) == pytest.approx(1.0)
    assert cosine(100, 101, 2.0) == pytest.approx(0.0, abs=1e-12)


def test_one_cycle_warms_up_to_the_peak_then_anneals():
    one_cycle = schedules.get("one-cycle")
    values = [one_cycle(s, 1000, 1.0) for s in range(1000)]
    assert values[0] == pytest.approx(1 / 25)
    assert max(values) == pytest.approx(1.0, rel=1e-4)
    assert 280 <= values.index(max(values)) <= 300
    assert values[-1] == pytest.approx(1 / 25 / 1e4)
    assert all(a <= b for a, b in itertools.pairwise(values[:290]))
    assert all(a >= b for a, b in itertools.pairwise(values[300:]))


def test_unknown_schedule():
    with pytest.raises(ConfigError, match=r"unknown lr_schedule 'linear'.*cosine"):
        schedules.get("linear")
