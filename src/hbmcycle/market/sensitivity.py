"""Which inputs flip the answer: each uncertain parameter moved alone to the ends of its plausible
range, all runs in one vectorised pass.

The answer tested is "is there a glut year (balance >= glut_threshold) from `from_year` (the first
year not yet sold out under contract) through `horizon`?"; a parameter flips it when the answer at
its min or its max differs from the scenario's own answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from hbmcycle.market import inputs, model, params


def one_at_a_time(values: Mapping[str, float]) -> tuple[list[tuple[str, str, float]], dict[str, np.ndarray]]:
    """Draws for the scenario itself (first) and each uncertain parameter at its min and its max."""
    cases = [("scenario", "", float("nan"))]
    for name in params.uncertain():
        low, high = params.bounds(name)
        cases += [(name, "min", low), (name, "max", high)]
    draws = {k: np.full(len(cases), float(v)) for k, v in values.items()}
    for i, (name, _, value) in enumerate(cases[1:], start=1):
        draws[name][i] = value
    return cases, draws


def first_glut_year(balance: np.ndarray, years: np.ndarray, threshold: float) -> np.ndarray:
    """Per draw, the first year whose balance reaches the threshold; 0 where none does."""
    glut = balance >= threshold
    return np.where(glut.any(axis=0), years[glut.argmax(axis=0)], 0)


def table(
    run: model.MarketRun, cases: list[tuple[str, str, float]], values: Mapping[str, float], horizon: int, from_year: int
) -> pl.DataFrame:
    """One row per uncertain parameter: its range, the balance in `horizon` and the first glut year
    at each end, and whether either end flips the scenario's answer. Sorted by the balance swing."""
    threshold = float(values["glut_threshold"])
    bal = run.balance[list(run.years).index(horizon)]
    window = (run.years >= from_year) & (run.years <= horizon)
    first = first_glut_year(run.balance[window], run.years[window], threshold)
    base_glut = bool(first[0])
    rows = []
    for i in range(1, len(cases), 2):
        name = cases[i][0]
        lo, hi = i, i + 1
        flips = bool(first[lo]) != base_glut or bool(first[hi]) != base_glut
        rows.append((name, values[name], cases[lo][2], cases[hi][2], bal[lo], bal[hi],
                     int(first[lo]) or None, int(first[hi]) or None, abs(bal[hi] - bal[lo]), flips))  # fmt: skip
    schema = {
        "parameter": pl.String,
        "value": pl.Float64,
        "min": pl.Float64,
        "max": pl.Float64,
        f"balance_{horizon}_at_min": pl.Float64,
        f"balance_{horizon}_at_max": pl.Float64,
        "first_glut_year_at_min": pl.Int64,
        "first_glut_year_at_max": pl.Int64,
        "swing": pl.Float64,
        "flips_answer": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").sort("swing", descending=True)


def analyse(values: Mapping[str, float], tsv: pl.DataFrame, horizon: int, from_year: int) -> pl.DataFrame:
    """`table` for a scenario's values: every one-at-a-time case run in one pass on `hbm_tsv_capacity`."""
    cases, draws = one_at_a_time(values)
    run = model.run(draws, inputs.vendor_tsv_capacity(tsv), inputs.dram_wafer_capacity_2024(tsv))
    return table(run, cases, values, horizon, from_year)
