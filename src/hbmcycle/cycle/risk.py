"""Glut and shortage probabilities "in year X" and "by year X", at several thresholds.

Units: balance = supply capacity / demand at the normal price - 1, a fraction of demand's bits.
A year is a glut year when the balance reaches +threshold (in some quarter, for quarterly
models) and a shortage year when it reaches -threshold. "In year X" is the share of paths with
a glut in year X; "by year X" the share with a glut in any year from the first through X.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from hbmcycle.cycle.simulate import SimulationResult

SCHEMA = ["threshold", "year", "p_glut_in_year", "p_glut_by_year", "p_shortage_in_year", "p_shortage_by_year"]


def from_yearly_extremes(
    high: np.ndarray, low: np.ndarray, years: np.ndarray, thresholds: Sequence[float]
) -> pl.DataFrame:
    """`high` / `low`: each year's largest / smallest balance per path, shape (years, paths)."""
    rows = []
    for th in thresholds:
        glut, short = high >= th, low <= -th
        glut_by, short_by = np.maximum.accumulate(glut, axis=0), np.maximum.accumulate(short, axis=0)
        for i, y in enumerate(years):
            rows.append((float(th), int(y), glut[i].mean(), glut_by[i].mean(), short[i].mean(), short_by[i].mean()))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def simulation_probabilities(result: SimulationResult, thresholds: Sequence[float]) -> pl.DataFrame:
    """The table above for a quarterly Monte Carlo run of the cycle model."""
    years = np.floor(result.time + 1e-9).astype(int)
    unique = np.unique(years)
    bal = result.balance
    high = np.stack([bal[years == y].max(axis=0) for y in unique])
    low = np.stack([bal[years == y].min(axis=0) for y in unique])
    return from_yearly_extremes(high, low, unique, thresholds)


def first_year_at_least(table: pl.DataFrame, column: str, probability: float, threshold: float) -> int | None:
    """The first year whose `column` (e.g. p_glut_by_year) reaches `probability` at `threshold`."""
    hit = table.filter((pl.col("threshold") == threshold) & (pl.col(column) >= probability))
    return int(hit["year"].to_numpy().min()) if hit.height else None
