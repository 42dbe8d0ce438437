"""One NVL72-class rack on the rack-scale serving model: the shared inputs of the chart claims and its GPU-only best points.

The chart claims (NVIDIA's GTC 2026 Blackwell / Rubin / Rubin + LPX chart) are judged at one
scope: ``in_scope_model`` (a trillion-parameter MoE) in ``in_scope_weights`` (FP4), prompts of
``context`` tokens and ``in_scope_output_tokens`` output tokens, on the racks of the chart. Every
side of a comparison uses the same engine constants (:func:`hbmcycle.inference.constants.current`,
the lean stack's overheads as a sensitivity), the software-maturity factor fitted for the
vendor and precision, and the serving assumptions' memory utilisation.

A GPU-only rack is served as :mod:`hbmcycle.inference.system` and
:mod:`hbmcycle.inference.disaggregation` serve it: colocated chunked prefill or prefill-decode
disaggregation, expert-parallel groups within the NVLink domain, the best of both at a per-user
speed floor. Tokens/s per MW = tokens/s per accelerator / (rack power / accelerators) x 1000,
the prefill pool's GPUs included (disaggregated points count them in tokens/s per accelerator).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from hbmcycle.hetero.economics import EconomicsAssumptions, chip_power_kw
from hbmcycle.hetero.steps import stack_efficiency
from hbmcycle.inference import constants
from hbmcycle.inference import workloads as wl
from hbmcycle.inference.architecture import ModelArrays, model_arrays
from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.assumptions import load as serving_assumptions
from hbmcycle.inference.disaggregation import best_disaggregated
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.operating import hardware_with_fallback
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.inference.system import Limits, best_point
from hbmcycle.inference.system_validation import maturity_for
from hbmcycle.inference.workloads import WorkloadSpec

MODES: tuple[str, ...] = ("colocated", "disaggregated")


@dataclass(frozen=True)
class Rack:
    """One rack's chips and the workload, as the serving model reads them (arrays of length 1)."""

    accelerator_id: str
    model: ModelArrays
    hw: HardwareArrays
    spec: WorkloadSpec
    gpus: int  # accelerators of the rack (its NVLink domain)
    weight_bytes: float
    kv_bytes: float
    eff: Efficiency  # calibrated or lean overheads, reserve = 1 - memory utilisation
    assumed: Assumptions
    maturity: float
    kw_per_gpu: float  # rack power / accelerators (systems)

    @property
    def rest(self) -> tuple[float, float, Efficiency, Assumptions, float]:
        """The trailing arguments of :func:`best_point` and :func:`best_disaggregated`."""
        return (self.weight_bytes, self.kv_bytes, self.eff, self.assumed, self.maturity)


def chip_row(tables, accelerator_id: str) -> pl.DataFrame:
    row = tables.accelerators.filter(pl.col("accelerator_id") == accelerator_id)
    if row.height != 1:
        raise ValueError(f"unknown accelerator {accelerator_id!r}")
    return row


def engine_efficiency(stack: str, assumed: Assumptions) -> Efficiency:
    """The fitted constants (lean overheads for ``stack`` "lean") with the serving model's memory utilisation."""
    eff = stack_efficiency(constants.current().efficiency, stack)
    return replace(eff, reserve_fraction=1.0 - assumed.memory_utilization)


def maturity(row: pl.DataFrame, weights: str) -> float:
    """The fitted software-maturity factor of the chip's vendor at ``weights`` (1 where none is fitted)."""
    return maturity_for(constants.current().maturity, str(row["vendor"][0]), weights)[0]


def rack(tables, accelerator_id: str, cfg: dict, context: float, stack: str = "calibrated") -> Rack:
    """The rack of ``accelerator_id`` serving ``cfg``'s in-scope model with prompts of ``context`` tokens."""
    row = chip_row(tables, accelerator_id)
    weights = cfg["in_scope_weights"]
    assumed = serving_assumptions()
    low, high, _ = chip_power_kw(accelerator_id, tables.accelerators, tables.systems, EconomicsAssumptions())
    return Rack(
        accelerator_id=accelerator_id,
        model=model_arrays(tables.llm_models.filter(pl.col("model_id") == cfg["in_scope_model"])),
        hw=hardware_with_fallback(row, weights)[0],
        spec=wl.custom(context, cfg["in_scope_output_tokens"]),
        gpus=int(row["scaleup_domain_size"][0]),
        weight_bytes=BYTES_PER_ELEMENT[weights],
        kv_bytes=BYTES_PER_ELEMENT["fp8"],
        eff=engine_efficiency(stack, assumed),
        assumed=assumed,
        maturity=maturity(row, weights),
        kw_per_gpu=(low * high) ** 0.5,
    )


def best_points(r: Rack, min_speed: float) -> dict[str, dict]:
    """The best colocated and disaggregated points at >= ``min_speed`` tokens/s per user (modes with none left out)."""
    args = (r.model, r.hw, r.spec, Limits(min_per_user_tokens_per_s=min_speed), r.gpus)
    found = {"colocated": best_point(*args, *r.rest), "disaggregated": best_disaggregated(*args, *r.rest)}
    return {mode: point for mode, point in found.items() if point is not None}


def single_request_speed(r: Rack) -> float:
    """Tokens/s per user of one request alone on the rack (the fastest a user can be served)."""
    one = best_point(r.model, r.hw, r.spec, Limits(), r.gpus, *r.rest, concurrency=1.0)
    return one["per_user_tokens_per_s"] if one else float("nan")


def tokens_per_s_per_mw(r: Rack, point: dict) -> float:
    """Output tokens/s per MW of rack power at a best point (prefill GPUs included for disaggregated points)."""
    return point["tokens_per_s_per_accelerator"] / r.kw_per_gpu * 1e3


def best_per_mw(r: Rack, min_speed: float) -> tuple[float, str]:
    """(tokens/s per MW, how) of the best GPU-only point at >= ``min_speed`` tokens/s per user; (0, why) if none."""
    points = best_points(r, min_speed)
    if not points:
        return 0.0, f"no configuration reaches {min_speed:,.0f} tokens/s/user"
    mode, point = max(points.items(), key=lambda item: item[1]["tokens_per_s_per_accelerator"])
    return tokens_per_s_per_mw(r, point), (
        f"{mode}, groups of {point['group_size']}, {point['concurrency']} sequences each at "
        f"{point['per_user_tokens_per_s']:,.0f} tokens/s/user"
    )
