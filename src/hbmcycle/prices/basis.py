"""One price basis for an accelerator-hour: the market index, the on-demand list price, or the cost of owning it.

Three bases, never mixed silently; every price carries its basis, date and sources:

* ``market_index``: the latest dated market rental index for the accelerator
  (``rental_prices`` rows with ``price_basis = market_index``);
* ``on_demand_list``: the median on-demand list price of the latest year with rows, labelled
  as a list price (clouds' list prices run well above the market index);
* ``tco``: the hourly cost of owning and running the chip, every input from ``tco_inputs``
  and ``systems`` except the amortisation period (an assumption, ``prices/assumptions.yaml``):

      usd_per_hour = capex / (years x 8760 x utilisation)                       [USD/h]
                   + power_kw x PUE x electricity_usd_per_kwh                     [USD/h]
                   + power_kw x colocation_usd_per_kw_month / hours_per_month     [USD/h]

  capex per accelerator is the median of the ``accelerator_capex`` estimates for it, or of the
  ``system_capex`` estimates of a system built from it divided by its accelerator count
  (claims under test, ``kind = claim``, never count); power per accelerator is the system's
  ``rack_power_kw / accelerator_count``; electricity, colocation and PUE are the latest rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import polars as pl

from hbmcycle import assumptions

BASES: tuple[str, ...] = ("market_index", "on_demand_list", "tco")
ASSUMPTIONS_PATH = Path(__file__).with_name("assumptions.yaml")
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Price:
    """An accelerator-hour price with its basis ("" and NaN where the basis has no figure)."""

    accelerator_id: str
    basis: str
    usd_per_hour: float
    as_of: str
    sources: str
    detail: str

    @property
    def known(self) -> bool:
        return math.isfinite(self.usd_per_hour)

    @property
    def label(self) -> str:
        return f"${self.usd_per_hour:.2f}/h ({self.basis}, {self.as_of}; {self.detail})"


def number(value: object) -> float:
    """A polars scalar (median, min, ...) as a float; NaN for None (an empty or all-null column)."""
    return float("nan") if value is None else float(cast(float, value))


def settings() -> dict:
    """The price-basis assumptions (``prices/assumptions.yaml``)."""
    return assumptions.values(ASSUMPTIONS_PATH)


def _missing(accelerator_id: str, basis: str, why: str) -> Price:
    return Price(accelerator_id, basis, float("nan"), "", "", why)


def market_index(rental_prices: pl.DataFrame, accelerator_id: str) -> Price:
    """The latest market-index rental price of the accelerator (median of the rows of the latest date).

    One index may publish a range (low and high end) on one date: its median is the level.
    """
    rows = rental_prices.filter(
        (pl.col("accelerator_id") == accelerator_id) & (pl.col("price_basis") == "market_index")
    )
    if rows.is_empty():
        return _missing(accelerator_id, "market_index", "no market-index row in rental_prices")
    latest = rows.filter(pl.col("date") == rows["date"].max())
    sources = ";".join(sorted(set(";".join(latest["source"].to_list()).split(";"))))
    providers = "; ".join(sorted(set(latest["provider"].to_list())))
    return Price(
        accelerator_id,
        "market_index",
        number(latest["usd_per_gpu_hour"].median()),
        str(latest["date"][0]),
        sources,
        f"{providers}, median of the latest date's {latest.height} of {rows.height} index rows",
    )


def on_demand_list(rental_prices: pl.DataFrame, accelerator_id: str) -> Price:
    """The median on-demand list price of the latest year with rows for the accelerator."""
    rows = rental_prices.filter(
        (pl.col("accelerator_id") == accelerator_id) & (pl.col("price_basis") == "on_demand_list")
    ).with_columns(year=pl.col("date").cast(pl.Utf8).str.slice(0, 4))
    if rows.is_empty():
        return _missing(accelerator_id, "on_demand_list", "no on-demand list row in rental_prices")
    latest = rows.filter(pl.col("year") == rows["year"].max())
    sources = ";".join(sorted(set(";".join(latest["source"].to_list()).split(";"))))
    return Price(
        accelerator_id,
        "on_demand_list",
        number(latest["usd_per_gpu_hour"].median()),
        str(latest["year"][0]),
        sources,
        f"list price, median of {latest.height} provider rows",
    )


def _latest(tco_inputs: pl.DataFrame, item: str) -> dict | None:
    rows = tco_inputs.filter((pl.col("item") == item) & (pl.col("kind") != "claim")).sort("as_of")
    return rows.row(-1, named=True) if rows.height else None


def capex_per_accelerator(tco_inputs: pl.DataFrame, systems: pl.DataFrame, accelerator_id: str) -> tuple[float, str]:
    """Median capex estimate per accelerator (USD) and the input ids it rests on (NaN, "" if none)."""
    own = tco_inputs.filter(
        (pl.col("item") == "accelerator_capex") & (pl.col("subject") == accelerator_id) & (pl.col("kind") != "claim")
    )
    values = [(_mid(r), r["input_id"]) for r in own.iter_rows(named=True)]
    for system in systems.filter(pl.col("accelerator_id") == accelerator_id).iter_rows(named=True):
        rows = tco_inputs.filter(
            (pl.col("item") == "system_capex")
            & (pl.col("subject") == system["system_id"])
            & (pl.col("kind") != "claim")
        )
        values += [(_mid(r) / system["accelerator_count"], r["input_id"]) for r in rows.iter_rows(named=True)]
    if not values:
        return float("nan"), ""
    return number(pl.Series([v for v, _ in values]).median()), ";".join(i for _, i in values)


def _mid(row: dict) -> float:
    """A range's geometric midpoint, or the single value."""
    high = row["value_high"]
    return math.sqrt(row["value"] * high) if high is not None else float(row["value"])


def power_kw_per_accelerator(systems: pl.DataFrame, accelerator_id: str) -> float:
    """Rack power per accelerator (kW) from the systems table; NaN where no system states it."""
    rows = systems.filter((pl.col("accelerator_id") == accelerator_id) & pl.col("rack_power_kw").is_not_null())
    if rows.is_empty():
        return float("nan")
    return number((rows["rack_power_kw"] / rows["accelerator_count"]).median())


def tco(tco_inputs: pl.DataFrame, systems: pl.DataFrame, accelerator_id: str, years: float | None = None) -> Price:
    """Hourly cost of owning the accelerator (see the module docstring); NaN where capex or power is missing."""
    cfg = settings()
    years = cfg["amortisation_years"] if years is None else years
    capex, capex_ids = capex_per_accelerator(tco_inputs, systems, accelerator_id)
    power = power_kw_per_accelerator(systems, accelerator_id)
    if not math.isfinite(capex):
        return _missing(accelerator_id, "tco", "no capex estimate in tco_inputs")
    if not math.isfinite(power):
        return _missing(accelerator_id, "tco", "no rack power in systems")
    electricity, colo, pue = (_latest(tco_inputs, i) for i in ("electricity_price", "colocation_price", "pue"))
    if electricity is None or colo is None or pue is None:
        return _missing(accelerator_id, "tco", "tco_inputs lacks electricity, colocation or PUE")
    own = capex / (years * HOURS_PER_YEAR * cfg["utilisation"])
    energy = power * pue["value"] * electricity["value"]
    hosting = power * colo["value"] / cfg["hours_per_month"]
    ids = ";".join([capex_ids, electricity["input_id"], colo["input_id"], pue["input_id"]])
    return Price(
        accelerator_id,
        "tco",
        own + energy + hosting,
        str(max(electricity["as_of"], colo["as_of"], pue["as_of"])),
        ids,
        f"capex ${capex:,.0f} over {years:g} y = ${own:.2f}/h, power {power:.2f} kW: energy ${energy:.2f}/h, "
        f"hosting ${hosting:.2f}/h",
    )


def price(tables: dict[str, pl.DataFrame], accelerator_id: str, basis: str) -> Price:
    """The accelerator-hour price on one basis (tables: rental_prices, tco_inputs, systems)."""
    if basis == "market_index":
        return market_index(tables["rental_prices"], accelerator_id)
    if basis == "on_demand_list":
        return on_demand_list(tables["rental_prices"], accelerator_id)
    if basis == "tco":
        return tco(tables["tco_inputs"], tables["systems"], accelerator_id)
    raise ValueError(f"unknown price basis {basis!r}; valid: {', '.join(BASES)}")


def first_available(tables: dict[str, pl.DataFrame], accelerator_id: str, order=None) -> Price:
    """The price on the first basis of ``order`` (default: ``basis_order`` of the assumptions) that has a figure."""
    order = settings()["basis_order"] if order is None else order
    tried = []
    for basis in order:
        found = price(tables, accelerator_id, basis)
        if found.known:
            return found
        tried.append(f"{basis}: {found.detail}")
    return _missing(accelerator_id, "none", "; ".join(tried))


def price_table(tables: dict[str, pl.DataFrame], accelerator_ids) -> pl.DataFrame:
    """Every basis for every accelerator, one row each: what a report prints as "the price basis"."""
    rows = [
        {
            "accelerator_id": a,
            "basis": p.basis,
            "usd_per_hour": p.usd_per_hour,
            "as_of": p.as_of,
            "detail": p.detail,
            "sources": p.sources,
        }
        for a in accelerator_ids
        for p in (price(tables, a, b) for b in BASES)
    ]
    return pl.DataFrame(rows)
