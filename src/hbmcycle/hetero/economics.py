"""SRAM economics: power and price per chip from the tables, $/Mtok and tokens/s/MW at set speeds, the capacity wall.

Power per chip (kW, a low-high range), first rule that applies:

1. a ``systems`` row with ``rack_power_kw`` for the chip: ``rack_power_kw / accelerator_count``;
2. the chip's ``tdp_w``: from ``tdp`` (chip only) to ``tdp * r`` where ``r`` is the reference
   system's rack power over its chips' summed TDP (GB200 NVL72: 120 kW / (72 x 1.2 kW) = 1.39),
   i.e. the CPUs, network and cooling a rack adds;
3. a proxy chip (an assumption: the nearest predecessor in the table): the proxy's range with its
   high end times ``unknown_power_factor``, because the successor may draw more.

Price per chip-hour (USD): the first basis of ``prices/assumptions.yaml``'s ``basis_order`` that
has a figure (:func:`hbmcycle.prices.basis.first_available`: dated market index, TCO from
sourced inputs, on-demand list price, each labelled); with no price on any basis, the reference
chip's price per kW times the chip's power range (cost tracking power, an assumption, labelled
"proxy").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from hbmcycle.hetero.steps import settings
from hbmcycle.prices.basis import first_available

_PROXY_PREFIX = "power_proxy_"


def _power_proxies() -> dict[str, str]:
    return {k.removeprefix(_PROXY_PREFIX): v for k, v in settings().items() if k.startswith(_PROXY_PREFIX)}


@dataclass(frozen=True)
class EconomicsAssumptions:
    """Which chips stand in where the tables lack power or price (``hetero/assumptions.yaml``, not facts)."""

    reference_system: str = settings()["reference_system"]
    power_proxies: dict[str, str] = field(default_factory=_power_proxies)
    unknown_power_factor: float = settings()["unknown_power_factor"]
    interactivity_levels: tuple[float, ...] = settings()["speed_levels"]


def _row(frame: pl.DataFrame, column: str, value: str) -> dict | None:
    rows = frame.filter(pl.col(column) == value)
    return rows.row(0, named=True) if rows.height else None


def rack_overhead_ratio(systems: pl.DataFrame, accelerators: pl.DataFrame, system_id: str) -> float:
    """Rack power over the summed TDP of its accelerators (>= 1: CPUs, switches, fans)."""
    system = _row(systems, "system_id", system_id)
    if system is None or system["rack_power_kw"] is None:
        raise ValueError(f"reference system {system_id!r} has no rack_power_kw in systems")
    chip = _row(accelerators, "accelerator_id", system["accelerator_id"])
    if chip is None or chip["tdp_w"] is None:
        raise ValueError(f"reference system {system_id!r}: its accelerator has no tdp_w")
    return system["rack_power_kw"] / (system["accelerator_count"] * chip["tdp_w"] / 1000.0)


def chip_power_kw(
    accelerator_id: str,
    accelerators: pl.DataFrame,
    systems: pl.DataFrame,
    assumptions: EconomicsAssumptions,
    _depth: int = 0,
) -> tuple[float, float, str]:
    """(low, high, basis) power per chip in kW; see the module docstring for the rules."""
    racks = systems.filter((pl.col("accelerator_id") == accelerator_id) & pl.col("rack_power_kw").is_not_null())
    if racks.height:
        per_chip = (racks["rack_power_kw"] / racks["accelerator_count"]).to_numpy()
        return float(per_chip.min()), float(per_chip.max()), "systems.rack_power_kw / accelerator_count"
    chip = _row(accelerators, "accelerator_id", accelerator_id)
    if chip is None:
        raise ValueError(f"unknown accelerator {accelerator_id!r}")
    if chip["tdp_w"] is not None:
        ratio = rack_overhead_ratio(systems, accelerators, assumptions.reference_system)
        return (
            chip["tdp_w"] / 1000.0,
            chip["tdp_w"] / 1000.0 * ratio,
            f"accelerators.tdp_w x 1 to {ratio:.2f} (rack/TDP of {assumptions.reference_system})",
        )
    proxy = assumptions.power_proxies.get(accelerator_id)
    if proxy is None or _depth > 0:
        raise ValueError(
            f"{accelerator_id}: no rack power, TDP or power proxy; add power_proxy_{accelerator_id} to hetero/assumptions.yaml"
        )
    low, high, basis = chip_power_kw(proxy, accelerators, systems, assumptions, _depth + 1)
    return (
        low,
        high * assumptions.unknown_power_factor,
        f"proxy {proxy} ({basis}), high end x {assumptions.unknown_power_factor:g} (assumption)",
    )


def chip_price_usd_per_hour(
    accelerator_id: str,
    price_tables: dict[str, pl.DataFrame],
    power_kw: tuple[float, float],
    reference_usd_per_kw_hour: float,
) -> tuple[float, float, str]:
    """(low, high, basis) price per chip-hour: the first price basis with a figure, else the power proxy.

    ``price_tables`` holds rental_prices, tco_inputs and systems.
    """
    found = first_available(price_tables, accelerator_id)
    if found.known:
        return found.usd_per_hour, found.usd_per_hour, found.label
    return (
        power_kw[0] * reference_usd_per_kw_hour,
        power_kw[1] * reference_usd_per_kw_hour,
        f"proxy: no price on any basis ({found.detail}); reference $/kW-h x power (assumption: cost tracks power)",
    )


def reference_usd_per_kw_hour(
    price_tables: dict[str, pl.DataFrame], accelerators: pl.DataFrame, assumptions: EconomicsAssumptions
) -> float:
    """The reference system's chip price (first basis with a figure) per kW of its rack power."""
    systems = price_tables["systems"]
    system = _row(systems, "system_id", assumptions.reference_system)
    if system is None:
        raise ValueError(f"reference system {assumptions.reference_system!r} is not in systems")
    chip_id = system["accelerator_id"]
    low, high, _ = chip_power_kw(chip_id, accelerators, systems, assumptions)
    price, _, _ = chip_price_usd_per_hour(chip_id, price_tables, (low, high), float("nan"))
    return price / np.sqrt(low * high)


def at_interactivity(points: pl.DataFrame, levels) -> pl.DataFrame:
    """Per option and speed level, the cheapest point ($/Mtok) at least that fast per user.

    Columns: option, level, usd_per_mtok (+ low/high), tokens_per_s_per_mw (+ low/high), per_user_tokens_per_s.
    """
    rows = []
    for level in levels:
        fast = points.filter(pl.col("per_user_tokens_per_s") >= level)
        best = fast.sort("usd_per_mtok").group_by("option", maintain_order=True).first()
        rows.append(best.with_columns(level=pl.lit(float(level))))
    if not rows:
        return points.head(0)
    keep = [
        "option",
        "level",
        "per_user_tokens_per_s",
        "usd_per_mtok",
        "usd_per_mtok_low",
        "usd_per_mtok_high",
        "tokens_per_s_per_mw",
        "tokens_per_s_per_mw_low",
        "tokens_per_s_per_mw_high",
        "batch",
        "chips",
    ]
    return pl.concat(rows).select(keep).sort(["level", "option"])


def users_per_chip(kv_bytes_per_user, capacity_bytes, weight_bytes_held, reserve_fraction: float) -> np.ndarray:
    """Sequences whose KV cache fits one chip beside the weights it holds (the capacity wall).

    ``floor((capacity (1 - reserve) - weights_held) / kv_per_user)``, at least 0.
    """
    free = np.asarray(capacity_bytes, dtype=float) * (1.0 - reserve_fraction) - np.asarray(
        weight_bytes_held, dtype=float
    )
    return np.fmax(np.floor(free / np.asarray(kv_bytes_per_user, dtype=float)), 0.0)
