import numpy as np
import polars as pl
import pytest

from hbmcycle.cycle import backtest as bt
from hbmcycle.cycle import scenarios


def market(years, revenue):
    n = len(years)
    return pl.DataFrame(
        {
            "period": [str(y) for y in years],
            "year": years,
            "quarter": [None] * n,
            "company": ["industry"] * n,
            "dram_revenue_usd_b": revenue,
            "is_forecast": [False] * n,
        },
        schema_overrides={"quarter": pl.Int64},
    )


def test_observed_cycles_from_a_hand_made_market():
    years = [2000, 2001, 2002, 2004, 2005, 2006]
    rev = bt.annual_industry_revenue(market(years, [10.0, 20.0, 10.0, 20.0, 10.0, 20.0]))
    assert bt.missing_years(rev["year"]) == [2003]
    s = bt.observed_summary(rev)
    assert s["drawdown"] == pytest.approx(-0.5) and s["upswing"] == pytest.approx(1.0)


def test_model_cycles_and_comparison():
    p = scenarios.resolve("backtest")
    stats = bt.simulated_stats(p, years=20, paths=40, seed=1)
    assert stats.height == 40 and stats.columns == list(bt.METRICS)
    obs = {"turns": 8.0, "period_years": 5.0, "drawdown": -0.4, "upswing": 0.8}
    table = bt.compare(obs, stats)
    assert table["metric"].to_list() == list(bt.METRICS)
    assert (table["model_p10"] <= table["model_p90"]).all()
    assert np.isfinite(bt.mismatch(obs, stats))


def test_fit_ranks_the_grid():
    obs = {"turns": 8.0, "period_years": 5.0, "drawdown": -0.4, "upswing": 0.8}
    grid = bt.fit(
        obs, scenarios.resolve("backtest"), {"capacity_response": [0.1, 0.3], "elasticity": [0.3]}, years=15, paths=20
    )
    assert grid.height == 2 and grid["mismatch"].is_sorted()


def test_backtest_on_the_database(use_shipped_db):
    from hbmcycle.data import db

    market_table = db.read_table("dram_market")
    s = bt.observed_summary(bt.annual_industry_revenue(market_table))
    assert s["turns"] >= 4 and 2 <= s["period_years"] <= 10
