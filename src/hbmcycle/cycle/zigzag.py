"""The zigzag turning-point rule of `history.find_turns`, run on many simulated paths at once.

The back-test scores thousands of simulated revenue paths per grid point; running the rule path
by path in Python cost about 2 s of the memory_cycle report. Here the same state machine steps
through the years once, with every path's state (trend, running extreme, highs and lows before
the first turn) held in arrays, and the cycle statistics come from the marked turns with array
arithmetic. The comparisons and divisions are the scalar rule's, in the same order, so the
turns and the statistics are identical to `history.find_turns` and `backtest.series_summary`.
"""

from __future__ import annotations

import numpy as np

PEAK, TROUGH = 1, -1  # marks; 0 = not a turn


def turn_marks(values: np.ndarray, min_swing: float = 0.15) -> np.ndarray:
    """values: (years, paths), positive. Returns (years, paths) int8: PEAK / TROUGH where a turn is confirmed."""
    v = np.asarray(values, dtype=float)
    years, paths = v.shape
    cols = np.arange(paths)
    marks = np.zeros((years, paths), dtype=np.int8)
    trend = np.zeros(paths, dtype=np.int8)
    ext, hi, lo = (np.zeros(paths, dtype=np.intp) for _ in range(3))
    for i in range(1, years):
        x, flat, rising, falling = v[i], trend == 0, trend == 1, trend == -1
        hi = np.where(flat & (x > v[hi, cols]), i, hi)
        lo = np.where(flat & (x < v[lo, cols]), i, lo)
        rose, fell = x >= v[lo, cols] * (1 + min_swing), x <= v[hi, cols] * (1 - min_swing)
        first_up = flat & rose & (~fell | (lo > hi))  # both: the more recent extreme started the move
        first_down = flat & ~first_up & fell
        v_ext = v[ext, cols]
        new_high, new_low = rising & (x >= v_ext), falling & (x <= v_ext)
        peak = rising & ~new_high & (x <= v_ext * (1 - min_swing))
        trough = falling & ~new_low & (x >= v_ext * (1 + min_swing))
        marks[lo[first_up], cols[first_up]] = TROUGH
        marks[hi[first_down], cols[first_down]] = PEAK
        marks[ext[peak], cols[peak]] = PEAK
        marks[ext[trough], cols[trough]] = TROUGH
        ext = np.where(first_up | first_down | new_high | new_low | peak | trough, i, ext)
        trend = np.where(first_up | trough, 1, np.where(first_down | peak, -1, trend)).astype(np.int8)
    return marks


def _median_rows(values: np.ndarray) -> np.ndarray:
    """Median of the non-NaN entries of each row (NaN for none), as statistics.median computes it."""
    if values.shape[1] == 0:
        return np.full(len(values), np.nan)
    ordered = np.sort(values, axis=1)  # NaN sort last
    count = (~np.isnan(values)).sum(axis=1)
    rows = np.arange(len(values))
    low = ordered[rows, np.maximum((count - 1) // 2, 0)]
    high = ordered[rows, np.maximum(count // 2, 0).clip(max=values.shape[1] - 1)]
    median = np.where(count % 2 == 1, low, (low + high) / 2)
    return np.where(count > 0, median, np.nan)


def summaries(values: np.ndarray, min_swing: float = 0.15) -> dict[str, np.ndarray]:
    """Per path (columns of ``values``): turns, period_years, drawdown, upswing, turns_per_decade.

    period_years: mean of the peak-to-peak and trough-to-trough gaps (needs 3 turns); drawdown
    and upswing: median change from a peak to the next trough and from a trough to the next peak.
    """
    v = np.asarray(values, dtype=float)
    marks = turn_marks(v, min_swing).T  # (paths, years)
    paths, years = marks.shape
    turns = (marks != 0).sum(axis=1)
    # Turns of each path packed left, in time order: (paths, most turns), padded with -1.
    order = np.argsort(marks == 0, axis=1, kind="stable")[:, : max(int(turns.max(initial=0)), 1)]
    valid = np.arange(order.shape[1]) < turns[:, None]
    index = np.where(valid, order, -1)
    kind = np.where(valid, np.take_along_axis(marks, order, axis=1), 0)
    gaps = np.zeros(paths)
    counts = np.zeros(paths)
    for mark in (PEAK, TROUGH):
        at = np.where(kind == mark, index, -1)
        n = (kind == mark).sum(axis=1)
        first = np.where(at >= 0, at, years).min(axis=1)
        gaps += np.where(n >= 2, at.max(axis=1) - first, 0)
        counts += np.maximum(n - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        period = np.where(turns >= 3, gaps / counts, np.nan)
    level = np.where(valid, v.T[np.arange(paths)[:, None], np.maximum(index, 0)], np.nan)
    change = level[:, 1:] / level[:, :-1] - 1.0
    return {
        "turns": turns.astype(float),
        "period_years": period,
        "drawdown": _median_rows(np.where(kind[:, :-1] == PEAK, change, np.nan)),
        "upswing": _median_rows(np.where(kind[:, :-1] == TROUGH, change, np.nan)),
        "turns_per_decade": 10.0 * turns / years,
    }
