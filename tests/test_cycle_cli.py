import json

from typer.testing import CliRunner

from hbmcycle.cycle.cli import app

runner = CliRunner()


def test_simulate_json_is_reproducible_and_honours_overrides():
    args = [
        "simulate",
        "--scenario",
        "bear",
        "--param",
        "lead_time_max_quarters=10",
        "--paths",
        "300",
        "--horizon-quarters",
        "12",
        "--seed",
        "5",
        "--json",
    ]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    out = json.loads(first.output)
    assert out["scenario"] == "bear" and out["paths"] == 300 and out["quarters"] == 12
    assert out["params"]["lead_time_max_quarters"] == 10 and out["params"]["pause_probability"] == 0.33
    assert [r["year"] for r in out["by_year"]] == [2026, 2027, 2028]


def test_simulate_table():
    res = runner.invoke(app, ["simulate", "-s", "hbm4e_yield_slip", "--paths", "200", "--horizon-quarters", "8"])
    assert res.exit_code == 0, res.output
    assert "P(glut)" in res.output and "2027" in res.output


def test_errors_are_clear_and_exit_nonzero():
    res = runner.invoke(app, ["simulate", "--scenario", "nope"])
    assert res.exit_code == 2 and "unknown scenario 'nope'" in res.output
    res = runner.invoke(app, ["simulate", "--param", "yield_dip=3"])
    assert res.exit_code == 2 and "out of range" in res.output


def test_backtest_command_json_and_table(use_shipped_db):
    from hbmcycle.cli import app as root

    out = runner.invoke(root, ["cycle", "backtest", "--paths", "20", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["fit_years"] == [1995, 2012] and d["test_years"] == [2013, 2025]
    windows = {(e["metric"], e["window"]) for e in d["errors"]}
    assert ("period_years", "test") in windows and ("turns_per_decade", "fit") in windows
    turn_years = [t["year"] for t in d["turning_points"]]
    assert min(turn_years) < 2013 <= max(turn_years)  # turns from both windows are listed
    assert 2001 in d["missing_years"]  # known only from a forecast
    table = runner.invoke(root, ["cycle", "backtest", "--paths", "20"])
    assert table.exit_code == 0 and "naive" in table.output
