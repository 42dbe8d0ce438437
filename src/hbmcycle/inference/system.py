"""The best serving configuration of a system for a workload and scenario (what ``serve`` answers).

A system is ``gpus`` accelerators of one kind. The engine may split them into replicas of a
tensor-parallel group of ``g`` accelerators (a standard size within the scale-up domain and at
most ``gpus``); replicas are independent, so the system's figure per accelerator is the
group's. For every group size and concurrency on a grid, :func:`hbmcycle.inference.serving.serve`
gives steady-state throughput and latencies; the answer is the point with the most output
tokens/s per accelerator that fits memory and the engine's batch cap and meets the scenario's
TTFT and TPOT limits (offline: none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.hardware import HardwareArrays, usable_group
from hbmcycle.inference.parallel import STANDARD_GROUP_SIZES
from hbmcycle.inference.serving import serve
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.inference.workloads import WorkloadSpec


@dataclass(frozen=True)
class Limits:
    """Latency limits of a query (ms; inf = none) and an optional per-user speed floor (tokens/s)."""

    ttft_ms: float = np.inf
    tpot_ms: float = np.inf
    min_per_user_tokens_per_s: float = 0.0


def moe_settings(assumptions: Assumptions) -> tuple[float, float]:
    """(load imbalance, all-to-all latency s) of expert-parallel MoE serving."""
    return assumptions.moe_load_imbalance, assumptions.all_to_all_latency_s


def concurrency_grid(cap: float, points: int = 96) -> np.ndarray:
    """Geometric sweep 1 ... ``cap`` running sequences (unique integers)."""
    return np.unique(np.round(np.geomspace(1.0, max(cap, 1.0), points)))


def group_sizes(gpus: int, domain: float) -> np.ndarray:
    """Standard tensor-parallel sizes up to ``gpus`` and the scale-up domain (a group of 1 always)."""
    domain = domain if np.isfinite(domain) else 1.0
    return np.array([g for g in STANDARD_GROUP_SIZES if g <= min(gpus, domain)] or [1.0], dtype=float)


def best_point(
    model: ModelArrays,
    hw: HardwareArrays,
    spec: WorkloadSpec,
    limits: Limits,
    gpus: int,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
    assumptions: Assumptions,
    maturity: float = 1.0,
    concurrency: float | None = None,
) -> dict | None:
    """The best point for one accelerator kind and one model (``model``/``hw`` of length 1); None if none qualifies.

    ``concurrency`` fixes the running sequences per group instead of sweeping them.
    """
    groups = group_sizes(gpus, float(hw.scaleup_domain_size[0])).reshape(-1, 1)
    cap = float(assumptions.engine_batch_cap)
    conc = np.array([[float(concurrency)]]) if concurrency else concurrency_grid(cap).reshape(1, -1)
    point = serve(
        model, hw, spec.traffic(), conc, groups, weight_bytes, kv_bytes, eff, maturity,
        assumptions.prefill_chunk_tokens, moe_settings(assumptions),
    )  # fmt: skip
    fits = (conc <= point.max_concurrency) & (conc <= cap) & usable_group(hw, groups)
    fast = (point.ttft_p90_s * 1e3 <= limits.ttft_ms) & (point.tpot_p90_s * 1e3 <= limits.tpot_ms)
    fast &= 1.0 / point.tpot_s >= limits.min_per_user_tokens_per_s
    ok = fits & fast & np.isfinite(point.tokens_per_s_per_accelerator)
    if not ok.any():
        return None
    score = np.where(ok, point.tokens_per_s_per_accelerator, -np.inf)
    gi, ci = np.unravel_index(np.argmax(score), score.shape)
    pick = lambda a: float(np.broadcast_to(a, score.shape)[gi, ci])
    c, fit_limit = pick(conc), pick(point.max_concurrency)
    latency_bound = bool(np.any(fits[gi] & ~fast[gi] & (conc[0] > c)))
    bound = (
        "capacity"
        if c >= fit_limit
        else "engine batch cap"
        if c >= cap
        else "latency"
        if latency_bound
        else ("compute" if pick(point.compute_bound) else "bandwidth")
    )
    per_acc = pick(point.tokens_per_s_per_accelerator)
    return {
        "group_size": int(groups[gi, 0]),
        "concurrency": int(c),
        "max_concurrency": int(fit_limit),
        "tokens_per_s_per_accelerator": per_acc,
        "output_tokens_per_s": per_acc * gpus,
        "per_user_tokens_per_s": 1.0 / pick(point.tpot_s),
        "ttft_ms": pick(point.ttft_s) * 1e3,
        "ttft_p90_ms": pick(point.ttft_p90_s) * 1e3,
        "tpot_ms": pick(point.tpot_s) * 1e3,
        "tpot_p90_ms": pick(point.tpot_p90_s) * 1e3,
        "bound": bound,
    }
