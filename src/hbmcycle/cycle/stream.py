"""The Monte Carlo digest of `cycle simulate`, in bounded memory: paths are simulated in chunks.

`simulate.simulate` keeps every variable for every path and quarter (about 40 bytes per
path-quarter with its temporaries), so 2 million paths x 400 quarters would need ~32 GB.
`digest` runs chunks of at most `chunk_paths(quarters)` paths (MEMORY_BUDGET_BYTES each) and
aggregates as it goes:

    P(glut in year y)   = sum over chunks of #paths with a glut quarter in y / N     (exact)
    P(any glut)         = sum over chunks of #paths with any glut quarter / N       (exact)
    median of v at the last quarter of year y: from a HISTOGRAM_BINS-bin histogram per year,
        interpolated inside the median's bin; error at most one bin width, stated in the digest.

Chunk 0 draws from `seed` itself, so a run that fits one chunk is exactly `simulate(seed)`;
chunk i > 0 draws from the seed sequence (seed, i): the same seed and paths give the same result.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from tqdm import tqdm

from hbmcycle.cycle import simulate as sim
from hbmcycle.cycle.scenarios import CycleParams

MEMORY_BUDGET_BYTES = 512 * 2**20
# Bytes held per path and quarter while simulating: five float32 outputs, the float64 capacity
# pipeline, the float32 balance and the year slices taken from it.
BYTES_PER_PATH_QUARTER = 40
HISTOGRAM_BINS = 4096
MEDIAN_VARIABLES = ("price", "utilisation", "balance")


def chunk_paths(quarters: int, budget_bytes: int = MEMORY_BUDGET_BYTES) -> int:
    """Paths per chunk so that one chunk stays within ``budget_bytes``."""
    return max(1, budget_bytes // (BYTES_PER_PATH_QUARTER * quarters))


def _ranges(params: CycleParams) -> dict[str, tuple[float, float]]:
    """Histogram ranges: price is clipped to [floor, cap], utilisation lies in [0, 1]; balance
    (supply / demand - 1) is binned on log(1 + balance) over [-6, 6] (x 0.0025 to x 400)."""
    return {"price": (params.price_floor, params.price_cap), "utilisation": (0.0, 1.0), "balance": (-6.0, 6.0)}


def _transform(variable: str, values: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(values, -1 + 1e-12)) if variable == "balance" else values


def _untransform(variable: str, value: float) -> float:
    return float(np.expm1(value)) if variable == "balance" else value


@dataclasses.dataclass
class _Tally:
    years: np.ndarray  # (Y,) calendar years
    last_quarter: np.ndarray  # (Y,) index of each year's last quarter
    year_of_quarter: np.ndarray  # (Q,) index into years
    glut: np.ndarray  # (Y,) paths with a glut quarter in the year
    shortage: np.ndarray
    any_glut: int
    hist: dict[str, np.ndarray]  # variable -> (Y, bins)

    def add(self, result: sim.SimulationResult, ranges: dict[str, tuple[float, float]]) -> None:
        excess = result.params.glut_excess
        balance = result.balance
        for k in range(self.years.size):
            rows = balance[self.year_of_quarter == k]
            self.glut[k] += int((rows >= excess).any(axis=0).sum())
            self.shortage[k] += int((rows <= -excess).any(axis=0).sum())
        self.any_glut += int((balance >= excess).any(axis=0).sum())
        for v in MEDIAN_VARIABLES:
            low, high = ranges[v]
            values = _transform(v, result.get(v)[self.last_quarter])  # (Y, paths)
            index = np.clip(((values - low) / (high - low) * HISTOGRAM_BINS).astype(np.int64), 0, HISTOGRAM_BINS - 1)
            flat = index + HISTOGRAM_BINS * np.arange(self.years.size)[:, None]
            self.hist[v] += np.bincount(flat.ravel(), minlength=self.hist[v].size).reshape(self.hist[v].shape)


def _median(counts: np.ndarray, low: float, high: float) -> float:
    """Median of a histogram, linear inside the bin where the cumulative count crosses half."""
    cumulative = np.cumsum(counts)
    half = cumulative[-1] / 2.0
    b = int(np.searchsorted(cumulative, half))
    before = cumulative[b - 1] if b else 0.0
    width = (high - low) / counts.size
    return low + width * (b + (half - before) / max(counts[b], 1))


def digest(
    params: CycleParams, paths: int, quarters: int, seed: int = 0, chunk: int | None = None, progress: bool = False
) -> dict:
    """Glut/shortage probabilities by year (exact) and year-end medians (histogram), chunk by chunk."""
    chunk = chunk or chunk_paths(quarters)
    time = params.start_year + np.arange(quarters) / 4.0
    years_of_quarter = np.floor(time + 1e-9).astype(int)
    years = np.unique(years_of_quarter)
    tally = _Tally(
        years=years,
        last_quarter=np.array([np.flatnonzero(years_of_quarter == y)[-1] for y in years]),
        year_of_quarter=np.searchsorted(years, years_of_quarter),
        glut=np.zeros(years.size, dtype=np.int64),
        shortage=np.zeros(years.size, dtype=np.int64),
        any_glut=0,
        hist={v: np.zeros((years.size, HISTOGRAM_BINS), dtype=np.int64) for v in MEDIAN_VARIABLES},
    )
    ranges = _ranges(params)
    sizes = [min(chunk, paths - start) for start in range(0, paths, chunk)]
    for i, size in enumerate(tqdm(sizes, disable=not progress, desc="path chunks", leave=False)):
        chunk_seed = seed if i == 0 else np.random.SeedSequence([seed, i])
        tally.add(sim.simulate(params, paths=size, quarters=quarters, seed=chunk_seed, progress=False), ranges)
    return _assemble(params, paths, quarters, tally, ranges, chunk)


def _assemble(params, paths, quarters, tally: _Tally, ranges, chunk: int) -> dict:
    medians = {
        v: [_untransform(v, _median(tally.hist[v][k], *ranges[v])) for k in range(tally.years.size)]
        for v in MEDIAN_VARIABLES
    }
    by_year = [
        {
            "year": int(y),
            "quarters": int((tally.year_of_quarter == k).sum()),
            "glut_probability": tally.glut[k] / paths,
            "shortage_probability": tally.shortage[k] / paths,
        }
        | {f"median_{v}": medians[v][k] for v in MEDIAN_VARIABLES}
        for k, y in enumerate(tally.years)
    ]
    widths = {v: (ranges[v][1] - ranges[v][0]) / HISTOGRAM_BINS for v in MEDIAN_VARIABLES}
    return {
        "paths": paths,
        "quarters": quarters,
        "params": dataclasses.asdict(params),
        "by_year": by_year,
        "median_at_end": {v: medians[v][-1] for v in MEDIAN_VARIABLES},
        "probability_any_glut": tally.any_glut / paths,
        "median_method": f"{HISTOGRAM_BINS}-bin histograms over {-(-paths // chunk)} chunk(s) of up to {chunk:,} paths; "
        f"bin widths: price {widths['price']:.2g}, utilisation {widths['utilisation']:.2g}, "
        f"log(1 + balance) {widths['balance']:.2g}",
    }
