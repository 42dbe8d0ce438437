"""One NVL72-class rack on the rack-scale serving model: the shared inputs of the chart claims and its GPU-only best points.

The chart claims (NVIDIA's GTC 2026 Blackwell / Rubin / Rubin + LPX chart) are judged at one
scope: ``in_scope_model`` (a trillion-parameter MoE) in ``in_scope_weights`` (FP4), prompts of
``context`` tokens and ``in_scope_output_tokens`` output tokens, on the racks of the chart. The
rack is :func:`hbmcycle.inference.rack.rack_stack`'s (the thesis rack matrix's): the chip's
hardware, the engine constants of :func:`hbmcycle.inference.constants.current` (the lean stack's
overheads as a sensitivity), the software-maturity factor fitted for the vendor and precision
and the serving assumptions' memory utilisation, on the ``systems`` row that is one scale-up
domain of the chip (its accelerators and rack power).

A GPU-only rack's best point at a per-user speed floor is :func:`hbmcycle.inference.rack.rack_grid`'s
(the better of colocated chunked prefill and prefill-decode disaggregation, expert-parallel groups
within the NVLink domain), the one answer the thesis rack matrix also reads. Power is the rack's
(``systems.rack_power_kw``, as :func:`hbmcycle.inference.rack.rack_power_mw` reads it):

    tokens/s per MW = rack tokens/s / (kW per GPU x GPUs) x 1000,   kW per GPU = rack_power_kw / accelerator_count

the prefill pool's GPUs included (they are part of the rack).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import polars as pl

from hbmcycle.hetero.steps import stack_efficiency
from hbmcycle.inference import constants
from hbmcycle.inference import workloads as wl
from hbmcycle.inference.architecture import ModelArrays, model_arrays
from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.assumptions import load as serving_assumptions
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.inference.rack import RackStack, base_points, rack_power_mw, rack_stack
from hbmcycle.inference.rack import single_request_speed as fastest_single_request
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.inference.system_validation import maturity_for
from hbmcycle.inference.workloads import WorkloadSpec


@dataclass(frozen=True)
class Rack:
    """One rack's chips (:class:`RackStack`) and the workload, as the serving model reads them (arrays of length 1)."""

    accelerator_id: str
    system_id: str
    model: ModelArrays
    spec: WorkloadSpec
    stack: RackStack  # hardware, GPUs, calibrated or lean engine constants, maturity, serving assumptions
    weight_bytes: float
    kv_bytes: float
    kw_per_gpu: float  # systems.rack_power_kw / accelerator_count

    @property
    def hw(self) -> HardwareArrays:
        return self.stack.hw

    @property
    def gpus(self) -> int:
        return self.stack.gpus

    @property
    def eff(self) -> Efficiency:
        return self.stack.eff

    @property
    def assumed(self) -> Assumptions:
        return self.stack.assumptions

    @property
    def maturity(self) -> float:
        return self.stack.maturity

    def with_stack(self, **changes) -> Rack:
        """The same rack with :class:`RackStack` fields replaced (``eff``, ``assumptions``)."""
        return replace(self, stack=replace(self.stack, **changes))

    def on_stack(self, stack: str) -> Rack:
        """The same rack on ``stack``'s engine constants ("lean" or "calibrated"), its memory reserve kept."""
        return self.with_stack(eff=replace(engine_efficiency(stack), reserve_fraction=self.eff.reserve_fraction))


def chip_row(tables, accelerator_id: str) -> pl.DataFrame:
    row = tables.accelerators.filter(pl.col("accelerator_id") == accelerator_id)
    if row.height != 1:
        raise ValueError(f"unknown accelerator {accelerator_id!r}")
    return row


def rack_system(systems: pl.DataFrame, accelerator_id: str) -> dict:
    """The ``systems`` row that is one scale-up domain of ``accelerator_id`` with a rack power (ValueError if none)."""
    found = systems.filter(
        (pl.col("accelerator_id") == accelerator_id)
        & (pl.col("accelerator_count") == pl.col("scaleup_domain_size"))
        & pl.col("rack_power_kw").is_not_null()
    )
    if found.height != 1:
        raise ValueError(f"{accelerator_id!r}: {found.height} systems rows are one scale-up domain with a rack power")
    return found.row(0, named=True)


def engine_efficiency(stack: str) -> Efficiency:
    """The fitted engine constants, with the lean stack's overheads for ``stack`` "lean"."""
    return stack_efficiency(constants.current().efficiency, stack)


def maturity(row: pl.DataFrame, weights: str) -> float:
    """The fitted software-maturity factor of the chip's vendor at ``weights`` (1 where none is fitted)."""
    return maturity_for(constants.current().maturity, str(row["vendor"][0]), weights)[0]


def rack(tables, accelerator_id: str, cfg: dict, context: float, stack: str = "calibrated") -> Rack:
    """The rack of ``accelerator_id`` serving ``cfg``'s in-scope model with prompts of ``context`` tokens."""
    system = rack_system(tables.systems, accelerator_id)
    weights = cfg["in_scope_weights"]
    gpus = int(system["accelerator_count"])
    chips = rack_stack(
        tables.accelerators, accelerator_id, gpus, weights, engine_efficiency(stack),
        constants.current().maturity, serving_assumptions(),
    )  # fmt: skip
    return Rack(
        accelerator_id=accelerator_id,
        system_id=system["system_id"],
        model=model_arrays(tables.llm_models.filter(pl.col("model_id") == cfg["in_scope_model"])),
        spec=wl.custom(context, cfg["in_scope_output_tokens"]),
        stack=chips,
        weight_bytes=BYTES_PER_ELEMENT[weights],
        kv_bytes=BYTES_PER_ELEMENT["fp8"],
        kw_per_gpu=rack_power_mw(tables.systems, system["system_id"]) * 1e3 / gpus,
    )


def best_points(r: Rack, speeds) -> list[dict]:
    """The best GPU-only rack point at >= each of ``speeds`` tokens/s per user (:func:`inference.rack.base_points`)."""
    return [p[0] for p in base_points(r.model, r.spec.traffic(), speeds, r.stack, r.weight_bytes, r.kv_bytes)]


def best_points_at_contexts(r: Rack, speed: float, contexts) -> list[dict]:
    """:func:`best_points` at one speed for prompts of each of ``contexts`` tokens, in one rack search."""
    by_context = wl.stacked_traffic([wl.custom(float(L), r.spec.output_tokens) for L in contexts])
    return base_points(r.model, by_context, [speed], r.stack, r.weight_bytes, r.kv_bytes)[0]


def single_request_speed(r: Rack) -> float:
    """Tokens/s per user of one request alone on the rack: the fastest a user can be served (NaN: none fits)."""
    return float(fastest_single_request(r.model, r.spec.traffic(), r.stack, r.weight_bytes, r.kv_bytes)[0, 0])


def tokens_per_s_per_mw(r: Rack, point: dict) -> float:
    """Output tokens/s per MW of rack power at a best point (0 where none qualifies)."""
    rate = point["rack_tokens_per_s"]
    return 0.0 if math.isnan(rate) else rate / (r.kw_per_gpu * r.gpus) * 1e3


def describe(point: dict) -> str:
    """How a best point serves: mode, group size, sequences per group, per-user speed."""
    mode = "disaggregated" if point["disaggregated"] else "colocated"
    return (
        f"{mode}, groups of {point['group_size']:g}, {point['concurrency']:g} sequences each at "
        f"{point['per_user_tokens_per_s']:,.0f} tokens/s/user"
    )


def per_mw(r: Rack, speed: float, point: dict) -> tuple[float, str]:
    """(tokens/s per MW, how) of a best point at >= ``speed`` tokens/s per user; (0, why) where none qualifies."""
    if math.isnan(point["rack_tokens_per_s"]):
        return 0.0, f"no configuration reaches {speed:,.0f} tokens/s/user"
    return tokens_per_s_per_mw(r, point), describe(point)


def best_per_mw(r: Rack, speeds) -> list[tuple[float, str]]:
    """(tokens/s per MW, how) of the best GPU-only point at >= each of ``speeds`` tokens/s per user; (0, why) if none."""
    return [per_mw(r, speed, point) for speed, point in zip(speeds, best_points(r, speeds), strict=True)]
