"""Engine queries shared by the analyses: the best operating point per accelerator and its local elasticities.

An operating point is the (batch, group size) with the most throughput per accelerator under a
per-user speed target (or at the largest batch). A group of G accelerators is usable when
G = 1, or G fits the scale-up domain and the link bandwidth is known: the same rule the
frontier applies (:func:`hbmcycle.inference.hardware.usable_group`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
import polars as pl

from hbmcycle.inference.architecture import ModelArrays, model_arrays
from hbmcycle.inference.hardware import HardwareArrays, hardware_arrays, usable_group
from hbmcycle.inference.parallel import STANDARD_GROUP_SIZES
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, WEIGHT_PRECISIONS
from hbmcycle.inference.step_time import Efficiency, decode_step, max_batch

REGIMES: tuple[str, ...] = ("capacity x bandwidth", "capacity x compute", "bandwidth", "compute", "infeasible")


@dataclass(frozen=True)
class Workload:
    """What is served: model, context, precisions and the per-user speed target (None = max batch)."""

    model_id: str
    context: float
    weights: str = "fp8"
    kv: str = "fp8"
    group_sizes: tuple[float, ...] = STANDARD_GROUP_SIZES


def hardware_with_fallback(accelerators: pl.DataFrame, precision: str) -> tuple[HardwareArrays, np.ndarray]:
    """Hardware arrays at ``precision``, falling back to the next wider precision an accelerator supports.

    (A100 has no FP8 tensor cores, so an fp8 workload runs it in bf16.) Returns the arrays
    and the precision each accelerator actually uses ("" where none is supported).
    """
    wanted = WEIGHT_PRECISIONS.index(precision)
    order = [WEIGHT_PRECISIONS[i] for i in range(wanted, -1, -1)]
    per_precision = {p: hardware_arrays(accelerators, p, strict=False) for p in order}
    peaks = np.array([per_precision[p].peak_flops_s for p in order])
    available = np.isfinite(peaks)
    first = np.argmax(available, axis=0)
    supported = available.any(axis=0)
    peak = np.where(supported, peaks[first, np.arange(peaks.shape[1])], np.nan)
    used = np.where(supported, np.array(order)[first], "")
    return replace(per_precision[precision], peak_flops_s=peak), used


@dataclass(frozen=True)
class OperatingPoints:
    """Best serving configuration per accelerator (arrays, one entry per accelerator)."""

    throughput_per_accelerator: np.ndarray  # tokens/s per accelerator, NaN where infeasible
    per_user_tokens_per_s: np.ndarray
    batch: np.ndarray
    group_size: np.ndarray
    max_batch: np.ndarray
    regime: np.ndarray  # one of REGIMES


def operating_points(
    model: ModelArrays,
    hw: HardwareArrays,
    weight_bytes,
    kv_bytes: float,
    context: float,
    per_user_target: float | None,
    group_sizes,
    eff: Efficiency,
) -> OperatingPoints:
    """Most throughput per accelerator with every user at >= ``per_user_target`` tokens/s (engine-exact).

    For each group size G (up to the accelerator's scale-up domain) the batch is the largest
    integer B <= B* whose engine step time gives at least the target speed, found by
    bisection (step time rises with B); ``per_user_target=None`` takes B = B*. The best G
    per accelerator wins. The regime names what stops the batch growing (capacity: B = B*;
    otherwise the speed target) and what dominates the step (bandwidth or compute).
    """
    targets = None if per_user_target is None else np.full(len(hw), float(per_user_target))
    return _best_points(model, hw, weight_bytes, kv_bytes, context, targets, group_sizes, eff)


def _best_points(model, hw, weight_bytes, kv_bytes, context, targets, group_sizes, eff) -> OperatingPoints:
    """`operating_points` with one speed target per accelerator row (``targets`` None: B = B* everywhere).

    Rows are independent (only the bisection's iteration count is shared, and iterations past
    convergence change nothing), so many accelerators, hardware variants and targets can go
    through the engine in one vectorised pass.
    """
    groups = np.asarray(group_sizes, dtype=float).reshape(1, -1)
    hw2 = hw.along(0, 2)
    wb = np.asarray(weight_bytes, dtype=float).reshape(-1, 1)
    valid = usable_group(hw2, groups)
    fits = np.where(valid, max_batch(model, hw2, context, groups, wb, kv_bytes, eff.reserve_fraction), 0.0)
    fits = np.nan_to_num(fits, nan=0.0)

    def step(batch):
        return decode_step(model, hw2, batch, context, groups, wb, kv_bytes, eff)

    if targets is None:
        batch = fits
    else:
        target = np.asarray(targets, dtype=float).reshape(-1, 1)
        lo, hi = np.zeros_like(fits), fits.copy()
        for _ in range(int(np.ceil(np.log2(max(fits.max(), 1.0)))) + 2):
            mid = np.where(lo < hi, np.floor((lo + hi + 1) / 2), lo)
            fast = step(np.maximum(mid, 1.0)).per_user_tokens_per_s >= target
            lo = np.where((lo < hi) & fast, mid, lo)
            hi = np.where((lo < hi) & ~fast, mid - 1, hi)
        batch = lo
    result = step(np.maximum(batch, 1.0))
    feasible = valid & (batch >= 1) & np.isfinite(result.step_s)
    per_acc = np.where(feasible, result.tokens_per_s_per_accelerator, -np.inf)
    best = np.argmax(per_acc, axis=1)
    rows = np.arange(len(best))
    pick = lambda a: np.broadcast_to(a, per_acc.shape)[rows, best]
    ok = np.isfinite(pick(per_acc))
    memory_bound = pick(result.memory_s) >= pick(result.compute_s)
    at_capacity = pick(batch) >= pick(fits)
    regime = np.select(
        [~ok, at_capacity & memory_bound, at_capacity, memory_bound],
        ["infeasible", "capacity x bandwidth", "capacity x compute", "bandwidth"],
        "compute",
    )
    return OperatingPoints(
        throughput_per_accelerator=np.where(ok, pick(per_acc), np.nan),
        per_user_tokens_per_s=np.where(ok, pick(result.per_user_tokens_per_s), np.nan),
        batch=np.where(ok, pick(batch), np.nan),
        group_size=np.where(ok, groups[0, best], np.nan),
        max_batch=pick(fits),
        regime=regime,
    )


def _scalings(step: float) -> list[dict[str, float]]:
    """The hardware variants of a central difference: capacity up, down, bandwidth up, down by exp(+-step)."""
    up, down = math.exp(step), math.exp(-step)
    return [{"memory_bytes": up}, {"memory_bytes": down}, {"bandwidth_bytes_s": up}, {"bandwidth_bytes_s": down}]


def _stacked_points(model, hw, weight_bytes, kv_bytes, context, targets, scalings, group_sizes, eff):
    """Operating points of every (target, hardware scaling) pair in one engine pass.

    Returns throughput per accelerator with shape (targets, scalings, accelerators) and the
    points of the unscaled hardware when ``scalings`` starts with ``{}``. ``targets`` are all
    numbers or all None.
    """
    n, copies = len(hw), len(targets) * len(scalings)
    stacked = HardwareArrays(
        **{
            f.name: np.concatenate(
                [getattr(hw, f.name) * s[f.name] if f.name in s else getattr(hw, f.name) for s in scalings]
                * len(targets)
            )
            for f in fields(hw)
        }
    )
    wb = np.asarray(weight_bytes, dtype=float).ravel()
    wb = np.tile(wb, copies) if wb.size == n and n > 1 else wb
    per_row = None if targets[0] is None else np.repeat(np.asarray(targets, dtype=float), len(scalings) * n)
    points = _best_points(model, stacked, wb, kv_bytes, context, per_row, group_sizes, eff)
    return points, points.throughput_per_accelerator.reshape(len(targets), len(scalings), n)


def _elasticities(throughput: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Central differences from throughput at (capacity up, down, bandwidth up, down) on the first axis."""
    with np.errstate(divide="ignore", invalid="ignore"):
        e_size = (np.log(throughput[0]) - np.log(throughput[1])) / (2 * step)
        e_bw = (np.log(throughput[2]) - np.log(throughput[3])) / (2 * step)
    return e_size, e_bw


def local_elasticities(
    model: ModelArrays,
    hw: HardwareArrays,
    weight_bytes,
    kv_bytes: float,
    context: float,
    per_user_target: float | None,
    group_sizes,
    eff: Efficiency,
    step: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """d ln T / d ln capacity and d ln T / d ln bandwidth of the engine, per accelerator.

    Central differences with capacity (or bandwidth) scaled by exp(+-step), everything else
    held fixed. A 10 % step smooths the integer batch; NaN where either side is infeasible.
    The four variants go through the engine together (see `_stacked_points`).
    """
    args = (model, hw, weight_bytes, kv_bytes, context, [per_user_target])
    _, throughput = _stacked_points(*args, _scalings(step), group_sizes, eff)
    return _elasticities(throughput[0], step)


def prepare(accelerators: pl.DataFrame, llm_models: pl.DataFrame, workload: Workload):
    """(model arrays, hardware arrays, bytes/weight per accelerator, bytes/KV element, precision used)."""
    rows = llm_models.filter(pl.col("model_id") == workload.model_id)
    if rows.is_empty():
        raise ValueError(f"unknown model {workload.model_id!r}; valid: {', '.join(llm_models['model_id'])}")
    hw, used = hardware_with_fallback(accelerators, workload.weights)
    weight_bytes = np.array([BYTES_PER_ELEMENT[u] if u else np.nan for u in used])
    return model_arrays(rows), hw, weight_bytes, BYTES_PER_ELEMENT[workload.kv], used


def modelled_throughput(
    accelerators: pl.DataFrame,
    llm_models: pl.DataFrame,
    workload: Workload,
    targets,
    eff: Efficiency,
    model_override: ModelArrays | None = None,
) -> pl.DataFrame:
    """Engine throughput per accelerator at each per-user target (None = max batch), with local elasticities.

    One row per (accelerator, target): throughput_per_accelerator, per_user_tokens_per_s,
    batch, group_size, max_batch, regime, e_size, e_bw, precision_used.
    ``model_override`` replaces the model's arrays (a counterfactual architecture).
    """
    model, hw, weight_bytes, kv_bytes, used = prepare(accelerators, llm_models, workload)
    model = model_override or model
    scalings, n = [{}, *_scalings(0.1)], len(hw)
    columns: dict[str, dict] = {}
    for group in ([t for t in targets if t is not None], [t for t in targets if t is None]):
        if not group:
            continue
        args = (model, hw, weight_bytes, kv_bytes, workload.context, group, scalings, workload.group_sizes, eff)
        points, throughput = _stacked_points(*args)
        for i, target in enumerate(group):
            base = slice(i * len(scalings) * n, i * len(scalings) * n + n)  # the unscaled copy of this target
            e_size, e_bw = _elasticities(throughput[i, 1:], 0.1)
            columns[target_label(target)] = _rows(hw, target, points, base, e_size, e_bw, used)
    frames = [pl.DataFrame(columns[target_label(t)]) for t in targets]  # in the order asked for
    return pl.concat(frames).with_columns(pl.col(pl.Float64).fill_nan(None))


def _rows(hw, target, points: OperatingPoints, base: slice, e_size, e_bw, used) -> dict:
    n = len(hw)
    return {
        "accelerator_id": hw.accelerator_id,
        "target": [target_label(target)] * n,
        "per_user_target": np.full(n, float("nan") if target is None else float(target)),
        "throughput_per_accelerator": points.throughput_per_accelerator[base],
        "per_user_tokens_per_s": points.per_user_tokens_per_s[base],
        "batch": points.batch[base],
        "group_size": points.group_size[base],
        "max_batch": points.max_batch[base],
        "regime": points.regime[base],
        "e_size": e_size,
        "e_bw": e_bw,
        "precision_used": used,
    }


def target_label(target: float | None) -> str:
    return "max batch" if target is None else f">= {target:g} tok/s/user"


def hardware_ceiling(eff: Efficiency) -> Efficiency:
    """The same efficiencies without fixed overheads (per step, layer, sequence, all-reduce): the hardware's ceiling."""
    return replace(eff, step_overhead_s=0.0, layer_overhead_s=0.0, sequence_overhead_s=0.0, allreduce_latency_s=0.0)
