"""Polars scalars as plain numbers: ``Series.max()`` and friends return "any literal or None"."""

from __future__ import annotations

import math


def number(value: object) -> float:
    """An int or float as a float, None as NaN; anything else (a date, a string) is a bug, so it raises."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)
