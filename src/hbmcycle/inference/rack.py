"""One rack served by the serving model: best throughput at per-user speed floors, and its elasticities.

A rack is ``gpus`` accelerators of one kind with a scale-up domain (NVL72: 72 GPUs on NVLink).
On a grid of group size ``g`` (standard sizes up to the domain; a MoE model on ``g > 1`` runs
expert parallelism with attention data parallelism, :mod:`expert_parallel`) x concurrency ``C``
per group (the 96-point grid of :func:`system.best_point` plus each cell's capacity limit), the
serving model is evaluated in two modes with the rules of :func:`system.best_point` (colocated:
continuous batching with chunked prefill; the prompt queue must be stable) and
:func:`disaggregation.best_disaggregated` (a decode pool and a prefill pool, ``x`` prefill
accelerators per decode accelerator), with no latency limit but a per-user speed floor:

    rack tokens/s          = tokens/s per accelerator x gpus                      [output tokens/s]
    requests in flight     = C gpus / g            (colocated)
                           = C gpus / g / (1 + x)  (disaggregated: the prefill pool holds none)

and the mode with more rack tokens/s wins. Every figure is evaluated at once for every speed
floor, hardware variant, model and workload (numpy broadcasting over a (variant, model,
workload, group, concurrency) grid). The variants scale the chip's HBM capacity or bandwidth
by exp(+-s), so

    e_capacity = [ln T(cap e^s) - ln T(cap e^-s)] / 2s,   e_bandwidth likewise       [dimensionless]

(:func:`hbmcycle.inference.operating.local_elasticities` does the same per GPU; the product
law "T = capacity x bandwidth" predicts 1 and 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
import polars as pl

from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.disaggregation import PREFILL_UTILISATIONS, prefill_per_decode, prefill_rate_per_accelerator
from hbmcycle.inference.hardware import HardwareArrays, hardware_arrays, usable_group
from hbmcycle.inference.serving import Traffic, iteration_seconds, max_concurrency, serve
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.inference.system import concurrency_grid, group_sizes, moe_settings
from hbmcycle.inference.system_validation import maturity_for

# Hardware variants on the first grid axis: (name, capacity factor exponent, bandwidth factor exponent).
VARIANTS: tuple[tuple[str, int, int], ...] = (
    ("base", 0, 0),
    ("capacity up", 1, 0),
    ("capacity down", -1, 0),
    ("bandwidth up", 0, 1),
    ("bandwidth down", 0, -1),
)


@dataclass(frozen=True)
class RackStack:
    """What the serving model needs about one rack's chips: hardware, engine constants, software maturity."""

    hw: HardwareArrays  # one accelerator
    gpus: int
    eff: Efficiency  # reserve = 1 - the engine's memory utilisation
    maturity: float
    assumptions: Assumptions


def rack_stack(
    accelerators: pl.DataFrame,
    accelerator_id: str,
    gpus: int,
    weights: str,
    efficiency: Efficiency,
    maturity: dict[str, dict],
    assumptions: Assumptions,
) -> RackStack:
    """The :class:`RackStack` of ``gpus`` x ``accelerator_id`` serving ``weights`` (UnsupportedError if it lacks a figure)."""
    accel = accelerators.filter(pl.col("accelerator_id") == accelerator_id)
    if accel.is_empty():
        raise ValueError(f"unknown accelerator {accelerator_id!r}")
    factor, _ = maturity_for(maturity, accel["vendor"][0], weights)
    eff = replace(efficiency, reserve_fraction=1.0 - assumptions.memory_utilization)
    return RackStack(hardware_arrays(accel, weights), int(gpus), eff, factor, assumptions)


def hardware_variants(hw: HardwareArrays, step: float, ndim: int) -> HardwareArrays:
    """``hw`` (one accelerator) repeated for each of :data:`VARIANTS` along axis 0 of an ``ndim``-dim grid."""
    size = np.array([math.exp(step * v[1]) for v in VARIANTS])
    bandwidth = np.array([math.exp(step * v[2]) for v in VARIANTS])
    shape = (len(VARIANTS),) + (1,) * (ndim - 1)
    out = {f.name: np.broadcast_to(getattr(hw, f.name)[:1], (len(VARIANTS),)).reshape(shape) for f in fields(hw)}
    out["memory_bytes"] = out["memory_bytes"] * size.reshape(shape)
    out["bandwidth_bytes_s"] = out["bandwidth_bytes_s"] * bandwidth.reshape(shape)
    return HardwareArrays(**out)


def capacity_limits(model, hw, traffic: Traffic, groups, weight_bytes, kv_bytes, stack: RackStack) -> np.ndarray:
    """Every variant's most running sequences per group that fit (at least 1, at most the engine's batch cap).

    Tried besides :func:`system.concurrency_grid` (the 96 points ``best_point`` tries), so that
    where capacity binds a +-10 % change in it moves the answer smoothly rather than by grid
    steps. Each variant tries all variants' limits (variant axis moved to the concurrency axis),
    so more capacity or bandwidth never loses a candidate and throughput cannot fall with them.
    """
    limit = max_concurrency(model, hw, traffic, groups, weight_bytes, kv_bytes, stack.eff.reserve_fraction)
    limit = np.clip(limit, 1.0, float(stack.assumptions.engine_batch_cap))
    return np.moveaxis(np.broadcast_to(limit, (len(VARIANTS), *limit.shape[1:]))[..., 0], 0, -1)[None]


def _best(score: np.ndarray, lead: int, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per leading index (the first ``lead`` axes), the arrays at the grid point of the highest score (-inf: none)."""
    flat = score.reshape(score.shape[:lead] + (-1,))
    index = np.argmax(flat, axis=-1)[..., None]
    out = {"score": np.take_along_axis(flat, index, axis=-1)[..., 0]}
    for name, a in arrays.items():
        full = np.broadcast_to(a, score.shape).reshape(flat.shape)
        out[name] = np.take_along_axis(full, index, axis=-1)[..., 0]
    return out


def _per_floor(floors, ok, per_user, per_acc, chosen: dict) -> dict:
    """Best point per (floor, variant, model, workload): ``ok`` points whose users get >= the floor."""
    bests = [_best(np.where(ok & (per_user >= f), per_acc, -np.inf), 3, chosen) for f in floors]
    return {k: np.stack([b[k] for b in bests]) for k in bests[0]}


def colocated(model, traffic: Traffic, floors, stack: RackStack, hw, conc, weight_bytes, kv_bytes) -> dict:
    """Best colocated point per (floor, variant, model, workload) over a (V, M, W, G, C) grid.

    The rules of :func:`system.best_point` without latency limits, except that the prompt queue
    must be stable (finite TTFT): a rack that cannot keep up with its prompts serves no one.
    """
    a = stack.assumptions
    groups = group_sizes(stack.gpus, float(stack.hw.scaleup_domain_size[0])).reshape(1, 1, 1, -1, 1)
    point = serve(
        model, hw, traffic, conc, groups, weight_bytes, kv_bytes, stack.eff, stack.maturity,
        a.prefill_chunk_tokens, moe_settings(a),
    )  # fmt: skip
    ok = (conc <= point.max_concurrency) & (conc <= float(a.engine_batch_cap)) & usable_group(hw, groups)
    ok &= np.isfinite(point.ttft_p90_s) & np.isfinite(point.tokens_per_s_per_accelerator)
    chosen = dict(group=groups, concurrency=conc, per_user=1.0 / point.tpot_s, requests=conc * stack.gpus / groups)
    chosen["prefill_share"], chosen["fit_limit"] = np.zeros(1), point.max_concurrency
    chosen["compute_bound"] = point.compute_bound
    return _per_floor(floors, ok, 1.0 / point.tpot_s, point.tokens_per_s_per_accelerator, chosen)


def disaggregated(model, traffic: Traffic, floors, stack: RackStack, hw, conc, weight_bytes, kv_bytes) -> dict:
    """Best disaggregated point per (floor, variant, model, workload) over a (V, M, W, G, C) grid.

    The rules of :func:`disaggregation.best_disaggregated` without latency limits. Throughput
    rises with the prefill pool's utilisation and only TTFT (unlimited here) falls with it, so
    the highest utilisation of its grid wins and is the only one evaluated.
    """
    a = stack.assumptions
    decode_traffic = traffic._replace(prefix_hit_rate=np.ones_like(traffic.prefix_hit_rate))
    groups = group_sizes(stack.gpus, float(stack.hw.scaleup_domain_size[0])).reshape(1, 1, 1, -1, 1)
    chunk, rho, moe = float(a.prefill_chunk_tokens), float(PREFILL_UTILISATIONS.max()), moe_settings(a)
    decode = serve(
        model, hw, decode_traffic, conc, groups, weight_bytes, kv_bytes, stack.eff, stack.maturity, chunk, moe
    )
    args = (traffic, groups, weight_bytes, kv_bytes, stack.eff, stack.maturity, moe)
    _, prefill_rate = prefill_rate_per_accelerator(model, hw, chunk, *args)
    ratio = prefill_per_decode(decode.tokens_per_s_per_accelerator, traffic, rho, prefill_rate)
    per_acc = decode.tokens_per_s_per_accelerator / (1.0 + ratio)
    ok = (conc <= decode.max_concurrency) & (conc <= float(a.engine_batch_cap)) & usable_group(hw, groups)
    ok &= np.isfinite(per_acc)
    chosen = dict(group=groups, concurrency=conc, per_user=1.0 / decode.tpot_s)
    chosen["requests"] = conc * stack.gpus / groups / (1.0 + ratio)
    chosen["prefill_share"], chosen["fit_limit"] = ratio / (1.0 + ratio), decode.max_concurrency
    chosen["compute_bound"] = decode.compute_bound
    return _per_floor(floors, ok, 1.0 / decode.tpot_s, per_acc, chosen)


def _better(first: dict, second: dict) -> dict:
    """Element-wise the point with the higher score of two :func:`_per_floor` results (ties: ``first``)."""
    take = second["score"] > first["score"]
    return {k: np.where(take, second[k], first[k]) for k in first}


def speed_limits(model, hw, traffic: Traffic, groups, floors, stack: RackStack, weight_bytes, kv_bytes) -> np.ndarray:
    """Every floor's and variant's most running sequences per group whose users still get >= the floor.

    Integer bisection on the serving model's TPOT, which rises with concurrency (1 where even
    one sequence is too slow). Like :func:`capacity_limits`, all of them are tried by every
    variant (shape (1, M, W, G, F x V)), so where the speed floor binds the answer moves smoothly.
    """
    a = stack.assumptions
    shape = (
        len(floors),
        *np.broadcast_shapes(hw.memory_bytes.shape, model.layers.shape, traffic[0].shape, groups.shape),
    )
    floor = np.asarray(floors, dtype=float).reshape((-1,) + (1,) * (len(shape) - 1))
    lo, hi = np.ones(shape), np.full(shape, float(a.engine_batch_cap))
    args = (traffic, groups, weight_bytes, kv_bytes, stack.eff, stack.maturity, moe_settings(a))
    fresh_per_output = traffic.input_tokens * (1.0 - traffic.prefix_hit_rate) / traffic.output_tokens
    for _ in range(int(np.ceil(np.log2(a.engine_batch_cap))) + 1):
        mid = np.where(lo < hi, np.floor((lo + hi + 1) / 2), lo)
        tpot = iteration_seconds(model, hw, mid, mid * fresh_per_output, *args)[0]  # serve's TPOT, nothing else
        fast = 1.0 / tpot >= floor
        lo, hi = np.where((lo < hi) & fast, mid, lo), np.where((lo < hi) & ~fast, mid - 1, hi)
    found = lo[..., 0]  # (F, V, M, W, G)
    return np.moveaxis(found.reshape(-1, *found.shape[2:]), 0, -1)[None]


def _mode(search, decode_only: bool, model, traffic, floors, stack: RackStack, weight_bytes, kv_bytes, step) -> dict:
    """One mode's best points: over the concurrency grid and over each cell's capacity and speed limits."""
    m = model.along(1, 5)
    t = Traffic(*(np.asarray(x, dtype=float).reshape(1, 1, -1, 1, 1) for x in traffic))
    hw = hardware_variants(stack.hw, step, 5)
    grid = concurrency_grid(float(stack.assumptions.engine_batch_cap)).reshape(1, 1, 1, 1, -1)
    groups = group_sizes(stack.gpus, float(stack.hw.scaleup_domain_size[0])).reshape(1, 1, 1, -1, 1)
    speed_traffic = t._replace(prefix_hit_rate=np.ones_like(t.prefix_hit_rate)) if decode_only else t
    by_capacity = capacity_limits(m, hw, t, groups, weight_bytes, kv_bytes, stack)
    by_speed = speed_limits(m, hw, speed_traffic, groups, floors, stack, weight_bytes, kv_bytes)
    lead = np.broadcast_shapes(by_capacity.shape[:-1], by_speed.shape[:-1])
    full = lambda a: np.broadcast_to(a, (*lead, a.shape[-1]))
    limits = np.concatenate([full(by_capacity), full(by_speed)], axis=-1)
    on_grid = search(m, t, floors, stack, hw, grid, weight_bytes, kv_bytes)
    return _better(on_grid, search(m, t, floors, stack, hw, limits, weight_bytes, kv_bytes))


def rack_grid(
    model: ModelArrays,
    traffic: Traffic,
    floors,
    stack: RackStack,
    weight_bytes: float,
    kv_bytes: float,
    step: float = 0.1,
) -> dict[str, np.ndarray]:
    """Best rack point per (floor, variant, model, workload) with every user at >= the floor (tokens/s): the better mode.

    ``floors`` has F entries, ``model`` M and ``traffic`` arrays W. Returns arrays of shape
    (F, len(VARIANTS), M, W): rack_tokens_per_s (NaN where nothing qualifies), requests,
    group_size, concurrency, per_user_tokens_per_s, disaggregated (bool), prefill_share
    (fraction of the rack prefilling), bound (what stops the batch growing: capacity, the
    engine batch cap, or the speed floor, with a compute- or memory-bound step).
    """
    args = (model, traffic, np.atleast_1d(np.asarray(floors, dtype=float)), stack, weight_bytes, kv_bytes, step)
    both, split = _mode(colocated, False, *args), _mode(disaggregated, True, *args)
    use_split = split["score"] > both["score"]
    pick = lambda key: np.where(use_split, split[key], both[key])
    score = pick("score")
    found = np.isfinite(score)
    return {
        "rack_tokens_per_s": np.where(found, score * stack.gpus, np.nan),
        "requests": np.where(found, pick("requests"), 0.0),
        "group_size": np.where(found, pick("group"), np.nan),
        "concurrency": np.where(found, pick("concurrency"), np.nan),
        "per_user_tokens_per_s": np.where(found, pick("per_user"), np.nan),
        "disaggregated": found & use_split,
        "prefill_share": np.where(found, pick("prefill_share"), np.nan),
        "bound": np.select(
            [
                ~found,
                pick("concurrency") >= pick("fit_limit"),
                pick("concurrency") >= stack.assumptions.engine_batch_cap,
                pick("compute_bound").astype(bool),
            ],
            ["none", "capacity", "engine batch cap", "speed floor, compute-bound"],
            "speed floor, memory-bound",
        ),
    }


def rack_elasticities(rack_tokens_per_s: np.ndarray, step: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(d ln T / d ln capacity, d ln T / d ln bandwidth) from a :func:`rack_grid` throughput (variant axis third from last)."""
    names = [v[0] for v in VARIANTS]
    log = lambda name: np.log(np.take(rack_tokens_per_s, names.index(name), axis=-3))
    with np.errstate(invalid="ignore"):
        e_capacity = (log("capacity up") - log("capacity down")) / (2 * step)
        e_bandwidth = (log("bandwidth up") - log("bandwidth down")) / (2 * step)
    return e_capacity, e_bandwidth


def rack_power_mw(systems: pl.DataFrame, system_id: str) -> float:
    """The rack's power (MW) from ``systems.rack_power_kw``; NaN when the table has none."""
    row = systems.filter(pl.col("system_id") == system_id)
    kw = row["rack_power_kw"][0] if row.height else None
    return float("nan") if kw is None else float(kw) / 1000.0
