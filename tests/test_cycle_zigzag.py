"""The many-paths zigzag (`cycle.zigzag`) against the one-series rule and statistics in `cycle.history`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hbmcycle.cycle import history, zigzag


def random_paths(seed: int):
    rng = np.random.default_rng(seed)
    years, paths = int(rng.integers(2, 40)), int(rng.integers(1, 40))
    values = np.exp(np.cumsum(rng.normal(0, rng.uniform(0.02, 0.4), size=(years, paths)), axis=0))
    if seed % 3 == 0:
        values = np.round(values, 1) + 0.1  # repeated values: ties at the extremes
    return values, float(rng.choice([0.05, 0.15, 0.3]))


@pytest.mark.parametrize("seed", range(40))
def test_turns_and_statistics_match_the_one_series_rule(seed):
    values, swing = random_paths(seed)
    marks = zigzag.turn_marks(values, swing)
    stats = zigzag.summaries(values, swing)
    for j in range(values.shape[1]):
        turns = history.find_turns(values[:, j], swing)
        kinds = {zigzag.PEAK: history.PEAK, zigzag.TROUGH: history.TROUGH}
        assert [(int(i), kinds[int(marks[i, j])]) for i in np.flatnonzero(marks[:, j])] == turns
        frame = history.turning_points(np.arange(values.shape[0]), values[:, j], swing)
        want = history.cycle_summary(frame)
        assert stats["turns"][j] == len(turns)
        for metric in ("period_years", "drawdown", "upswing"):
            got, expected = stats[metric][j], want[metric]
            assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, rel=1e-12), metric


def test_a_hand_made_zigzag():
    values = np.array([[10.0, 20.0, 10.0, 20.0, 10.0, 20.0]]).T
    stats = zigzag.summaries(values, 0.15)
    # troughs at years 0, 2, 4 and peaks at 1, 3; the last 20 is unconfirmed
    assert stats["turns"][0] == 5 and stats["period_years"][0] == 2.0
    assert stats["drawdown"][0] == -0.5 and stats["upswing"][0] == 1.0
