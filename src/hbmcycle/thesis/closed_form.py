"""Closed forms of throughput at the largest batch and at a per-user speed, checked against the engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from hbmcycle.inference.operating import Workload, operating_points, prepare, target_label
from hbmcycle.inference.step_time import Efficiency


@dataclass(frozen=True)
class Closed:
    """Closed-form throughput (tokens/s per accelerator group) and its batch and regime."""

    throughput: np.ndarray
    batch: np.ndarray
    regime: np.ndarray


def closed_form(
    per_user_target,
    capacity_bytes,
    bandwidth_bytes_s,
    peak_flops_s,
    total_weight_bytes,
    weight_read_bytes,
    kv_bytes_per_sequence,
    flops_per_sequence,
    layers,
    eff: Efficiency,
) -> Closed:
    """Throughput at the largest batch (``per_user_target`` NaN) or at a per-user speed, in closed form.

    With a = W / (eta_w BW) + t_0 (t_0 = step + layers x layer overhead), the per-sequence
    costs m = kv / (eta_kv BW) + t_seq (memory) and c = F / (eta_c P) + t_seq (compute):

        B*    = (C (1 - r) - W_tot) / kv
        t(B)  = max(a + B m, t_0 + B c)          (memory-bound vs compute-bound step)
        T*    = B* / max(a + B* m, t_0 + B* c)                          (largest batch)
        B(s)  = min((1/s - a) / m, (1/s - t_0) / c, B*),  T(s) = B(s) / t(B(s))

    With eta = 1 and no overheads these reduce to the forms in the module docstring. Batches
    are continuous (the engine floors them); no parallel communication (one accelerator).
    ``weight_read_bytes`` may be a function of the batch (MoE: distinct experts touched), in
    which case B(s) is found by fixed-point iteration.
    """
    t0 = eff.step_overhead_s + layers * eff.layer_overhead_s
    memory_per_seq = kv_bytes_per_sequence / (eff.kv_bandwidth * bandwidth_bytes_s) + eff.sequence_overhead_s
    compute_per_seq = flops_per_sequence / (eff.compute * peak_flops_s) + eff.sequence_overhead_s
    b_star = np.maximum((capacity_bytes * (1 - eff.reserve_fraction) - total_weight_bytes) / kv_bytes_per_sequence, 0.0)
    read = weight_read_bytes if callable(weight_read_bytes) else (lambda _b: weight_read_bytes)

    def fixed(batch):
        return read(batch) / (eff.bandwidth * bandwidth_bytes_s) + t0

    def step_time(batch):
        return np.maximum(fixed(batch) + batch * memory_per_seq, t0 + batch * compute_per_seq)

    target = np.asarray(per_user_target, dtype=float)
    batch = b_star
    if np.any(np.isfinite(target)):
        inverse = np.where(np.isfinite(target), 1.0 / np.where(np.isfinite(target), target, 1.0), np.inf)
        batch = b_star
        for _ in range(60):  # fixed point in the MoE weight reads; one pass suffices for a dense model
            by_memory = (inverse - fixed(batch)) / memory_per_seq
            by_compute = (inverse - t0) / compute_per_seq
            batch = 0.5 * batch + 0.5 * np.clip(np.minimum(by_memory, by_compute), 0.0, b_star)
        batch = np.where(np.isfinite(target), batch, b_star)
    t = step_time(batch)
    memory_bound = fixed(batch) + batch * memory_per_seq >= t0 + batch * compute_per_seq
    at_capacity = np.isclose(batch, b_star, rtol=1e-6)
    regime = np.select(
        [batch < 1, at_capacity & memory_bound, at_capacity, memory_bound],
        ["infeasible", "capacity x bandwidth", "capacity x compute", "bandwidth"],
        "compute",
    )
    return Closed(throughput=np.where(batch >= 1, batch / t, np.nan), batch=batch, regime=regime)


def ideal_max_batch_throughput(capacity_bytes, bandwidth_bytes_s, total_weight_bytes, kv_bytes_per_sequence):
    """T* = BW (C - W) / (kv C): no efficiencies, overheads or reserve, dense, memory-bound (tokens/s)."""
    free = capacity_bytes - total_weight_bytes
    return np.where(free > 0, bandwidth_bytes_s * free / (kv_bytes_per_sequence * capacity_bytes), np.nan)


def ideal_throughput_at_speed(per_user_target, bandwidth_bytes_s, weight_bytes, kv_bytes_per_sequence):
    """T(s) = (BW - s W) / kv: throughput at per-user speed s, memory-bound, capacity not binding (tokens/s)."""
    value = (bandwidth_bytes_s - per_user_target * weight_bytes) / kv_bytes_per_sequence
    return np.where(value > 0, value, np.nan)


def closed_form_check(
    accelerators: pl.DataFrame, llm_models: pl.DataFrame, workload: Workload, targets, eff: Efficiency
) -> pl.DataFrame:
    """Closed form vs engine for one accelerator (group size 1) at each target.

    Columns: accelerator_id, target, engine, closed_form, ideal, closed_vs_engine (ratio - 1),
    engine_regime, closed_regime.
    """
    model, hw, weight_bytes, kv_bytes, _ = prepare(accelerators, llm_models, workload)
    cached = model.cached_tokens(workload.context)
    kv_seq = model.kv_elements_per_token * cached * kv_bytes
    flops_seq = 2.0 * model.active_params + model.attention_flops_per_context_token * cached
    frames = []
    for target in targets:
        engine = operating_points(model, hw, weight_bytes, kv_bytes, workload.context, target, (1.0,), eff)
        closed = closed_form(
            np.nan if target is None else target,
            hw.memory_bytes,
            hw.bandwidth_bytes_s,
            hw.peak_flops_s,
            model.total_params * weight_bytes,
            lambda b: model.weight_params_read(b) * weight_bytes,
            kv_seq,
            flops_seq,
            model.layers,
            eff,
        )
        ideal = (
            ideal_max_batch_throughput(hw.memory_bytes, hw.bandwidth_bytes_s, model.total_params * weight_bytes, kv_seq)
            if target is None
            else ideal_throughput_at_speed(target, hw.bandwidth_bytes_s, model.active_params * weight_bytes, kv_seq)
        )
        frames.append(
            pl.DataFrame(
                {
                    "accelerator_id": hw.accelerator_id,
                    "target": target_label(target),
                    "engine": engine.throughput_per_accelerator,
                    "closed_form": closed.throughput,
                    "ideal": ideal,
                    "engine_regime": engine.regime,
                    "closed_regime": closed.regime,
                }
            )
        )
    out = pl.concat(frames).with_columns(pl.col(pl.Float64).fill_nan(None))
    return out.with_columns((pl.col("closed_form") / pl.col("engine") - 1).alias("closed_vs_engine"))
