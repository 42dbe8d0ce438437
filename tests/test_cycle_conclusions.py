import polars as pl

from hbmcycle.cycle import conclusions as c
from hbmcycle.cycle.scenarios import resolve
from hbmcycle.cycle.validate import BacktestResult


def test_history_finding_lists_gaps_and_counts():
    rev = pl.DataFrame({"year": [2000, 2010]})
    turns = pl.DataFrame({"year": [2001, 2003, 2006], "kind": ["peak", "trough", "peak"]})
    text = c.history_finding(rev, turns, {"period_years": 5.0, "drawdown": -0.5, "upswing": 1.0}, [2001])
    assert "2 confirmed peaks and 1 troughs" in text and "5.0 years" in text and "-50%" in text and "2001" in text


def test_market_finding_names_shortage_years_and_fan_probabilities():
    yearly = pl.DataFrame(
        {"year": [2029, 2030], "state": ["shortage", "balanced"], "demand_eb": [2.0, 3.0], "supply_eb": [1.0, 3.1],
         "hbm_premium_vs_ddr5_x": [3.0, 2.5]}
    )  # fmt: skip
    probs = pl.DataFrame({"threshold": [0.1], "year": [2030], "p_glut_in_year": [0.2], "p_glut_by_year": [0.35],
                          "p_shortage_in_year": [0.5]})  # fmt: skip
    text = c.market_finding(yearly, 0.1, probs, 2030)
    assert "shortage in 2029; glut in no year" in text
    assert "3.0 EB against 3.1 EB" in text and "P(a glut year by 2030) = 35%" in text


def test_gap_finding_reports_counted_shortfall_and_misses():
    rec = pl.DataFrame(
        {"figure": ["HBM bits shipped (EB), counted demand only", "HBM bits shipped (EB), model supply", "share"],
         "year": [2026, 2026, 2025], "published": [3.75, 3.75, 0.5], "model": [1.5, 3.0, 0.5],
         "gap_pct": [-60.0, -20.0, 0.0], "status": ["inconsistent", "inconsistent", "consistent"]}
    )  # fmt: skip
    text = c.gap_finding(pl.DataFrame(), rec)
    assert "1.50 EB (-60%)" in text and "3.00 EB (-20%)" in text and "2 of 3 published figures are missed" in text


def test_backtest_finding_counts_wins_over_the_naive_forecast():
    errors = pl.DataFrame(
        {"metric": ["a", "b", "a", "b"], "window": ["fit", "fit", "test", "test"], "log_error": [0.1, 0.1, 0.05, -0.4],
         "naive_log_error": [None, None, 0.2, 0.1], "inside_p10_p90": [True, True, True, False]}
    )  # fmt: skip
    result = BacktestResult((1995, 2012), (2013, 2025), [], pl.DataFrame(), pl.DataFrame(), {"x": 1.0},
                            {"x": True}, resolve("backtest"), errors)  # fmt: skip
    text = c.backtest_finding(result)
    assert "inside its 10-90 % range 1 times" in text and "on 1 of 2" in text
    assert "largest miss: b, log error -0.40" in text and "grid's edge: x" in text


def test_change_finding_lists_only_flipping_inputs():
    sens = pl.DataFrame(
        {"parameter": ["a", "b"], "min": [0.0, 1.0], "max": [1.0, 2.0], "first_glut_year_at_min": [2028, None],
         "first_glut_year_at_max": [None, None], "flips_answer": [True, False]}
    )  # fmt: skip
    text = c.change_finding(sens, 2030)
    assert "a (at 0: first glut 2028; at 1: none)" in text and "b (" not in text
    assert "No single input" in c.change_finding(sens.filter(pl.col("flips_answer").not_()), 2030)
