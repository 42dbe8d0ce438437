"""The memory_cycle report's conclusions, generated from computed results (no number typed).

Each function turns one analysis's output into one Markdown bullet; `findings` lists them in
report order. The notebook only prints them.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from hbmcycle.cycle.validate import BacktestResult


def history_finding(revenue: pl.DataFrame, turns: pl.DataFrame, observed: Mapping[str, float], gaps: list[int]) -> str:
    peaks = turns.filter(pl.col("kind") == "peak").height
    years = revenue["year"].to_numpy()
    text = (
        f"- **DRAM is cyclical in this data.** {years.min()}-{years.max()} revenue (forecast rows "
        f"excluded) shows {peaks} confirmed peaks and {turns.height - peaks} troughs, a mean cycle of "
        f"{observed['period_years']:.1f} years, a median bust of {observed['drawdown']:.0%} and a median boom of "
        f"{observed['upswing']:+.0%}"
    )
    return text + (f" (years without an actual figure: {', '.join(map(str, gaps))})." if gaps else ".")


def content_finding(content: Mapping[str, object], notebook_cagr: float | None) -> str:
    text = (
        f"- **Content per device.** HBM per accelerator grew {content['cagr']:.0%}/yr over "
        f"{content['first_year']}-{content['last_year']} ({content['method']})"
    )
    if notebook_cagr is not None:
        text += f", against {notebook_cagr:.0%}/yr for average notebook DRAM (pc_dram, notebooks only)"
    return text + "."


def backtest_finding(result: BacktestResult) -> str:
    test = result.errors.filter(pl.col("window") == "test")
    better = int((test["log_error"].abs() < test["naive_log_error"].abs()).sum())
    inside = int(test["inside_p10_p90"].sum())
    edges = [k for k, v in result.on_edge.items() if v]
    worst = test.sort(pl.col("log_error").abs(), descending=True).row(0, named=True)
    return (
        f"- **Back-test out of sample.** Fitted on {result.fit_years[0]}-{result.fit_years[1]} only, the model's "
        f"{test.height} cycle statistics for {result.test_years[0]}-{result.test_years[1]} fall inside its 10-90 % "
        f"range {inside} times; its median beats the naive 'history repeats' forecast on {better} of {test.height} "
        f"(largest miss: {worst['metric']}, log error {worst['log_error']:+.2f}). The ranges are wide, so landing "
        "inside them is a weak test; the model cannot date turning points, only match their frequency and size."
        + (f" Best grid values on the grid's edge: {', '.join(edges)}." if edges else "")
    )


def market_finding(yearly: pl.DataFrame, threshold: float, fan_probabilities: pl.DataFrame, year: int) -> str:
    """`yearly`: market.balance.yearly of the scenario; `fan_probabilities`: market.balance.probabilities
    of its draws over the plausible ranges."""
    short = yearly.filter(pl.col("state") == "shortage")["year"].to_list()
    glut = yearly.filter(pl.col("state") == "glut")["year"].to_list()
    last = yearly.filter(pl.col("year") == year).row(0, named=True)
    p = fan_probabilities.filter((pl.col("threshold") == threshold) & (pl.col("year") == year)).row(0, named=True)
    return (
        f"- **HBM bottom-up (base scenario).** Balance beyond ±{threshold:.0%} of demand: shortage in "
        f"{', '.join(map(str, short)) or 'no year'}; glut in {', '.join(map(str, glut)) or 'no year'}. In "
        f"{year} demand is {last['demand_eb']:.1f} EB against {last['supply_eb']:.1f} EB of supply and "
        f"the HBM premium over DDR5 is {last['hbm_premium_vs_ddr5_x']:.1f}x. Across the plausible input ranges, "
        f"P(glut in {year}) = {p['p_glut_in_year']:.0%} and P(a glut year by {year}) = {p['p_glut_by_year']:.0%}, "
        f"against P(shortage in {year}) = {p['p_shortage_in_year']:.0%}."
    )


def gap_finding(yearly: pl.DataFrame, reconciliation: pl.DataFrame, year: int = 2026) -> str:
    counted = reconciliation.filter(pl.col("figure").str.contains("counted demand only") & (pl.col("year") == year))
    supply = reconciliation.filter(pl.col("figure").str.contains("model supply") & (pl.col("year") == year))
    if counted.is_empty():
        return "- **Reconciliation.** No published HBM shipment total for the check year is in the data."
    c, s = counted.row(0, named=True), supply.row(0, named=True) if supply.height else None
    inconsistent = reconciliation.filter(pl.col("status") == "inconsistent")["figure"].to_list()
    text = (
        f"- **The {year} gap, in numbers.** Published HBM shipments are at least {c['published']:.2f} EB; the counted "
        f"accelerator families reach {c['model']:.2f} EB ({c['gap_pct']:+.0f}%). Base demand meets the published "
        "figure only through the labelled `uncounted_demand` calibration"
    )
    if s:
        text += f"; modelled supply is {s['model']:.2f} EB ({s['gap_pct']:+.0f}%)"
    return (
        text
        + f". {len(inconsistent)} of {reconciliation.height} published figures are missed: "
        + ("; ".join(inconsistent) + "." if inconsistent else "none.")
    )


def cycle_finding(probabilities: pl.DataFrame, threshold: float, year: int) -> str:
    rows = probabilities.filter((pl.col("threshold") == threshold) & (pl.col("year") == year))
    parts = [
        f"{r['scenario']} {r['p_glut_in_year']:.0%} in {year} / {r['p_glut_by_year']:.0%} by {year}"
        for r in rows.iter_rows(named=True)
    ]
    return (
        f"- **Cycle scenarios (Monte Carlo).** Probability of a glut (supply >= {threshold:.0%} above demand in some "
        f"quarter): " + "; ".join(parts) + ". The threshold table shows how these move at other thresholds. Unlike "
        "the bottom-up model, whose TSV capacity grows at analysts' planned pace, the cycle model's planners order "
        "capacity to follow expected demand growth, so it overshoots; which of the two describes the vendors' "
        "capacity plans is the open question the data cannot settle yet."
    )


def change_finding(sensitivity: pl.DataFrame, horizon: int) -> str:
    flips = sensitivity.filter(pl.col("flips_answer"))
    if flips.is_empty():
        return f"- **What would change this answer.** No single input, moved across its plausible range, flips it by {horizon}."
    names = [
        f"{r['parameter']} (at {r['min']:g}: first glut {r['first_glut_year_at_min'] or 'none'}; "
        f"at {r['max']:g}: {r['first_glut_year_at_max'] or 'none'})"
        for r in flips.iter_rows(named=True)
    ]
    return f"- **What would change this answer** (a glut year by {horizon} or not): " + "; ".join(names) + "."


def claims_finding(claims: pl.DataFrame) -> str:
    return (
        "- **Seed claims on DRAM history.** "
        + "; ".join(f"{r['claim_id']}: {r['verdict']}" for r in claims.iter_rows(named=True))
        + "."
    )


LIMITS = (
    "- **What the data cannot decide.** Whether HBM content keeps compounding (roadmap rows are announcements, "
    "shipment rows analyst estimates), how far annual contracts and the packaging bottleneck damp the HBM cycle "
    "(HBM did not exist in the DRAM history the cycle model is fitted on), and the lead times and wafer-switching "
    "response, which are labelled assumptions. The scenarios show the consequences of each assumption, not which is true."
)
