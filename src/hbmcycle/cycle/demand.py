"""Memory per device (HBM per accelerator, DRAM per notebook and phone), the one HBM content
growth figure every report quotes, and HBM's weight in DRAM wafers.

HBM bit demand from shipments lives in `hbmcycle.market.model` (demand by product family).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from hbmcycle.cycle import history


def accelerator_memory_by_year(accelerators: pl.DataFrame) -> pl.DataFrame:
    """HBM per accelerator package by ship year: max and median memory_gib over HBM products."""
    return (
        accelerators.filter(
            pl.col("memory_type").str.starts_with("HBM")
            & pl.col("ship_year").is_not_null()
            & pl.col("memory_gib").is_not_null()
        )
        .group_by("ship_year")
        .agg(max_gb=pl.col("memory_gib").max(), median_gb=pl.col("memory_gib").median(), products=pl.len())
        .rename({"ship_year": "year"})
        .sort("year")
    )


def memory_per_device(pc_dram: pl.DataFrame, accelerators: pl.DataFrame) -> pl.DataFrame:
    """Long frame (year, series, gb) of average DRAM per PC/phone/server and the largest and median
    HBM per accelerator shipped that year: the data behind the log-axis comparison."""
    dev = pc_dram.select(
        pl.col("year").cast(pl.Int64),
        series=pl.lit("average DRAM per ") + pl.col("device"),
        gb=pl.col("avg_dram_gb").cast(pl.Float64),
    ).drop_nulls("gb")
    acc = accelerator_memory_by_year(accelerators)
    acc_long = pl.concat(
        [
            acc.select(
                pl.col("year").cast(pl.Int64),
                series=pl.lit("largest HBM per accelerator"),
                gb=pl.col("max_gb").cast(pl.Float64),
            ),
            acc.select(
                pl.col("year").cast(pl.Int64),
                series=pl.lit("median HBM per accelerator"),
                gb=pl.col("median_gb").cast(pl.Float64),
            ),
        ]
    )
    return pl.concat([dev, acc_long]).sort("series", "year")


def growth_rates(per_device: pl.DataFrame) -> pl.DataFrame:
    """Log-linear CAGR (fraction per year) and span of each series of `memory_per_device`."""
    rows = []
    for (name,), g in per_device.group_by("series", maintain_order=True):
        years, gb = g["year"].to_numpy(), g["gb"].to_numpy()
        ok = np.unique(years).size >= 2
        rows.append(
            (
                name,
                int(years.min()),
                int(years.max()),
                float(gb[years.argmin()]),
                float(gb[years.argmax()]),
                history.loglinear_cagr(years, gb) if ok else None,
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            "series": pl.String,
            "first_year": pl.Int64,
            "last_year": pl.Int64,
            "first_gb": pl.Float64,
            "last_gb": pl.Float64,
            "cagr": pl.Float64,
        },
        orient="row",
    )


def hbm_wafer_share(bit_share: np.ndarray | float, trade_ratio: np.ndarray | float) -> np.ndarray:
    """Share of DRAM wafers that HBM takes when it is `bit_share` of bits and each HBM bit needs
    `trade_ratio` times the wafer area of a DDR5 bit: b t / (b t + 1 - b)."""
    b, t = np.asarray(bit_share, dtype=float), np.asarray(trade_ratio, dtype=float)
    if np.any((b < 0) | (b > 1)) or np.any(t <= 0):
        raise ValueError("bit_share must be in [0, 1] and trade_ratio positive")
    return b * t / (b * t + 1.0 - b)


def effective_bit_capacity(wafer_share: np.ndarray | float, trade_ratio: np.ndarray | float) -> np.ndarray:
    """Bits the DRAM wafer base yields, relative to all-DDR5, when HBM takes `wafer_share` of
    wafers: 1 - wafer_share (1 - 1/trade_ratio). The lost fraction is what the trade ratio costs."""
    w, t = np.asarray(wafer_share, dtype=float), np.asarray(trade_ratio, dtype=float)
    if np.any((w < 0) | (w > 1)) or np.any(t <= 0):
        raise ValueError("wafer_share must be in [0, 1] and trade_ratio positive")
    return 1.0 - w * (1.0 - 1.0 / t)


CONTENT_GROWTH_METHOD = "log-linear CAGR of the largest HBM per shipping accelerator by ship year (accelerators)"


def hbm_content_growth(accelerators: pl.DataFrame) -> dict[str, float | int | str]:
    """THE growth of HBM per accelerator every report quotes (fraction per year), with its span and
    method: the least-squares line through log(largest HBM GiB per package) against ship year, over
    products with status `shipping` (announced and roadmap parts excluded)."""
    shipping = accelerators.filter(pl.col("status") == "shipping") if "status" in accelerators.columns else accelerators
    by_year = accelerator_memory_by_year(shipping)
    years, gib = by_year["year"].to_numpy(), by_year["max_gb"].to_numpy()
    return {
        "cagr": history.loglinear_cagr(years, gib),
        "first_year": int(years.min()),
        "last_year": int(years.max()),
        "method": CONTENT_GROWTH_METHOD,
    }
