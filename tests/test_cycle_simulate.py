import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle.cycle import scenarios
from hbmcycle.cycle import simulate as sim

QUIET = dict(demand_growth_sd=0.0, demand_noise_sd=0.0, capacity_response_sd=0.0, yield_dip=0.0, yield_dip_sd=0.0)


def deterministic(**overrides):
    return scenarios.resolve("base", QUIET | overrides)


def test_shapes_and_time_axis():
    r = sim.simulate(scenarios.resolve("base"), paths=7, quarters=12, seed=3)
    for v in sim.VARIABLES + ("balance",):
        assert r.get(v).shape == (12, 7)
    assert r.time[0] == 2026.0 and r.time[-1] == 2028.75
    assert r.lead_time.shape == (7,)


def test_same_seed_same_result_and_different_seed_differs():
    p = scenarios.resolve("bear")
    a, b = (sim.simulate(p, paths=500, quarters=20, seed=42) for _ in range(2))
    c = sim.simulate(p, paths=500, quarters=20, seed=43)
    for v in sim.VARIABLES:
        np.testing.assert_array_equal(a.get(v), b.get(v))
    assert not np.array_equal(a.price, c.price)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["base", "bull", "bear", "ai_capex_pause", "hbm4e_yield_slip"]),
    shipment_growth=st.floats(-0.9, 5.0),
    pause_growth=st.floats(-0.9, 5.0),
    kappa=st.floats(0.0, 2.0),
    elasticity=st.floats(0.05, 5.0),
    dip=st.floats(0.0, 0.9),
    balance=st.floats(-0.5, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_no_negative_supply_demand_or_price(name, shipment_growth, pause_growth, kappa, elasticity, dip, balance, seed):
    p = scenarios.resolve(
        name,
        dict(
            shipment_growth=shipment_growth,
            pause_shipment_growth=pause_growth,
            capacity_response=kappa,
            elasticity=elasticity,
            yield_dip=dip,
            initial_balance=balance,
        ),
    )
    r = sim.simulate(p, paths=64, quarters=40, seed=seed)
    for v in ("demand", "supply", "price", "revenue"):
        x = r.get(v)
        assert np.all(np.isfinite(x)) and np.all(x >= 0), v
    assert np.all((r.price >= p.price_floor - 1e-6) & (r.price <= p.price_cap + 1e-6))
    assert np.all((r.utilisation > 0) & (r.utilisation <= 1 + 1e-6))


def test_demand_shock_without_capacity_response_raises_price():
    # planners neither react to price nor revise their growth forecast: only demand moves
    common = dict(
        capacity_response=0.0,
        expectation_smoothing=0.0,
        initial_balance=0.0,
        pause_probability=1.0,
        pause_start_quarter=4,
        pause_quarters=4,
    )
    calm = sim.simulate(deterministic(**common, pause_shipment_growth=0.25), paths=1, quarters=16)
    shock = sim.simulate(deterministic(**common, pause_shipment_growth=0.5), paths=1, quarters=16)
    np.testing.assert_allclose(calm.price[:, 0], calm.price[0, 0], rtol=1e-5)  # balanced growth: flat
    assert np.all(shock.price[9:, 0] > calm.price[9:, 0] * 1.2)
    assert np.all(np.diff(shock.price[4:9, 0]) > 0)


def _sign_changes(x):
    s = np.sign(np.round(x, 6))
    s = s[s != 0]
    return int(np.sum(s[1:] != s[:-1]))


def test_zero_lead_time_removes_the_oscillation():
    # a firm price response and slow expectations, pinned so the test does not follow the fitted defaults
    common = dict(initial_balance=0.3, capacity_response=0.1, expectation_smoothing=0.15)
    instant = sim.simulate(
        deterministic(**common, lead_time_min_quarters=0, lead_time_max_quarters=0), paths=1, quarters=80
    )
    delayed = sim.simulate(
        deterministic(**common, lead_time_min_quarters=8, lead_time_max_quarters=8), paths=1, quarters=80
    )
    b0, b8 = instant.balance[:, 0], delayed.balance[:, 0]
    assert np.all(np.diff(b0) <= 1e-6) and b0.min() > -1e-4  # glides down to balance, no overshoot
    assert b8.min() < -0.05 and _sign_changes(b8) >= 2  # overshoots into shortage and back


def test_capex_pause_raises_glut_probability():
    base = sim.glut_probability_by_year(sim.simulate(scenarios.resolve("base"), paths=2000, quarters=24, seed=1))
    pause = sim.glut_probability_by_year(
        sim.simulate(scenarios.resolve("ai_capex_pause"), paths=2000, quarters=24, seed=1)
    )
    assert pause["glut_probability"].max() > base["glut_probability"].max() + 0.3


def test_glut_probability_by_year_counts_paths():
    r = sim.simulate(scenarios.resolve("base"), paths=10, quarters=6, seed=0)
    g = sim.glut_probability_by_year(r)
    assert g["year"].to_list() == [2026, 2027] and g["quarters"].to_list() == [4, 2]
    assert g["glut_probability"].is_between(0, 1).all()
    f = sim.fan(r, "price")
    assert f.columns == ["time", "variable", "q05", "q25", "q50", "q75", "q95"]
    assert (f["q05"] <= f["q50"]).all() and (f["q50"] <= f["q95"]).all()


def test_bad_arguments():
    with pytest.raises(ValueError):
        sim.simulate(scenarios.resolve("base"), paths=0)
    with pytest.raises(KeyError, match="unknown variable"):
        sim.simulate(scenarios.resolve("base"), paths=2, quarters=2).get("profit")
