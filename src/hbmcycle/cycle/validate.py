"""The out-of-sample back-test as one call: fit the cycle model on DRAM history of the fit window,
score it on the test window (both set in scenarios.yaml `backtest`), and return every table.

Used by `hbmcycle cycle backtest` and the memory_cycle report, so both show the same numbers.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from hbmcycle.cycle import backtest, history, scenarios
from hbmcycle.cycle.scenarios import CycleParams


@dataclasses.dataclass(frozen=True)
class BacktestResult:
    fit_years: tuple[int, int]
    test_years: tuple[int, int]
    gaps: list[int]  # years inside the windows without an actual revenue figure
    turns: pl.DataFrame  # observed turning points over both windows (year, value, kind)
    grid: pl.DataFrame  # every grid point, best first (fit window only)
    best: dict[str, float]
    on_edge: dict[str, bool]
    fitted: CycleParams
    errors: pl.DataFrame  # backtest.out_of_sample

    def defaults_vs_fit(self) -> dict[str, dict[str, float]]:
        """The HBM scenarios' defaults (scenarios.yaml) beside the fitted values: they should match."""
        d = dataclasses.asdict(scenarios.defaults())
        return {k: {"fitted": v, "scenario_default": float(d[k])} for k, v in self.best.items()}

    def to_json(self) -> dict:
        return {
            "fit_years": list(self.fit_years),
            "test_years": list(self.test_years),
            "missing_years": self.gaps,
            "turning_points": self.turns.to_dicts(),
            "best": self.best,
            "best_on_grid_edge": self.on_edge,
            "hbm_scenario_defaults": self.defaults_vs_fit(),
            "errors": self.errors.to_dicts(),
        }


def design() -> dict:
    """The `backtest` section of scenarios.yaml (windows, grid, paths, min_swing)."""
    doc = scenarios.load_file()["backtest"]
    return {k: doc[k] for k in ("fit_years", "test_years", "grid", "paths", "min_swing")}


def fit_window_demand_growth(dram_market: pl.DataFrame, years: tuple[int, int]) -> float | None:
    """Mean DRAM bit-demand growth (fraction/yr) over the window, industry rows, forecasts excluded."""
    g = dram_market.filter(
        (pl.col("company") == "industry")
        & pl.col("quarter").is_null()
        & ~pl.col("is_forecast").cast(pl.Boolean)
        & pl.col("year").is_between(*years)
    )["bit_demand_growth_pct"].drop_nulls()
    return float(g.to_numpy().mean()) / 100 if g.len() else None


def run(dram_market: pl.DataFrame, paths: int | None = None, seed: int = 0, progress: bool = False) -> BacktestResult:
    """Fit on the fit window, score on the test window; `paths` overrides the design's count."""
    d = design()
    fit_years, test_years = tuple(d["fit_years"]), tuple(d["test_years"])
    n = paths or d["paths"]
    revenue = backtest.annual_industry_revenue(dram_market)
    fit_rev, test_rev = backtest.window(revenue, fit_years), backtest.window(revenue, test_years)
    fit_obs = backtest.observed_summary(fit_rev, d["min_swing"])
    test_obs = backtest.observed_summary(test_rev, d["min_swing"])
    growth = fit_window_demand_growth(dram_market, fit_years)
    params = scenarios.resolve("backtest", {"content_growth": growth} if growth is not None else {})
    fit_len = fit_years[1] - fit_years[0] + 1
    test_len = test_years[1] - test_years[0] + 1
    grid = backtest.fit(fit_obs, params, d["grid"], years=fit_len, paths=n, seed=seed, progress=progress)
    best = {k: float(grid.row(0, named=True)[k]) for k in d["grid"]}
    fitted = params.replace(**best)
    errors = backtest.out_of_sample(
        fit_obs,
        test_obs,
        backtest.simulated_stats(fitted, years=fit_len, paths=4 * n, seed=seed + 1, min_swing=d["min_swing"]),
        backtest.simulated_stats(fitted, years=test_len, paths=4 * n, seed=seed + 2, min_swing=d["min_swing"]),
    )
    both = backtest.window(revenue, (fit_years[0], test_years[1]))
    turns = history.turning_points(both["year"].to_numpy(), both["dram_revenue_usd_b"].to_numpy(), d["min_swing"])
    gaps = sorted(set(range(fit_years[0], test_years[1] + 1)) - set(both["year"].to_list()))
    return BacktestResult(
        fit_years, test_years, gaps, turns, grid, best, backtest.edge_flags(d["grid"], best), fitted, errors
    )
