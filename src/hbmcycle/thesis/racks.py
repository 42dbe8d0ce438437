"""The thesis per rack: best rack throughput per workload at a per-user speed floor, per MW, and rack elasticities.

For each rack in ``rack_systems`` (``thesis/assumptions.yaml``; chips and rack power from
``systems`` and ``accelerators``), each model and weight precision of the workload matrix and
each request shape of ``rack_workloads`` (``workloads`` rows, or ``isl<I>-osl<O>``), the rack
serving model (:mod:`hbmcycle.inference.rack`: colocated chunked prefill or prefill-decode
disaggregation, expert parallelism up to the scale-up domain, calibrated constants and
software maturity) gives the most output tokens/s of the whole rack with every user at
>= the floor (the seed's 100 tokens/s), the requests in flight there and

    tokens/s per MW = rack tokens/s / rack power (MW)

and the rack's local elasticities of throughput to the chip's HBM capacity and bandwidth
(+-10 %). The product law predicts 1 and 1. All of it is modelled (engine output), never
measured. KV cache is FP8 throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from hbmcycle.inference import workloads as wl
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.hardware import UnsupportedError
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.inference.rack import rack_elasticities, rack_grid, rack_power_mw, rack_stack
from hbmcycle.inference.step_time import Efficiency

_CUSTOM = re.compile(r"^isl(\d+)-osl(\d+)$")

RACK_COLUMNS = {
    "system_id": pl.Utf8,
    "system": pl.Utf8,
    "accelerator_id": pl.Utf8,
    "speed_floor_tokens_per_s": pl.Float64,
    "gpus": pl.Int64,
    "model_id": pl.Utf8,
    "weights": pl.Utf8,
    "workload_id": pl.Utf8,
    "input_tokens": pl.Float64,
    "output_tokens": pl.Float64,
    "prefix_hit_rate": pl.Float64,
    "rack_tokens_per_s": pl.Float64,
    "tokens_per_s_per_mw": pl.Float64,
    "requests_in_flight": pl.Float64,
    "per_user_tokens_per_s": pl.Float64,
    "group_size": pl.Float64,
    "mode": pl.Utf8,
    "bound": pl.Utf8,
    "prefill_share_of_rack": pl.Float64,
    "e_capacity": pl.Float64,
    "e_bandwidth": pl.Float64,
}


def workload_specs(workloads: pl.DataFrame, ids, assumptions: Assumptions) -> list[wl.WorkloadSpec]:
    """Request shapes by id: a ``workloads`` row, or ``isl<I>-osl<O>`` (fixed lengths, no prefix cache)."""
    out = []
    for workload_id in ids:
        custom = _CUSTOM.match(workload_id)
        out.append(
            wl.custom(float(custom[1]), float(custom[2])) if custom else wl.lookup(workloads, workload_id, assumptions)
        )
    return out


def _rack_rows(system: dict, weights: str, models, specs, floors, points, power_mw: float) -> list[dict]:
    e_capacity, e_bandwidth = rack_elasticities(points["rack_tokens_per_s"])
    rows = []
    for f, floor in enumerate(floors):
        for i, model_id in enumerate(models.model_id):
            for j, spec in enumerate(specs):
                base = {k: a[f, 0, i, j] for k, a in points.items()}
                rows.append(
                    {
                        "system_id": system["system_id"],
                        "system": system["name"],
                        "accelerator_id": system["accelerator_id"],
                        "speed_floor_tokens_per_s": float(floor),
                        "gpus": int(system["accelerator_count"]),
                        "model_id": str(model_id),
                        "weights": weights,
                        "workload_id": spec.workload_id,
                        "input_tokens": spec.input_tokens,
                        "output_tokens": spec.output_tokens,
                        "prefix_hit_rate": spec.prefix_hit_rate,
                        "rack_tokens_per_s": float(base["rack_tokens_per_s"]),
                        "tokens_per_s_per_mw": float(base["rack_tokens_per_s"]) / power_mw,
                        "requests_in_flight": float(base["requests"]),
                        "per_user_tokens_per_s": float(base["per_user_tokens_per_s"]),
                        "group_size": float(base["group_size"]),
                        "mode": "disaggregated" if base["disaggregated"] else "colocated",
                        "bound": str(base["bound"]),
                        "prefill_share_of_rack": float(base["prefill_share"]),
                        "e_capacity": float(e_capacity[f, i, j]),
                        "e_bandwidth": float(e_bandwidth[f, i, j]),
                    }
                )
    return rows


@dataclass(frozen=True)
class RackInputs:
    """What every rack run reads: the tables (systems, accelerators, llm_models, workloads) and the engine."""

    tables: dict[str, pl.DataFrame]
    efficiency: Efficiency
    maturity: dict[str, dict]  # fitted software-maturity factors (EngineConstants.maturity)
    assumptions: Assumptions


def rack_matrix(
    inputs: RackInputs, system_ids, model_ids, precisions, workload_ids, floors
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per rack x speed floor x model x weights x workload, the racks or precisions skipped and why).

    Rows without a point at the floor (the model does not fit, or no configuration is that
    fast) keep NaN throughput and elasticities and 0 requests; a rack without a recorded
    power keeps NaN tokens/s per MW.
    """
    tables = inputs.tables
    systems = tables["systems"]
    models = model_arrays(tables["llm_models"].filter(pl.col("model_id").is_in(list(model_ids))))
    specs = workload_specs(tables["workloads"], workload_ids, inputs.assumptions)
    traffic = wl.stacked_traffic(specs)
    rows, skipped = [], []
    for system_id in system_ids:
        found = systems.filter(pl.col("system_id") == system_id)
        if found.is_empty():
            skipped.append((system_id, "", "not in systems"))
            continue
        system = found.row(0, named=True)
        power_mw = rack_power_mw(systems, system_id)
        if not np.isfinite(power_mw):
            skipped.append((system_id, "", "no rack_power_kw in systems: tokens/s per MW left empty"))
        for weights in precisions:
            try:
                stack = rack_stack(
                    tables["accelerators"], system["accelerator_id"], int(system["accelerator_count"]), weights,
                    inputs.efficiency, inputs.maturity, inputs.assumptions,
                )  # fmt: skip
            except UnsupportedError as error:
                skipped.append((system_id, weights, str(error)))
                continue
            points = rack_grid(models, traffic, floors, stack, BYTES_PER_ELEMENT[weights], BYTES_PER_ELEMENT["fp8"])
            rows += _rack_rows(system, weights, models, specs, floors, points, power_mw)
    frame = pl.DataFrame(rows, schema=RACK_COLUMNS, orient="row") if rows else pl.DataFrame(schema=RACK_COLUMNS)
    skips = pl.DataFrame(skipped, schema={"system_id": pl.Utf8, "weights": pl.Utf8, "reason": pl.Utf8}, orient="row")
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None)), skips


def capacity_pays(matrix: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Per speed floor x model x workload: the range of rack capacity and bandwidth elasticities over racks
    and precisions, and at how many of those points capacity pays (capacity elasticity >= ``threshold``)."""
    return (
        matrix.drop_nulls(["e_capacity", "e_bandwidth"])
        .group_by("speed_floor_tokens_per_s", "model_id", "workload_id", maintain_order=True)
        .agg(
            pl.col("e_capacity").min().alias("e_capacity_min"),
            pl.col("e_capacity").max().alias("e_capacity_max"),
            pl.col("e_bandwidth").min().alias("e_bandwidth_min"),
            pl.col("e_bandwidth").max().alias("e_bandwidth_max"),
            (pl.col("e_capacity") >= threshold).sum().alias("points_capacity_pays"),
            pl.len().alias("points"),
        )
    )


def elasticities_long(matrix: pl.DataFrame) -> pl.DataFrame:
    """The rack elasticities one row per point and dimension (capacity, bandwidth), for charting."""
    return (
        matrix.drop_nulls(["e_capacity", "e_bandwidth"])
        .unpivot(
            index=["system", "speed_floor_tokens_per_s", "model_id", "weights", "workload_id", "bound"],
            on=["e_capacity", "e_bandwidth"],
            variable_name="elasticity",
            value_name="value",
        )
        .with_columns(pl.col("elasticity").replace({"e_capacity": "capacity", "e_bandwidth": "bandwidth"}))
    )


def per_mw_table(matrix: pl.DataFrame, floor: float) -> pl.DataFrame:
    """Tokens/s per MW at a speed floor: one row per rack x model x weights, one column per workload."""
    at_floor = matrix.filter(
        (pl.col("speed_floor_tokens_per_s") == floor) & pl.col("tokens_per_s_per_mw").is_not_null()
    )
    return at_floor.pivot(
        "workload_id", index=["system", "model_id", "weights"], values="tokens_per_s_per_mw", maintain_order=True
    )


def bound_summary(matrix: pl.DataFrame) -> pl.DataFrame:
    """Per speed floor and what bounds the batch: the points and their median elasticities."""
    return (
        matrix.drop_nulls("rack_tokens_per_s")
        .group_by("speed_floor_tokens_per_s", "bound")
        .agg(
            pl.len().alias("points"),
            pl.col("e_capacity").median().alias("median_capacity_elasticity"),
            pl.col("e_bandwidth").median().alias("median_bandwidth_elasticity"),
        )
        .sort("speed_floor_tokens_per_s", "bound")
    )


def where_capacity_pays(pays: pl.DataFrame) -> list[str]:
    """One sentence per speed floor from :func:`capacity_pays`: the model x workload pairs where capacity pays
    at at least half of their rack points, and those where it pays at none."""
    sentences = []
    for (floor,), group in pays.group_by("speed_floor_tokens_per_s", maintain_order=True):
        label = lambda frame: ", ".join(f"{r['model_id']} {r['workload_id']}" for r in frame.iter_rows(named=True))
        often = group.filter(pl.col("points_capacity_pays") * 2 >= pl.col("points"))
        never = group.filter(pl.col("points_capacity_pays") == 0)
        sentences.append(
            f"At >= {floor:g} tokens/s/user capacity pays at half or more of the rack points for "
            f"{label(often) or 'no model x workload'}; at none for {label(never) or 'no model x workload'}."
        )
    return sentences
