"""Loading: tables from the database into a :class:`~hbmcycle.hetero.disaggregation.Scenario` (thin, I/O only)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from hbmcycle.data import db
from hbmcycle.hetero.disaggregation import Assumptions, Chip, Scenario, stack_efficiency
from hbmcycle.hetero.economics import (
    EconomicsAssumptions,
    chip_power_kw,
    chip_price_usd_per_hour,
    reference_usd_per_kw_hour,
)
from hbmcycle.hetero.stages import stage_params
from hbmcycle.hetero.steps import settings
from hbmcycle.inference import constants, names
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.operating import hardware_with_fallback
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, KV_PRECISIONS, WEIGHT_PRECISIONS, check_precision
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.scalars import number


@dataclass(frozen=True)
class Tables:
    accelerators: pl.DataFrame
    systems: pl.DataFrame
    rental_prices: pl.DataFrame
    llm_models: pl.DataFrame
    inference_benchmarks: pl.DataFrame
    tco_inputs: pl.DataFrame
    api_prices: pl.DataFrame

    @property
    def prices(self) -> dict[str, pl.DataFrame]:
        """The tables a price basis reads (:mod:`hbmcycle.prices.basis`)."""
        return {"rental_prices": self.rental_prices, "tco_inputs": self.tco_inputs, "systems": self.systems}


TABLES: tuple[str, ...] = (
    "accelerators",
    "systems",
    "rental_prices",
    "llm_models",
    "inference_benchmarks",
    "tco_inputs",
    "api_prices",
)


def read_tables() -> Tables:
    """The tables this package uses (raises FileNotFoundError if the database is missing)."""
    return Tables(**db.read_tables(TABLES))


def calibrated_efficiency() -> tuple[Efficiency, str]:
    """The engine's fitted constants (:func:`hbmcycle.inference.constants.current`) and their label."""
    fitted = constants.current()
    return fitted.efficiency, fitted.label


def chip(tables: Tables, accelerator_id: str, precision: str, econ: EconomicsAssumptions) -> Chip:
    """One accelerator with its power, price and rack size.

    Compute runs at ``precision`` or the next wider precision the chip has (the WSE-3 publishes
    only a 16-bit peak, which then bounds its FP8 math); a chip with no peak at all gets NaN.
    """
    row = tables.accelerators.filter(pl.col("accelerator_id") == accelerator_id)
    if row.height != 1:
        raise ValueError(f"unknown accelerator {accelerator_id!r}")
    hw, _ = hardware_with_fallback(row, precision)
    power = chip_power_kw(accelerator_id, tables.accelerators, tables.systems, econ)
    per_kw = reference_usd_per_kw_hour(tables.prices, tables.accelerators, econ)
    price = chip_price_usd_per_hour(accelerator_id, tables.prices, power[:2], per_kw)
    racks = tables.systems.filter(pl.col("accelerator_id") == accelerator_id)["accelerator_count"]
    per_rack = number(racks.max())
    return Chip(
        hw=hw,
        power_kw=power[:2],
        usd_per_hour=price[:2],
        chips_per_rack=per_rack,
        basis=f"power: {power[2]}; price: {price[2]}",
    )


@dataclass(frozen=True)
class Choice:
    """User choices for a comparison (names resolved against the tables; defaults in ``hetero/assumptions.yaml``)."""

    model: str = settings()["model"]
    context: float = settings()["context"]
    output_tokens: float = settings()["output_tokens"]
    weights: str = settings()["weights"]
    kv: str = settings()["kv"]
    stack: str = settings()["stack"]
    gpu: str = settings()["gpu"]
    lpu: str = settings()["lpu"]
    wafer: str = settings()["wafer"]
    baseline_gpu: str = settings()["baseline_gpu"]


def load_scenario(
    choice: Choice,
    tables: Tables | None = None,
    assumptions: Assumptions = Assumptions(),
    econ: EconomicsAssumptions = EconomicsAssumptions(),
) -> Scenario:
    """Resolve names, read figures and build the scenario the options are compared on."""
    tables = tables or read_tables()
    weights = check_precision(choice.weights, WEIGHT_PRECISIONS, "weights")
    kv = check_precision(choice.kv, KV_PRECISIONS, "KV-cache")
    row = names.resolve(tables.llm_models, choice.model, "model_id", "name", "model")
    models = tables.llm_models[row]
    ids = {
        k: tables.accelerators["accelerator_id"][
            names.resolve(tables.accelerators, getattr(choice, k), "accelerator_id", "product", "accelerator")
        ]
        for k in ("gpu", "lpu", "wafer", "baseline_gpu")
    }
    eff = stack_efficiency(calibrated_efficiency()[0], choice.stack)
    return Scenario(
        sp=stage_params(models),
        model=model_arrays(models),
        context=float(choice.context),
        output_tokens=float(choice.output_tokens),
        weight_bytes=BYTES_PER_ELEMENT[weights],
        kv_bytes=BYTES_PER_ELEMENT[kv],
        gpu_eff=eff,
        sram_eff=eff,
        assumptions=assumptions,
        gpu=chip(tables, ids["gpu"], weights, econ),
        lpu=chip(tables, ids["lpu"], weights, econ),
        wafer=chip(tables, ids["wafer"], weights, econ),
        baseline_gpu=chip(tables, ids["baseline_gpu"], weights, econ),
    )
