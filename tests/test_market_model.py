"""The HBM market model on hand-computed cases (no shipped data needed)."""

import numpy as np
import polars as pl
import pytest

from hbmcycle.market import balance, inputs, model, params, reconcile, sensitivity

EB_PER_GIB = 2**30 / 1e18


def quiet(**changes):
    """Base values with every family but NVIDIA switched off and no growth, then `changes`."""
    p = params.resolve("base")
    for fam in ("amd", "huawei", "other_asic"):
        p[f"{fam}_units_k"] = 0.0
    p["google_tpu_wafers_k"] = p["aws_trainium_wafers_k"] = 0.0
    zero = ("gpu_unit_growth", "asic_unit_growth", "content_growth", "history_unit_growth", "history_content_growth")
    p |= dict.fromkeys(zero, 0.0) | {"uncounted_demand": 0.0}
    return p | changes


def one_vendor(k_wpm=10.0, year=2025):
    return pl.DataFrame({"year": [year], "vendor": ["sk_hynix"], "tsv_k_wpm": [k_wpm], "kind": ["actual"]})


def test_family_demand_is_units_times_content_with_growth_and_backcast():
    p = quiet(nvidia_units_k=1000.0, nvidia_gib_per_unit=100.0, gpu_unit_growth=1.0, history_unit_growth=0.25)
    p = {k: np.atleast_1d(v) for k, v in p.items()}
    d = model.family_demand_eb(p, np.array([2024, 2025, 2026]))["nvidia"][:, 0]
    at_base = 1e6 * 100 * EB_PER_GIB  # 1,000k packages x 100 GiB
    assert d == pytest.approx([at_base / 1.25, at_base, 2 * at_base])


def test_asic_units_come_from_wafers_times_packages_per_wafer():
    p = quiet(google_tpu_wafers_k=10.0, asic_packages_per_wafer=8.0, google_tpu_gib_per_unit=32.0)
    d = model.family_demand_eb({k: np.atleast_1d(v) for k, v in p.items()}, np.array([2025]))
    assert d["google_tpu"][0, 0] == pytest.approx(10e3 * 8 * 32 * EB_PER_GIB)


def test_ddr5_index_averages_the_quarters():
    p = quiet(ddr5_change_4q25=1.0, ddr5_change_1q26=0.0, ddr5_change_2q26=0.0, ddr5_change_after=0.0)
    idx = model.ddr5_price_index({k: np.atleast_1d(v) for k, v in p.items()}, np.array([2024, 2025, 2026]))[:, 0]
    assert idx == pytest.approx([1.0, 1.25, 2.0])  # 2025: three flat quarters and one doubled


def test_supply_from_capacity_bits_per_wafer_and_run_rate():
    p = quiet(
        capacity_run_rate=1.0,
        contracted_share=1.0,
        ddr5_gbit_per_wafer=3000.0,
        trade_ratio=3.0,
        micron_tsv_k_wpm_2025=20.0,
    )
    run = model.run(p, one_vendor(10.0), dram_wafers_2024_k=1000.0)
    i = list(run.years).index(2025)
    # 12 months x 10k wafers x (3000 / 3) Gbit per wafer, in EB
    assert run.supply_by_vendor["sk_hynix"][i, 0] == pytest.approx(12 * 10e3 * 1000 * 1e9 / 8 / 1e18)
    assert run.supply_by_vendor["micron"][i, 0] == pytest.approx(2 * run.supply_by_vendor["sk_hynix"][i, 0])
    assert run.supply_by_vendor["samsung"][i, 0] == 0.0  # no capacity row: nothing supplied
    assert run.hbm_wafer_share_of_dram[i, 0] == pytest.approx(30.0 / (1000.0 * (1 + p["dram_wafer_growth"])))


def test_wafer_switching_moves_uncontracted_starts_to_ddr5():
    # DDR5 price triples in 1Q26: premium 4.5 -> 1.5 per bit, revenue ratio per wafer 1.5 / 3 = 0.5
    p = quiet(
        hbm_premium_2024=4.5, hbm_contract_change_2025=0.0, ddr5_change_4q25=0.18, ddr5_change_1q26=0.95,
        ddr5_change_2q26=0.0, ddr5_change_after=0.0, trade_ratio=3.0, trade_ratio_growth=0.0, hbm_breakeven_revenue_ratio=1.0,
        contracted_share=0.6, switch_elasticity=1.0, contract_change_limit=0.1,
    )  # fmt: skip
    run = model.run(p, one_vendor(), dram_wafers_2024_k=1000.0)
    i = list(run.years).index(2023)
    assert run.wafer_signal[i, 0] == pytest.approx(4.5 / 3.0)
    assert run.wafer_starts_fraction[i, 0] == 1.0  # HBM pays more per wafer: all capacity runs
    j = list(run.years).index(2026)
    signal = run.premium_vs_ddr5[j, 0] / 3.0
    assert run.wafer_signal[j, 0] == pytest.approx(signal) and signal < 1
    assert run.wafer_starts_fraction[j, 0] == pytest.approx(0.6 + 0.4 * signal)


def test_annual_contract_follows_last_years_balance_within_the_limit():
    p = quiet(contract_price_elasticity=0.5, contract_change_limit=0.3, hbm_contract_change_2025=0.0)
    run = model.run(p, one_vendor(), dram_wafers_2024_k=1000.0)
    years = list(run.years)
    for y in (2026, 2027):
        ratio = run.demand_eb[years.index(y - 1), 0] / run.supply_eb[years.index(y - 1), 0]
        expected = np.clip(ratio**2 - 1, -0.3, 0.3)
        got = run.hbm_price_index[years.index(y), 0] / run.hbm_price_index[years.index(y - 1), 0] - 1
        assert got == pytest.approx(expected)


def test_vectorised_draws_match_single_runs():
    values = params.resolve("base")
    draws = params.draws(values, 3, seed=5)
    cap = one_vendor()
    many = model.run(draws, cap, 1000.0)
    for i in range(3):
        single = model.run({k: v[i] for k, v in draws.items()}, cap, 1000.0)
        np.testing.assert_allclose(many.balance[:, i], single.balance[:, 0])


def test_draws_stay_in_range_and_repeat_with_the_seed():
    values = params.resolve("base")
    a, b = params.draws(values, 500, seed=1), params.draws(values, 500, seed=1)
    spec = params.entries()
    for name in params.uncertain():
        assert spec[name].min <= a[name].min() and a[name].max() <= spec[name].max
        np.testing.assert_array_equal(a[name], b[name])
    assert (a["glut_threshold"] == values["glut_threshold"]).all()  # definitions are never drawn


def test_state_and_probabilities_in_and_by_year():
    assert list(balance.state(np.array([0.2, 0.05, -0.1, -0.3]), 0.1)) == ["glut", "balanced", "shortage", "shortage"]
    bal = np.array([[0.0, 0.2, 0.0, 0.0], [0.15, 0.0, 0.0, -0.2]])  # 2 years x 4 draws
    years = np.array([2027, 2028])
    run = model.MarketRun(  # only balance-relevant fields matter here
        years=years, demand_by_family={}, counted_demand_eb=np.ones((2, 4)), demand_eb=np.ones((2, 4)),
        supply_by_vendor={}, supply_eb=1.0 + bal, tsv_k_wpm={}, hbm_wafer_share_of_dram=bal, wafer_starts_fraction=bal,
        hbm_price_index=bal, ddr5_price_index=bal, premium_vs_ddr5=bal, wafer_signal=bal, glut_threshold=np.full(4, 0.1),
    )  # fmt: skip
    t = balance.probabilities(run, [0.1], from_year=2027)
    rows = {r["year"]: r for r in t.iter_rows(named=True)}
    assert rows[2027]["p_glut_in_year"] == pytest.approx(0.25) and rows[2028]["p_glut_in_year"] == pytest.approx(0.25)
    assert rows[2028]["p_glut_by_year"] == pytest.approx(0.5)  # draws 1 and 0 had one glut year each
    assert rows[2028]["p_shortage_in_year"] == pytest.approx(0.25)


def test_first_glut_year():
    bal = np.array([[0.0, 0.3, -0.5], [0.2, 0.3, -0.5], [0.2, 0.0, -0.5]])
    assert list(sensitivity.first_glut_year(bal, np.array([2026, 2027, 2028]), 0.1)) == [2027, 2026, 0]


def test_reconciliation_status_rules():
    assert reconcile._status("lower bound", 3.8, 3.75, None, 0.25) == "consistent"
    assert reconcile._status("lower bound", 3.0, 3.75, None, 0.25) == "inconsistent"
    assert reconcile._status("range", 1.3, 0.7, 1.0, 0.25) == "inconsistent"
    assert reconcile._status("point", 1.2, 1.0, None, 0.25) == "consistent"
    row = reconcile._row("x", 2026, "s", 0.7, "range", 1.3, 0.25, high=1.0)
    assert row["gap_pct"] == pytest.approx(30.0)  # measured from the bound it misses


def test_vendor_capacity_prefers_the_most_factual_row():
    tsv = pl.DataFrame(
        {
            "year": [2024, 2024, 2024],
            "quarter": [None, None, None],
            "vendor": ["samsung", "samsung", "sk_hynix"],
            "kind": ["forecast", "estimate", "forecast"],
            "tsv_k_wpm": [130.0, 120.0, None],
            "tsv_k_wpm_low": [None, None, 120.0],
            "tsv_k_wpm_high": [None, None, 125.0],
        },
        schema_overrides={"quarter": pl.Int64},
    )
    cap = {r["vendor"]: r["tsv_k_wpm"] for r in inputs.vendor_tsv_capacity(tsv).iter_rows(named=True)}
    assert cap == {"samsung": 120.0, "sk_hynix": 122.5}


def test_parameter_errors_name_the_problem():
    with pytest.raises(params.ParameterError, match="choose one of: base"):
        params.resolve("nope")
    with pytest.raises(params.ParameterError, match="out of range"):
        params.resolve("base", {"content_growth": 2})
    with pytest.raises(params.ParameterError, match="did you mean content_growth"):
        params.resolve("base", {"contnt_growth": 0.2})
    for name in params.scenario_names():
        assert params.resolve(name)["base_year"] == 2025
