import numpy as np
import pytest

from hbmcycle.cycle import risk, scenarios
from hbmcycle.cycle import simulate as sim


def test_in_year_and_by_year_on_hand_made_paths():
    # 3 years x 2 paths of yearly extremes
    high = np.array([[0.0, 0.12], [0.25, 0.0], [0.0, 0.0]])
    low = np.array([[-0.3, 0.0], [0.0, 0.0], [0.0, -0.06]])
    t = risk.from_yearly_extremes(high, low, np.array([2026, 2027, 2028]), [0.05, 0.2])
    at = {(r["threshold"], r["year"]): r for r in t.iter_rows(named=True)}
    assert at[(0.05, 2026)]["p_glut_in_year"] == 0.5 and at[(0.05, 2027)]["p_glut_by_year"] == 1.0
    assert at[(0.2, 2026)]["p_glut_in_year"] == 0.0 and at[(0.2, 2027)]["p_glut_by_year"] == 0.5
    assert at[(0.05, 2028)]["p_shortage_in_year"] == 0.5 and at[(0.2, 2028)]["p_shortage_by_year"] == 0.5
    assert risk.first_year_at_least(t, "p_glut_by_year", 1.0, 0.05) == 2027
    assert risk.first_year_at_least(t, "p_glut_by_year", 1.0, 0.2) is None


def test_by_year_never_falls_and_in_year_matches_the_simulators_own_count():
    result = sim.simulate(scenarios.resolve("base"), paths=500, quarters=24, seed=2)
    t = risk.simulation_probabilities(result, [result.params.glut_excess, 0.3])
    for _, g in t.group_by("threshold"):
        assert np.all(np.diff(g.sort("year")["p_glut_by_year"].to_numpy()) >= 0)
    own = sim.glut_probability_by_year(result)  # an independent implementation of "in year"
    mine = t.filter(t["threshold"] == result.params.glut_excess).sort("year")
    assert mine["p_glut_in_year"].to_list() == pytest.approx(own["glut_probability"].to_list())
    assert mine["p_shortage_in_year"].to_list() == pytest.approx(own["shortage_probability"].to_list())
