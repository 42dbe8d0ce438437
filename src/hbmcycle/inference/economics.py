"""Serving economics: tokens per second per megawatt and dollars per million tokens.

Pure arithmetic on arrays; the figures come from the model (throughput), the ``systems``
table (rack power, accelerator count) and ``rental_prices`` (USD per accelerator-hour).
"""

from __future__ import annotations

import numpy as np
import polars as pl

SECONDS_PER_HOUR = 3600.0


def total_tokens_per_s(concurrent_requests, per_user_tokens_per_s) -> np.ndarray:
    """Aggregate output rate = requests served at once x tokens/s each (1,920 x 100 = 192,000)."""
    return np.asarray(concurrent_requests, dtype=float) * np.asarray(per_user_tokens_per_s, dtype=float)


def tokens_per_s_per_megawatt(tokens_per_s, power_kw) -> np.ndarray:
    """Output tokens/s per MW of power: ``tokens_per_s / (power_kw / 1000)``."""
    return np.asarray(tokens_per_s, dtype=float) / (np.asarray(power_kw, dtype=float) / 1000.0)


def usd_per_million_tokens(usd_per_accelerator_hour, tokens_per_s_per_accelerator) -> np.ndarray:
    """Rental cost of a million output tokens: ``price / (tokens/s x 3600) x 1e6`` (USD)."""
    tokens_per_hour = np.asarray(tokens_per_s_per_accelerator, dtype=float) * SECONDS_PER_HOUR
    return np.asarray(usd_per_accelerator_hour, dtype=float) / tokens_per_hour * 1e6


def system_power_kw(rack_power_kw, accelerator_count, tdp_w) -> tuple[np.ndarray, np.ndarray]:
    """Power of a system (kW) and its basis: the stated rack power, else accelerators x TDP.

    The fallback counts the accelerators only (no CPUs, network, cooling), so it flatters
    tokens per MW; the basis array says which figure each system used.
    """
    rack = np.asarray(rack_power_kw, dtype=float)
    fallback = np.asarray(accelerator_count, dtype=float) * np.asarray(tdp_w, dtype=float) / 1000.0
    stated = np.isfinite(rack)
    return np.where(stated, rack, fallback), np.where(stated, "rack_power_kw", "accelerator_tdp_only")


def rental_price(rental_prices: pl.DataFrame, terms: str = "on_demand") -> pl.DataFrame:
    """Median USD per accelerator-hour per accelerator over its most recent year of ``terms`` prices.

    Returns columns accelerator_id, usd_per_gpu_hour, price_year, price_rows.
    """
    rows = rental_prices.filter(pl.col("terms") == terms).with_columns(
        pl.col("date").cast(pl.Utf8).str.slice(0, 4).cast(pl.Int32).alias("price_year")
    )
    latest = rows.filter(pl.col("price_year") == pl.col("price_year").max().over("accelerator_id"))
    return (
        latest.group_by("accelerator_id")
        .agg(
            pl.col("usd_per_gpu_hour").median(),
            pl.col("price_year").first(),
            pl.len().alias("price_rows"),
        )
        .sort("accelerator_id")
    )
