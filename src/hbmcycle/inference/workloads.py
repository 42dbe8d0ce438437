"""Named serving workloads (the ``workloads`` table) as request sizes and latency limits.

A workload gives the serving model its mean prompt and output lengths, the p90 prompt, the
prefix-cache hit rate and, per scenario, the TTFT and TPOT limits (MLPerf's p99 limits;
offline has none). Lengths a source publishes only as a cap take
``assumptions.unknown_mean_fraction_of_cap`` of the cap (the spec's ``assumed`` lists them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.serving import Traffic

SCENARIOS: tuple[str, ...] = ("offline", "server", "interactive")


@dataclass(frozen=True)
class WorkloadSpec:
    """One workload: token counts (tokens) and latency limits (ms; inf = none)."""

    workload_id: str
    model_id: str
    input_tokens: float
    output_tokens: float
    input_tokens_p90: float
    prefix_hit_rate: float = 0.0
    limits_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # scenario -> (ttft, tpot)
    assumed: tuple[str, ...] = ()

    def traffic(self) -> Traffic:
        return Traffic(*(np.array(v, dtype=float) for v in self._sizes()))

    def _sizes(self):
        return self.input_tokens, self.output_tokens, self.input_tokens_p90, self.prefix_hit_rate

    def limits(self, scenario: str) -> tuple[float, float]:
        """(TTFT, TPOT) limits in ms for ``scenario``; ValueError naming the scenarios this workload defines."""
        if scenario == "offline":
            return math.inf, math.inf
        if scenario not in self.limits_ms:
            valid = ", ".join(["offline", *self.limits_ms])
            raise ValueError(f"workload {self.workload_id} has no {scenario} limits; valid scenarios: {valid}")
        return self.limits_ms[scenario]


def _mean_or_cap(row: dict, stem: str, fraction: float, assumed: list[str]) -> float:
    mean, cap = row.get(f"{stem}_mean"), row.get(f"{stem}_max")
    if mean is not None:
        return float(mean)
    if cap is not None:
        assumed.append(f"{stem}_mean = {fraction:g} x cap {cap:g}")
        return fraction * float(cap)
    return math.nan


def from_row(row: dict, assumptions: Assumptions) -> WorkloadSpec:
    """A :class:`WorkloadSpec` from a ``workloads`` row (dict); ValueError when its lengths are unknown."""
    assumed: list[str] = []
    fraction = assumptions.unknown_mean_fraction_of_cap
    input_mean = _mean_or_cap(row, "input_tokens", fraction, assumed)
    output_mean = _mean_or_cap(row, "output_tokens", fraction, assumed)
    if math.isnan(input_mean) or math.isnan(output_mean):
        raise ValueError(f"workload {row['workload_id']}: no input or output length (mean or cap) in workloads")
    p90 = row.get("input_tokens_p90") or row.get("input_tokens_max") or input_mean
    limits = {
        scenario: (float(row[f"{scenario}_ttft_p99_ms"]), float(row[f"{scenario}_tpot_p99_ms"]))
        for scenario in ("server", "interactive")
        if row.get(f"{scenario}_ttft_p99_ms") is not None and row.get(f"{scenario}_tpot_p99_ms") is not None
    }
    return WorkloadSpec(
        workload_id=row["workload_id"],
        model_id=row.get("model_id") or "",
        input_tokens=input_mean,
        output_tokens=output_mean,
        input_tokens_p90=float(max(p90, input_mean)),
        prefix_hit_rate=float(row.get("prefix_cache_hit_rate") or 0.0),
        limits_ms=limits,
        assumed=tuple(assumed),
    )


def lookup(workloads: pl.DataFrame, workload_id: str, assumptions: Assumptions) -> WorkloadSpec:
    """The named workload; ValueError listing the valid ids when unknown."""
    rows = workloads.filter(pl.col("workload_id") == workload_id.strip().lower())
    if rows.is_empty():
        raise ValueError(f"unknown workload {workload_id!r}; valid: {', '.join(workloads['workload_id'])}")
    return from_row(rows.row(0, named=True), assumptions)


def stacked_traffic(specs) -> Traffic:
    """The traffic of several workloads along one axis (one entry per spec), for one vectorised evaluation."""
    return Traffic(*(np.array(column, dtype=float) for column in zip(*(s._sizes() for s in specs), strict=True)))


def custom(input_tokens: float, output_tokens: float, prefix_hit_rate: float = 0.0) -> WorkloadSpec:
    """Fixed prompt and output lengths (``--isl`` / ``--osl``), no latency limits of its own."""
    return WorkloadSpec(
        workload_id=f"isl{input_tokens:g}-osl{output_tokens:g}",
        model_id="",
        input_tokens=float(input_tokens),
        output_tokens=float(output_tokens),
        input_tokens_p90=float(input_tokens),
        prefix_hit_rate=prefix_hit_rate,
    )
