"""Cycle turning points and growth rates of annual market series (pure functions).

A turning point is found with a zigzag rule: a peak is confirmed once the series has
fallen by at least `min_swing` (a fraction) from it, a trough once it has risen by at
least `min_swing`. Small wiggles inside a boom or a bust are thereby ignored, and the
last, unconfirmed extreme of a series is not reported.
"""

from __future__ import annotations

import numpy as np
import polars as pl

PEAK, TROUGH = "peak", "trough"


def find_turns(values: np.ndarray, min_swing: float = 0.15) -> list[tuple[int, str]]:
    """Indices and kinds (`"peak"` / `"trough"`) of confirmed turning points, in order.

    values: a positive series (revenue in USD, a price index ...), any unit.
    min_swing: the relative reversal that confirms an extreme (0.15 = 15 %).
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValueError("values must be positive and finite (drop missing years first)")
    if not 0 < min_swing < 1:
        raise ValueError(f"min_swing must be in (0, 1), got {min_swing}")
    turns: list[tuple[int, str]] = []
    trend, ext, hi, lo = 0, 0, 0, 0
    for i in range(1, len(v)):
        x = v[i]
        if trend == 0:
            hi = i if x > v[hi] else hi
            lo = i if x < v[lo] else lo
            rose = x >= v[lo] * (1 + min_swing)
            fell = x <= v[hi] * (1 - min_swing)
            # if both hold, the more recent extreme started the move
            if rose and (not fell or lo > hi):
                turns.append((lo, TROUGH))
                trend, ext = 1, i
            elif fell:
                turns.append((hi, PEAK))
                trend, ext = -1, i
        elif trend == 1:
            if x >= v[ext]:
                ext = i
            elif x <= v[ext] * (1 - min_swing):
                turns.append((ext, PEAK))
                trend, ext = -1, i
        else:
            if x <= v[ext]:
                ext = i
            elif x >= v[ext] * (1 + min_swing):
                turns.append((ext, TROUGH))
                trend, ext = 1, i
    return turns


def turning_points(years: np.ndarray, values: np.ndarray, min_swing: float = 0.15) -> pl.DataFrame:
    """Confirmed peaks and troughs as a frame: year, value, kind."""
    years = np.asarray(years)
    values = np.asarray(values, dtype=float)
    turns = find_turns(values, min_swing)
    return pl.DataFrame(
        {
            "year": [int(years[i]) for i, _ in turns],
            "value": [float(values[i]) for i, _ in turns],
            "kind": [k for _, k in turns],
        },
        schema={"year": pl.Int64, "value": pl.Float64, "kind": pl.String},
    )


def phases(turns: pl.DataFrame) -> pl.DataFrame:
    """Up- and down-phases between consecutive turns.

    Columns: start_year, end_year, phase (`up` trough->peak, `down` peak->trough),
    change (end/start - 1, a fraction) and years (duration).
    """
    t = turns.sort("year")
    return pl.DataFrame(
        {
            "start_year": t["year"][:-1],
            "end_year": t["year"][1:],
            "phase": ["up" if k == TROUGH else "down" for k in t["kind"][:-1]],
            "change": (t["value"][1:] / t["value"][:-1] - 1.0),
        },
        schema={"start_year": pl.Int64, "end_year": pl.Int64, "phase": pl.String, "change": pl.Float64},
    ).with_columns(years=pl.col("end_year") - pl.col("start_year"))


def cycle_lengths(turns: pl.DataFrame) -> pl.DataFrame:
    """Peak-to-peak and trough-to-trough durations in years: columns kind, from_year, to_year, years."""
    rows = []
    for kind in (PEAK, TROUGH):
        ys = turns.filter(pl.col("kind") == kind).sort("year")["year"].to_list()
        rows += [(kind, a, b, b - a) for a, b in zip(ys, ys[1:])]
    return pl.DataFrame(
        rows, schema={"kind": pl.String, "from_year": pl.Int64, "to_year": pl.Int64, "years": pl.Int64}, orient="row"
    )


def cycle_summary(turns: pl.DataFrame) -> dict[str, float]:
    """Headline statistics of a series' cycles (NaN where there are too few turns).

    period_years: mean of all peak-to-peak and trough-to-trough lengths;
    drawdown: median peak-to-trough change (negative fraction);
    upswing: median trough-to-peak change (positive fraction).
    """
    ph = phases(turns) if turns.height >= 2 else None
    lengths = cycle_lengths(turns)["years"].to_numpy() if turns.height >= 3 else np.array([])

    def med(phase: str) -> float:
        if ph is None:
            return float("nan")
        x = ph.filter(pl.col("phase") == phase)["change"].to_numpy()
        return float(np.median(x)) if x.size else float("nan")

    return {
        "turns": float(turns.height),
        "period_years": float(lengths.mean()) if lengths.size else float("nan"),
        "drawdown": med("down"),
        "upswing": med("up"),
    }


def phase_mean(phase_table: pl.DataFrame, years: np.ndarray, values: np.ndarray) -> pl.DataFrame:
    """Mean of a yearly series (e.g. bit-demand growth in %) over each phase's years.

    A phase from year a to year b covers years a+1 .. b (the growth that carried it there).
    Adds columns mean_value and n_years (observations found); phases without data get null.
    """
    years = np.asarray(years)
    values = np.asarray(values, dtype=float)
    means, counts = [], []
    for a, b in zip(phase_table["start_year"], phase_table["end_year"]):
        sel = (years > a) & (years <= b) & np.isfinite(values)
        counts.append(int(sel.sum()))
        means.append(float(values[sel].mean()) if sel.any() else None)
    return phase_table.with_columns(
        mean_value=pl.Series(means, dtype=pl.Float64), n_years=pl.Series(counts, dtype=pl.Int64)
    )


def cagr(start_value: float | np.ndarray, end_value: float | np.ndarray, years: float | np.ndarray) -> np.ndarray:
    """Compound annual growth rate: (end/start)^(1/years) - 1, as a fraction per year."""
    start_value, end_value, years = (np.asarray(x, dtype=float) for x in (start_value, end_value, years))
    if np.any(years <= 0):
        raise ValueError("years must be positive")
    if np.any(start_value <= 0) or np.any(end_value <= 0):
        raise ValueError("cagr needs positive start and end values")
    return (end_value / start_value) ** (1.0 / years) - 1.0


def loglinear_cagr(years: np.ndarray, values: np.ndarray) -> float:
    """Growth rate per year of the least-squares line through log(values) against years.

    Less sensitive to an odd first or last point than `cagr`; needs >= 2 distinct years.
    """
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(years) & np.isfinite(values) & (values > 0)
    if np.unique(years[ok]).size < 2:
        raise ValueError("need at least two distinct years with positive values")
    slope = np.polyfit(years[ok], np.log(values[ok]), 1)[0]
    return float(np.expm1(slope))


def generation_gaps(names: list[str], dates: list) -> pl.DataFrame:
    """Years between consecutive generations (e.g. JEDEC dates of DDR3 -> DDR4 -> DDR5).

    dates: datetime.date (or anything polars casts to Date); rows are sorted by date.
    Columns: generation, date, years_since_previous.
    """
    f = (
        pl.DataFrame({"generation": names, "date": dates})
        .with_columns(pl.col("date").cast(pl.Date))
        .drop_nulls("date")
        .sort("date")
    )
    return f.with_columns(years_since_previous=(pl.col("date").diff().dt.total_days() / 365.25))
