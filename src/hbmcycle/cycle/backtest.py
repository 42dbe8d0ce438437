"""Back-test: does the cycle model, run as a commodity DRAM market, produce cycles of the
observed length, amplitude and frequency, out of sample?

The observed cycles come from annual DRAM industry revenue, actual and estimate rows only
(`annual_industry_revenue`: forecasts never enter a back-test of history); the simulated ones
from the model's annual revenue index (P x U x K summed over four quarters) after a burn-in,
detected with the same zigzag rule (all paths at once, `zigzag`). `fit` grid-searches the least-known
parameters on the fit window (1995-2012 in scenarios.yaml); `out_of_sample` then scores the
fitted model on the test window (2013-2025) it never saw, beside a naive forecast ("the next
window repeats the fit window's statistics"). The model is not conditioned on the observed
path, so it cannot date turning points; it is scored on how many turns a window holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import numpy as np
import polars as pl
from tqdm import tqdm

from hbmcycle.cycle import history, zigzag
from hbmcycle.cycle.scenarios import CycleParams
from hbmcycle.cycle.simulate import simulate

METRICS = ("period_years", "drawdown", "upswing", "turns_per_decade")


def annual_industry_revenue(dram_market: pl.DataFrame) -> pl.DataFrame:
    """THE DRAM revenue history every report uses: annual industry revenue (year,
    dram_revenue_usd_b, is_forecast, confidence, source), sorted, one row per year. Forecast rows are
    excluded (a year known only from a forecast, e.g. 2001, becomes a gap listed by `missing_years`)."""
    frame = dram_market.filter(
        (pl.col("company") == "industry")
        & pl.col("quarter").is_null()
        & pl.col("dram_revenue_usd_b").is_not_null()
        & ~pl.col("is_forecast").cast(pl.Boolean)
    )
    extra = [c for c in ("confidence", "source") if c in frame.columns]
    return frame.select(
        pl.col("year").cast(pl.Int64),
        pl.col("dram_revenue_usd_b").cast(pl.Float64),
        pl.col("is_forecast").cast(pl.Boolean),
        *extra,
    ).sort("year")


def window(revenue: pl.DataFrame, years: tuple[int, int]) -> pl.DataFrame:
    """Rows of `annual_industry_revenue` with first <= year <= last."""
    return revenue.filter(pl.col("year").is_between(*years))


def missing_years(years: Iterable[int]) -> list[int]:
    ys = sorted(int(y) for y in years)
    return sorted(set(range(ys[0], ys[-1] + 1)) - set(ys)) if ys else []


def series_summary(values: np.ndarray, min_swing: float = 0.15) -> dict[str, float]:
    """Cycle statistics of one annual series (one value per year), computed straight from the
    zigzag turns (the numbers `history.cycle_summary` gives, without building frames): METRICS
    plus `turns`. The same computation as every simulated path's (`zigzag.summaries`)."""
    v = np.asarray(values, dtype=float)
    history.find_turns(v, min_swing)  # refuses a series the rule cannot read (NaN, <= 0, bad swing)
    return {k: float(x[0]) for k, x in zigzag.summaries(v.reshape(-1, 1), min_swing).items()}


def observed_summary(revenue: pl.DataFrame, min_swing: float = 0.15) -> dict[str, float]:
    """Cycle statistics of a revenue series (METRICS plus `turns`); turns per decade count the
    calendar span, so a missing year inside it still counts as a year."""
    years = revenue["year"].to_numpy()
    s = series_summary(revenue["dram_revenue_usd_b"].to_numpy(), min_swing)
    return s | {"turns_per_decade": 10.0 * s["turns"] / float(years.max() - years.min() + 1)}


def simulated_stats(
    params: CycleParams,
    years: int = 30,
    paths: int = 500,
    seed: int = 0,
    burn_in_years: int = 3,
    min_swing: float = 0.15,
) -> pl.DataFrame:
    """Cycle statistics (one row per path: METRICS, NaN where a path has too few turns) of the
    model's annual revenue index over `years` years after a burn-in."""
    total_q = 4 * (years + burn_in_years)
    result = simulate(params, paths=paths, quarters=total_q, seed=seed, progress=False)
    annual = result.revenue[4 * burn_in_years :].reshape(years, 4, paths).sum(axis=1).astype(float)
    per_path = zigzag.summaries(annual, min_swing)  # all paths at once
    return pl.DataFrame({m: per_path[m] for m in METRICS}, schema=dict.fromkeys(METRICS, pl.Float64))


def compare(observed: dict[str, float], stats: pl.DataFrame) -> pl.DataFrame:
    """Observed value beside the model's median and 10-90 % range, per metric."""
    rows = []
    for m in METRICS:
        x = stats[m].drop_nans().drop_nulls().to_numpy()
        q = np.quantile(x, [0.1, 0.5, 0.9]) if x.size else [np.nan] * 3
        rows.append((m, observed[m], float(q[1]), float(q[0]), float(q[2]), x.size / max(stats.height, 1)))
    return pl.DataFrame(
        rows,
        schema={
            "metric": pl.String,
            "observed": pl.Float64,
            "model_median": pl.Float64,
            "model_p10": pl.Float64,
            "model_p90": pl.Float64,
            "share_of_paths_with_cycles": pl.Float64,
        },
        orient="row",
    )


def mismatch(observed: dict[str, float], stats: pl.DataFrame) -> float:
    """Squared log-ratio distance between observed and model-median cycle length, drawdown and
    upswing (0 = exact); infinite when most paths show no cycle at all."""
    table = compare(observed, stats)
    if float(table["share_of_paths_with_cycles"].to_numpy().min()) < 0.5:
        return float("inf")
    loss = 0.0
    for obs, mod in zip(table["observed"], table["model_median"]):
        loss += np.log(abs(mod) / abs(obs)) ** 2
    return float(loss)


def fit(
    observed: dict[str, float],
    params: CycleParams,
    grid: Mapping[str, Iterable[float]],
    years: int = 30,
    paths: int = 300,
    seed: int = 0,
    progress: bool = False,
) -> pl.DataFrame:
    """Grid search: one row per combination of the `grid` values (parameter name -> values) with
    the model medians and the mismatch, best first. Same seed everywhere, so differences come
    from the parameters alone. `progress`: a tqdm bar over grid points (on stderr)."""
    names = list(grid)
    rows = []
    combos = list(itertools.product(*(list(grid[n]) for n in names)))
    for combo in tqdm(combos, disable=not progress, desc="grid points", leave=False):
        p = params.replace(**dict(zip(names, combo)))
        stats = simulated_stats(p, years=years, paths=paths, seed=seed)
        table = compare(observed, stats)
        rows.append((*combo, *table["model_median"].to_list(), mismatch(observed, stats)))
    schema = {n: pl.Float64 for n in names} | {f"model_{m}": pl.Float64 for m in METRICS} | {"mismatch": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row").sort("mismatch")


def edge_flags(grid: Mapping[str, Iterable[float]], best: Mapping[str, float]) -> dict[str, bool]:
    """Per grid parameter: is the best value the grid's smallest or largest (a fit on the edge may
    lie outside the grid)?"""
    return {n: best[n] in (min(grid[n]), max(grid[n])) for n in grid}


def out_of_sample(
    fit_obs: dict[str, float],
    test_obs: dict[str, float],
    fit_stats: pl.DataFrame,
    test_stats: pl.DataFrame,
) -> pl.DataFrame:
    """Errors per metric and window. `*_obs`: observed summaries of the fit and test windows;
    `*_stats`: the fitted model's path statistics over windows of the same lengths.

    Columns: metric, window (fit / test), observed, model_median, model_p10, model_p90,
    log_error = ln(|model median| / |observed|) (0 = exact), inside_p10_p90, and
    naive_log_error: the test window scored against the fit window's observed value (the
    forecast "history repeats"); null on the fit window.
    """
    rows = []
    for name, obs, stats in (("fit", fit_obs, fit_stats), ("test", test_obs, test_stats)):
        table = compare(obs, stats)
        for r in table.iter_rows(named=True):
            o, m = r["observed"], r["model_median"]
            err = float(np.log(abs(m) / abs(o))) if o and m and np.isfinite(o * m) else float("nan")
            naive = float(np.log(abs(fit_obs[r["metric"]]) / abs(o))) if name == "test" and o else None
            inside = bool(r["model_p10"] <= o <= r["model_p90"]) if np.isfinite(o) else None
            rows.append((r["metric"], name, o, m, r["model_p10"], r["model_p90"], err, inside, naive))
    schema = {
        "metric": pl.String,
        "window": pl.String,
        "observed": pl.Float64,
        "model_median": pl.Float64,
        "model_p10": pl.Float64,
        "model_p90": pl.Float64,
        "log_error": pl.Float64,
        "inside_p10_p90": pl.Boolean,
        "naive_log_error": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
