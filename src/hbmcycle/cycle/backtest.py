"""Back-test: does the cycle model, run as a commodity DRAM market, produce cycles of the
observed length and amplitude?

The observed cycles come from annual DRAM industry revenue (`history`); the simulated
ones from the model's annual revenue index (P x U x K summed over four quarters) after a
burn-in, detected with the same zigzag rule, path by path. Cycle length and amplitude are
compared as distributions; `fit` grid-searches the least-known parameters
(e.g. capacity_response, elasticity, lead time) for the closest match.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import numpy as np
import polars as pl

from hbmcycle.cycle import history
from hbmcycle.cycle.scenarios import CycleParams
from hbmcycle.cycle.simulate import simulate

METRICS = ("period_years", "drawdown", "upswing")


def annual_industry_revenue(dram_market: pl.DataFrame) -> pl.DataFrame:
    """Annual industry DRAM revenue rows (year, dram_revenue_usd_b, is_forecast), sorted; years
    without a value are dropped (gaps are listed by `missing_years`)."""
    return (
        dram_market.filter(
            (pl.col("company") == "industry") & pl.col("quarter").is_null() & pl.col("dram_revenue_usd_b").is_not_null()
        )
        .select(
            pl.col("year").cast(pl.Int64),
            pl.col("dram_revenue_usd_b").cast(pl.Float64),
            pl.col("is_forecast").cast(pl.Boolean),
        )
        .sort("year")
    )


def missing_years(years: Iterable[int]) -> list[int]:
    ys = sorted(int(y) for y in years)
    return sorted(set(range(ys[0], ys[-1] + 1)) - set(ys)) if ys else []


def observed_summary(revenue: pl.DataFrame, min_swing: float = 0.15) -> dict[str, float]:
    turns = history.turning_points(revenue["year"].to_numpy(), revenue["dram_revenue_usd_b"].to_numpy(), min_swing)
    return history.cycle_summary(turns)


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
    rows = []
    for i in range(paths):
        turns = history.turning_points(np.arange(years), annual[:, i], min_swing)
        s = history.cycle_summary(turns)
        rows.append(tuple(s[m] for m in METRICS))
    return pl.DataFrame(rows, schema=dict.fromkeys(METRICS, pl.Float64), orient="row")


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
    if table["share_of_paths_with_cycles"].min() < 0.5:
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
) -> pl.DataFrame:
    """Grid search: one row per combination of the `grid` values (parameter name -> values) with
    the model medians and the mismatch, best first. Same seed everywhere, so differences come
    from the parameters alone."""
    names = list(grid)
    rows = []
    for combo in itertools.product(*(list(grid[n]) for n in names)):
        p = params.replace(**dict(zip(names, combo)))
        stats = simulated_stats(p, years=years, paths=paths, seed=seed)
        table = compare(observed, stats)
        rows.append((*combo, *table["model_median"].to_list(), mismatch(observed, stats)))
    schema = {n: pl.Float64 for n in names} | {f"model_{m}": pl.Float64 for m in METRICS} | {"mismatch": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row").sort("mismatch")
