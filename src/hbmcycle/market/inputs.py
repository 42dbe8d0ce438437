"""Inputs of the HBM market model read from the tables (pure functions of polars frames)."""

from __future__ import annotations

import polars as pl

VENDORS = ("sk_hynix", "samsung", "micron")
# Rows for the same vendor and year: an actual beats an in-year estimate, which beats a forecast.
KIND_RANK = {"actual": 0, "estimate": 1, "forecast": 2}


def vendor_tsv_capacity(tsv: pl.DataFrame) -> pl.DataFrame:
    """Year-end TSV capacity per vendor and year (k wafers/month): columns year, vendor,
    tsv_k_wpm, kind. The value is `tsv_k_wpm`, else the midpoint of its low/high; of several rows
    for one vendor-year the most factual kind wins. CXMT has no row (no figure found)."""
    return (
        tsv.filter(pl.col("vendor").is_in(VENDORS) & pl.col("quarter").is_null())
        .with_columns(
            tsv_k_wpm=pl.coalesce("tsv_k_wpm", (pl.col("tsv_k_wpm_low") + pl.col("tsv_k_wpm_high")) / 2),
            rank=pl.col("kind").replace_strict(KIND_RANK, default=9),
        )
        .drop_nulls("tsv_k_wpm")
        .sort("vendor", "year", "rank")
        .unique(["vendor", "year"], keep="first", maintain_order=True)
        .select(pl.col("year").cast(pl.Int64), "vendor", pl.col("tsv_k_wpm").cast(pl.Float64), "kind")
    )


def dram_wafer_capacity_2024(tsv: pl.DataFrame) -> float:
    """Total DRAM wafer capacity (k wafers/month) at end-2024, derived as the industry TSV
    capacity / its share of DRAM wafers (TrendForce: 250k = 14 %)."""
    row = tsv.filter(
        (pl.col("vendor") == "industry") & (pl.col("year") == 2024) & pl.col("tsv_k_wpm").is_not_null()
    ).drop_nulls("share_of_dram_wafers")
    if row.is_empty():
        raise ValueError("hbm_tsv_capacity has no 2024 industry row with both TSV capacity and DRAM share")
    return float(row["tsv_k_wpm"][0] / row["share_of_dram_wafers"][0])
