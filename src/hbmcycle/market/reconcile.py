"""The model's figures beside each published one (TrendForce, Counterpoint, Kiwoom, Omdia), with
the gap in percent. Published values are read from the tables, never typed here.

A lower bound is consistent when the model reaches it; a range when the model is inside it; a
point when the model is within `reconcile_tolerance` of it. Rows whose published figure was used
to set a parameter are marked `calibration target`: agreement there is by construction.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from hbmcycle.market import model

EB_PER_BN_GBIT = 1e9 * model.EB_PER_GBIT
SCHEMA = {
    "figure": pl.String,
    "year": pl.Int64,
    "source": pl.String,
    "published": pl.Float64,
    "published_high": pl.Float64,
    "bound": pl.String,
    "model": pl.Float64,
    "gap_pct": pl.Float64,
    "status": pl.String,
}


def _at(run: model.MarketRun, values: np.ndarray, year: int) -> float:
    return float(np.asarray(values)[list(run.years).index(year), 0])


def _ratio(run: model.MarketRun, values: np.ndarray, year: int) -> float:
    """This year's value over last year's (growth and price changes are compared as ratios)."""
    return _at(run, values, year) / _at(run, values, year - 1)


def _status(bound: str, value: float, low: float, high: float | None, tolerance: float) -> str:
    if bound == "lower bound":
        return "consistent" if value >= low else "inconsistent"
    if bound == "range" and high is not None:
        return "consistent" if low <= value <= high else "inconsistent"
    return "consistent" if abs(value / low - 1.0) <= tolerance else "inconsistent"


def _row(figure, year, source, published, bound, value, tolerance, high=None, calibrated=False) -> dict:
    status = "calibration target" if calibrated else _status(bound, value, published, high, tolerance)
    nearest = high if high is not None and value > high else published  # a range: gap to the bound missed
    gap = 100.0 * (value / nearest - 1.0) if nearest else None
    return dict(figure=figure, year=year, source=source, published=published, published_high=high, bound=bound,
                model=value, gap_pct=gap, status=status)  # fmt: skip


def _one(frame: pl.DataFrame, column: str) -> tuple[float, str] | None:
    frame = frame.drop_nulls(column)
    return (float(frame[column][0]), str(frame["source"][0])) if frame.height else None


def shipment_rows(run: model.MarketRun, t: Mapping[str, pl.DataFrame], tol: float) -> list[dict]:
    rows = []
    ind = t["hbm_vendors"].filter(pl.col("vendor") == "industry")
    ship = _one(ind.filter(pl.col("year") == 2026), "hbm_bit_shipments_bn_gbit")
    if ship:
        eb, src = ship[0] * EB_PER_BN_GBIT, ship[1]
        rows.append(
            _row(
                "HBM bits shipped (EB), model demand",
                2026,
                src,
                eb,
                "lower bound",
                _at(run, run.demand_eb, 2026),
                tol,
                calibrated=True,
            )
        )
        rows.append(
            _row(
                "HBM bits shipped (EB), counted demand only",
                2026,
                src,
                eb,
                "lower bound",
                _at(run, run.counted_demand_eb, 2026),
                tol,
            )
        )
        rows.append(
            _row(
                "HBM bits shipped (EB), model supply", 2026, src, eb, "lower bound", _at(run, run.supply_eb, 2026), tol
            )
        )
    return rows


def growth_rows(run: model.MarketRun, t: Mapping[str, pl.DataFrame], tol: float) -> list[dict]:
    ind = t["hbm_vendors"].filter(pl.col("vendor") == "industry")
    rows = []
    for year in (2024, 2026):
        g = _one(ind.filter(pl.col("year") == year), "hbm_bit_growth_pct")
        if g:
            ratio = 1.0 + g[0] / 100.0
            rows.append(
                _row(
                    "HBM bit supply, year over year (x)",
                    year,
                    g[1],
                    ratio,
                    "point",
                    _ratio(run, run.supply_eb, year),
                    tol,
                )
            )
    h100 = t["accelerator_shipments"].filter((pl.col("product_family") == "h100") & (pl.col("year") == 2023))
    if h100.height:
        r = h100.row(0, named=True)
        eb = r["units_k"] * 1e3 * r["hbm_gib_per_unit"] * model.EB_PER_GIB
        rows.append(
            _row(
                "H100 HBM alone (EB), model demand",
                2023,
                r["source"],
                eb,
                "lower bound",
                _at(run, run.demand_eb, 2023),
                tol,
            )
        )
    return rows


def capacity_rows(run: model.MarketRun, t: Mapping[str, pl.DataFrame], tol: float) -> list[dict]:
    shares = t["hbm_tsv_capacity"].filter((pl.col("vendor") == "industry") & pl.col("tsv_k_wpm").is_null())
    rows = []
    for r in shares.drop_nulls("share_of_dram_wafers").iter_rows(named=True):
        if r["year"] in run.years:
            value = _at(run, run.hbm_wafer_share_of_dram, r["year"])
            rows.append(
                _row("HBM share of DRAM wafers", r["year"], r["source"], r["share_of_dram_wafers"], "point", value, tol)
            )
    return rows


def share_rows(run: model.MarketRun, t: Mapping[str, pl.DataFrame], tol: float) -> list[dict]:
    v = t["hbm_vendors"]
    rows = []
    latest = v.filter(pl.col("quarter").is_not_null() & (pl.col("share_basis") == "revenue")).sort("year", "quarter")
    if latest.height:
        period = latest["period"][-1]
        for r in latest.filter(pl.col("period") == period).iter_rows(named=True):
            value = _at(run, run.vendor_share(r["vendor"]), r["year"])
            rows.append(
                _row(
                    f"{r['vendor']} HBM share ({period} revenue vs model bits {r['year']})",
                    r["year"],
                    r["source"],
                    r["market_share"],
                    "point",
                    value,
                    tol,
                )
            )
    for r in v.filter((pl.col("year") == 2026) & pl.col("market_share_low").is_not_null()).iter_rows(named=True):
        rows.append(
            _row(
                f"{r['vendor']} HBM share",
                2026,
                r["source"],
                r["market_share_low"],
                "lower bound",
                _at(run, run.vendor_share(r["vendor"]), 2026),
                tol,
            )
        )
    calibration = v.filter(
        (pl.col("period") == "2025Q2") & (pl.col("share_basis") == "shipments") & (pl.col("vendor") == "samsung")
    )
    for r in calibration.iter_rows(named=True):
        rows.append(
            _row(
                "samsung HBM share (2025Q2 shipments vs model bits 2025)",
                2025,
                r["source"],
                r["market_share"],
                "point",
                _at(run, run.vendor_share("samsung"), 2025),
                tol,
                calibrated=True,
            )
        )
    return rows


def price_rows(run: model.MarketRun, t: Mapping[str, pl.DataFrame], tol: float) -> list[dict]:
    prices = t["hbm_prices"]
    rows = []
    prem = prices.filter((pl.col("period") == "2025Q2") & (pl.col("metric") == "premium_vs_ddr5_x"))
    if prem.height:
        r = prem.row(0, named=True)
        rows.append(
            _row(
                "HBM premium over DDR5 (x)",
                2025,
                r["source"],
                r["value_low"],
                "lower bound",
                _at(run, run.premium_vs_ddr5, 2025),
                tol,
            )
        )
    cut = prices.filter(
        (pl.col("year") == 2026)
        & (pl.col("product") == "hbm3e")
        & (pl.col("metric") == "contract_price_change_yoy_pct")
    )
    if cut.height:
        r = cut.row(0, named=True)
        low = 1.0 + r["value_low"] / 100.0  # "could fall by up to 30 %": a ratio between low and 1
        rows.append(
            _row(
                "HBM3E contract price, year over year (x)",
                2026,
                r["source"],
                low,
                "range",
                _ratio(run, run.hbm_price_index, 2026),
                tol,
                high=1.0,
            )
        )
    return rows


def table(run: model.MarketRun, tables: Mapping[str, pl.DataFrame], tolerance: float) -> pl.DataFrame:
    """Every reconciliation row for the first draw of `run` (the scenario's own values)."""
    rows = []
    for part in (shipment_rows, growth_rows, capacity_rows, share_rows, price_rows):
        rows += part(run, tables, tolerance)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
