"""HBM bit demand from accelerator shipments, memory per device, and HBM's weight in DRAM.

HBM demand [GB/yr] = sum over accelerator families of units shipped x HBM GB per unit.
Shipment tables mix family rows (with content) and vendor totals (`*_total`, units only):
the counted demand uses the family rows; the scaled demand divides it by their share of
the vendor totals' units (coverage), i.e. assumes uncounted units carry the average content.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from hbmcycle.cycle import history

EB_PER_GIB = 2**30 / 1e18  # decimal exabytes per binary gigabyte (HBM capacities are GiB)


def shipment_content(shipments: pl.DataFrame, accelerators: pl.DataFrame) -> pl.DataFrame:
    """Shipment rows of accelerators (units known) with `hbm_gib`: the row's hbm_gib_per_unit, else the
    linked accelerator's memory_gib when its memory is HBM; plus `memory_type` and `is_total`."""
    acc = accelerators.select("accelerator_id", "memory_type", pl.col("memory_gib").alias("_acc_gb"))
    return (
        shipments.filter(pl.col("units_k").is_not_null())
        .join(acc, on="accelerator_id", how="left")
        .with_columns(
            hbm_gib=pl.coalesce(
                "hbm_gib_per_unit",
                pl.when(pl.col("memory_type").str.starts_with("HBM")).then("_acc_gb"),
            ),
            is_total=pl.col("product_family").str.ends_with("_total"),
        )
        .drop("_acc_gb")
    )


def hbm_bit_demand(content: pl.DataFrame) -> pl.DataFrame:
    """Per year: units with known HBM content, vendor-total units, coverage and HBM demand in EB.

    content: output of `shipment_content`. Columns: year, units_k_counted, total_units_k,
    coverage (counted / total units of vendors with a total; null without totals),
    hbm_demand_eb_counted, hbm_demand_eb_scaled (counted / coverage), avg_hbm_gib_per_unit,
    any_forecast.
    """
    fam = content.filter(~pl.col("is_total") & pl.col("hbm_gib").is_not_null())
    counted = fam.group_by("year").agg(
        units_k_counted=pl.col("units_k").sum(),
        hbm_demand_eb_counted=(pl.col("units_k") * 1e3 * pl.col("hbm_gib")).sum() * EB_PER_GIB,
        any_forecast=pl.col("is_forecast").any(),
    )
    # coverage only over vendors that report a total, so vendors without one do not inflate it
    totals = content.filter(pl.col("is_total")).group_by("year", "vendor").agg(total=pl.col("units_k").sum())
    fam_by_vendor = fam.group_by("year", "vendor").agg(units=pl.col("units_k").sum())
    cov = (
        totals.join(fam_by_vendor, on=["year", "vendor"], how="left")
        .group_by("year")
        .agg(total_units_k=pl.col("total").sum(), covered=pl.col("units").fill_null(0).sum())
    )
    return (
        counted.join(cov, on="year", how="full", coalesce=True)
        .with_columns(
            coverage=pl.when(pl.col("total_units_k") > 0).then(pl.col("covered") / pl.col("total_units_k")),
            avg_hbm_gib_per_unit=pl.col("hbm_demand_eb_counted") / EB_PER_GIB / (pl.col("units_k_counted") * 1e3),
        )
        .with_columns(
            hbm_demand_eb_scaled=pl.when(pl.col("coverage") > 0)
            .then(pl.col("hbm_demand_eb_counted") / pl.col("coverage").clip(upper_bound=1.0))
            .otherwise(pl.col("hbm_demand_eb_counted")),
        )
        .drop("covered")
        .sort("year")
    )


def demand_by_generation(content: pl.DataFrame) -> pl.DataFrame:
    """HBM demand (EB) per year and memory generation (memory_type of the linked accelerator;
    `unknown` where the row names no accelerator)."""
    return (
        content.filter(~pl.col("is_total") & pl.col("hbm_gib").is_not_null())
        .with_columns(pl.col("memory_type").fill_null("unknown"))
        .group_by("year", "memory_type")
        .agg(hbm_demand_eb=(pl.col("units_k") * 1e3 * pl.col("hbm_gib")).sum() * EB_PER_GIB)
        .sort("year", "memory_type")
    )


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
