import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle.cycle import history as h


def test_turns_hand_made_series():
    # 100 -> 130 (peak) -> 80 (trough) -> 125 (peak, unconfirmed at the end)
    years = np.arange(2000, 2007)
    values = np.array([100, 120, 130, 90, 80, 100, 125.0])
    t = h.turning_points(years, values, 0.15)
    assert t.to_dicts() == [
        {"year": 2000, "value": 100.0, "kind": "trough"},
        {"year": 2002, "value": 130.0, "kind": "peak"},
        {"year": 2004, "value": 80.0, "kind": "trough"},
    ]
    ph = h.phases(t)
    assert ph["phase"].to_list() == ["up", "down"]
    assert ph["change"].to_list() == pytest.approx([0.30, 80 / 130 - 1])
    assert ph["years"].to_list() == [2, 2]


def test_small_wiggles_are_not_turns():
    values = np.array([100, 95, 101, 96, 102, 97.0])
    assert h.find_turns(values, 0.15) == []


def test_cycle_lengths_and_summary():
    values = np.array([10, 20, 10, 20, 10, 20, 10.0])  # peaks at 1, 3, 5; troughs 0, 2, 4
    t = h.turning_points(np.arange(7), values, 0.2)
    lengths = h.cycle_lengths(t)
    assert set(lengths["years"].to_list()) == {2}
    s = h.cycle_summary(t)
    assert s["period_years"] == 2.0
    assert s["drawdown"] == pytest.approx(-0.5)
    assert s["upswing"] == pytest.approx(1.0)


def test_summary_with_too_few_turns_is_nan():
    s = h.cycle_summary(h.turning_points(np.arange(3), np.array([1.0, 2.0, 3.0])))
    assert np.isnan(s["period_years"]) and np.isnan(s["drawdown"])


@pytest.mark.parametrize("bad", [[1.0, np.nan, 2.0], [1.0, 0.0, 2.0], [1.0, -3.0]])
def test_turns_reject_missing_or_nonpositive(bad):
    with pytest.raises(ValueError, match="positive"):
        h.find_turns(np.array(bad))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.1, 1000.0), min_size=2, max_size=60), st.floats(0.05, 0.6))
def test_turns_alternate_and_swing_enough(values, swing):
    v = np.array(values)
    turns = h.find_turns(v, swing)
    kinds = [k for _, k in turns]
    assert all(a != b for a, b in zip(kinds, kinds[1:]))
    idx = [i for i, _ in turns]
    assert idx == sorted(idx)
    for (i, k), (j, _) in zip(turns, turns[1:]):
        ratio = v[j] / v[i]
        assert (ratio <= 1 - swing + 1e-12) if k == "peak" else (ratio >= 1 + swing - 1e-12)


def test_phase_mean_uses_years_after_start():
    t = h.turning_points(np.arange(2000, 2007), np.array([100, 120, 130, 90, 80, 100, 125.0]))
    out = h.phase_mean(h.phases(t), np.array([2001, 2002, 2003, 2004]), np.array([10.0, 30.0, -5.0, np.nan]))
    assert out["mean_value"].to_list() == [20.0, -5.0]
    assert out["n_years"].to_list() == [2, 1]


def test_cagr():
    assert h.cagr(8.0, 23.0, 10) == pytest.approx((23 / 8) ** 0.1 - 1)
    assert h.cagr(100, 400, 2) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        h.cagr(0, 1, 1)
    with pytest.raises(ValueError):
        h.cagr(1, 2, 0)


def test_loglinear_cagr_exact_on_exponential():
    years = np.arange(2010, 2021)
    assert h.loglinear_cagr(years, 5 * 1.3 ** (years - 2010)) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        h.loglinear_cagr([2020, 2020], [1, 2])


def test_generation_gaps():
    g = h.generation_gaps(["DDR4", "DDR3", "DDR5"], [dt.date(2012, 9, 25), dt.date(2007, 6, 26), dt.date(2020, 7, 14)])
    assert g["generation"].to_list() == ["DDR3", "DDR4", "DDR5"]
    assert g["years_since_previous"][2] == pytest.approx((dt.date(2020, 7, 14) - dt.date(2012, 9, 25)).days / 365.25)
