"""Tables of a market run: the balance per year, demand and supply stacks, fans, and the chance
of a glut or shortage "in year X" (that year) and "by year X" (in any year up to X)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from hbmcycle.cycle import risk
from hbmcycle.data.db import read_tables
from hbmcycle.market import TABLES, inputs, model, params
from hbmcycle.market.inputs import VENDORS

FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def run_scenario(
    scenario: str = "base",
    overrides: Mapping[str, object] | None = None,
    draws: int = 0,
    seed: int = 0,
    tables: Mapping[str, pl.DataFrame] | None = None,
) -> model.MarketRun:
    """The scenario at its parameter values (draws = 0: one run) or `draws` runs with the uncertain
    parameters drawn over their plausible ranges (`params.draws`)."""
    t = tables if tables is not None else read_tables(TABLES)
    values = params.resolve(scenario, overrides)
    p = params.draws(values, draws, seed) if draws else values
    tsv = t["hbm_tsv_capacity"]
    return model.run(p, inputs.vendor_tsv_capacity(tsv), inputs.dram_wafer_capacity_2024(tsv))


def state(balance: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    """'glut' where supply exceeds demand by the threshold or more, 'shortage' where demand exceeds
    supply by it, else 'balanced' (balance and threshold: fractions of demand)."""
    return np.where(balance >= threshold, "glut", np.where(balance <= -np.asarray(threshold), "shortage", "balanced"))


def yearly(run: model.MarketRun, draw: int = 0) -> pl.DataFrame:
    """One row per year for one draw: demand and supply (EB), balance, state, prices, vendor shares."""

    def col(values: np.ndarray) -> np.ndarray:
        return np.asarray(values)[:, draw]

    balance = col(run.balance)
    return pl.DataFrame(
        {
            "year": run.years,
            "demand_eb": col(run.demand_eb),
            "counted_demand_eb": col(run.counted_demand_eb),
            "supply_eb": col(run.supply_eb),
            "balance": balance,
            "state": state(balance, float(run.glut_threshold[draw])),
            "hbm_price_index": col(run.hbm_price_index),
            "ddr5_price_index": col(run.ddr5_price_index),
            "hbm_premium_vs_ddr5_x": col(run.premium_vs_ddr5),
            "wafer_signal": col(run.wafer_signal),
            "hbm_wafer_share_of_dram": col(run.hbm_wafer_share_of_dram),
        }
        | {f"share_{v}": col(run.vendor_share(v)) for v in VENDORS}
    )


def stack(parts: Mapping[str, np.ndarray], years: np.ndarray, name: str, draw: int = 0) -> pl.DataFrame:
    """Long frame (year, <name>, eb) of per-family demand or per-vendor supply for one draw."""
    return pl.concat(
        [pl.DataFrame({"year": years, name: key, "eb": np.asarray(a)[:, draw]}) for key, a in parts.items()]
    )


def fan(run: model.MarketRun, variable: str, quantiles: Sequence[float] = FAN_QUANTILES) -> pl.DataFrame:
    """Quantiles across draws per year of a MarketRun array (e.g. 'balance', 'demand_eb')."""
    values = getattr(run, variable)
    qs = np.quantile(values, quantiles, axis=1)
    return pl.DataFrame(
        {"year": run.years, "variable": variable} | {f"q{round(q * 100):02d}": qs[i] for i, q in enumerate(quantiles)}
    )


def probabilities(run: model.MarketRun, thresholds: Sequence[float], from_year: int) -> pl.DataFrame:
    """P(glut / shortage) in each year and by each year (counting from `from_year`) over the draws
    of `run`, per threshold; the same rule as the cycle model's (`hbmcycle.cycle.risk`)."""
    sel = run.years >= from_year
    return risk.from_yearly_extremes(run.balance[sel], run.balance[sel], run.years[sel], thresholds)


def balance_in(yearly_table: pl.DataFrame, year: int) -> float:
    """The balance of one year of a `yearly` table: the starting state the cycle scenarios take."""
    return float(yearly_table.filter(pl.col("year") == year)["balance"][0])
