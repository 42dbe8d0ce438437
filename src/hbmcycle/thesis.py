"""Testing the thesis "token throughput = HBM size x HBM bandwidth".

The seed argument: throughput = batch x per-request speed; batch is bounded by HBM capacity
(each request's KV cache lives in HBM), speed by HBM bandwidth; hence T ~ S x BW. This
module assembles the evidence: the seed's chart with three throughput series of stated
provenance (vendor claims, MLPerf measurements, the inference model), closed forms checked
against the engine, elasticity regressions, natural experiments, sensitivities and computed
verdicts.

First principles (decode, one accelerator, memory-bound; W = weight bytes read per step,
kv = KV bytes per sequence = L * k, C' = C (1 - r) usable capacity, W_tot = all weight bytes):

    step time          t(B) = W / BW + B kv / BW                       [s]
    largest batch      B*   = (C' - W_tot) / kv                         [sequences]
    at the max batch   T*   = B* / t(B*) = BW (C' - W_tot) / (kv C')    (dense: W = W_tot)
    at speed s         B(s) = (BW / s - W) / kv,   T(s) = s B(s) = (BW - s W) / kv

So at the largest batch throughput is linear in BW and depends on capacity only through
(1 - W_tot / C'): its capacity elasticity is W_tot / (C' - W_tot), equal to 1 only when
the weights take half the usable memory, and falling towards 0 as capacity grows. At a
fixed per-user speed throughput does not depend on capacity at all unless B* < B(s).
Compute takes over when B (2 N_active + a_attn L) / P exceeds the memory time. The engine
(:mod:`hbmcycle.inference.step_time`) adds calibrated efficiencies and overheads; the
closed forms here carry the same terms so they can be checked against it exactly.

Everything is a pure function of frames or arrays; :func:`load_tables` is the only I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from hbmcycle import stats
from hbmcycle.inference.architecture import ModelArrays, model_arrays
from hbmcycle.inference.hardware import HardwareArrays, hardware_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, WEIGHT_PRECISIONS
from hbmcycle.inference.step_time import Efficiency, decode_step, max_batch

# The seed's NVIDIA line-up, one accelerator id per generation (B300/GB300 share memory per GPU;
# GB300 is the NVL72 part the claims refer to).
SEED_GENERATIONS: tuple[str, ...] = (
    "nvidia_a100_80gb_sxm", "nvidia_h100_sxm", "nvidia_h200", "nvidia_b200", "nvidia_gb200",
    "nvidia_gb300", "nvidia_rubin", "nvidia_rubin_ultra",
)
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("nvidia_h100_sxm", "nvidia_h200"), ("nvidia_b200", "nvidia_b300"),
    ("nvidia_gb200", "nvidia_gb300"), ("amd_mi300x", "amd_mi325x"),
)
REGIMES: tuple[str, ...] = ("capacity x bandwidth", "capacity x compute", "bandwidth", "compute", "infeasible")

# ---- verdict thresholds (stated here, applied in code) --------------------------------------
SHARE_HOLDS = 2 / 3  # a bottleneck claim holds where it binds at >= 2/3 of operating points
SHARE_FAILS = 1 / 3  # ... and does not hold below 1/3
ELASTICITY_NEAR = 0.25  # an elasticity "equals" a value when within +-0.25
MIN_POINTS = 5  # fewer points than this: a regression cannot check a claim
SOFTWARE_GAIN = 1.10  # a same-hardware speed-up of 10 %+ counts as a software gain
# The seed's rack power vs the systems table: within this relative tolerance the per-MW figure stands.
RACK_POWER_TOLERANCE = 0.15
SEED_EXAMPLE = {"requests": 1920, "per_user_tok_s": 100.0, "rack_kw": 120.0, "tok_s_per_mw": 1.6e6}

# ---- vendor claims ----------------------------------------------------------------------------
# What a claim's ratio measures, from its notes; first match wins (order matters: "throughput
# per megawatt ... at lower cost" is a power claim, not a cost claim).
CLAIM_METRIC_RULES: tuple[tuple[str, str], ...] = (
    ("peak_compute", r"peak-compute|\bEF\b|AI performance"),
    ("composite", r"revenue|factory output"),
    ("per_system", r"system vs system"),
    ("per_power", r"per megawatt|per watt"),
    ("per_user", r"TPS per user|per user"),
    ("cost", r"cost per|cost reduction"),
    ("per_dollar", r"tokens per dollar|tokens/\$"),
    ("at_latency", r"real-time"),
)
THROUGHPUT_CLAIMS: tuple[str, ...] = ("throughput", "at_latency")
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def claim_metric(notes: str | None, accelerator_id: str, baseline_id: str | None) -> str:
    """Classify what a vendor ratio measures (see :data:`CLAIM_METRIC_RULES`).

    A claim whose baseline is the same accelerator is a ``software`` gain; one that matches
    no rule is plain ``throughput``.
    """
    if baseline_id == accelerator_id:
        return "software"
    for metric, pattern in CLAIM_METRIC_RULES:
        if re.search(pattern, notes or "", flags=re.IGNORECASE):
            return metric
    return "throughput"


def classify_claims(benchmarks: pl.DataFrame) -> pl.DataFrame:
    """Claimed rows of ``inference_benchmarks`` with a ``claim_metric`` column."""
    claims = benchmarks.filter(pl.col("kind") == "claimed")
    metric = [claim_metric(r["notes"], r["accelerator_id"], r["baseline_accelerator_id"])
              for r in claims.iter_rows(named=True)]
    return claims.with_columns(pl.Series("claim_metric", metric, dtype=pl.Utf8))


def claimed_chain(claims: pl.DataFrame, generations, anchor: str = "nvidia_h100_sxm",
                  metrics=THROUGHPUT_CLAIMS, pick: str = "max") -> pl.DataFrame:
    """Throughput relative to ``anchor`` by chaining vendor ratios (claims classified by :func:`classify_claims`).

    Starting from anchor = 1, a generation is resolved by a claim of an allowed metric whose
    baseline (or claimed accelerator, inverted) is already resolved. Among candidates the
    best confidence wins, then ``pick`` = "max" (the headline) or "min" (the most
    conservative). Returns accelerator_id, claimed_relative, via (the result ids used).
    """
    if pick not in ("max", "min"):
        raise ValueError("pick must be 'max' or 'min'")
    usable = claims.filter(pl.col("claim_metric").is_in(list(metrics)) & pl.col("baseline_accelerator_id").is_not_null())
    value = {anchor: 1.0}
    via = {anchor: "anchor"}
    changed = True
    while changed:
        changed = False
        for target in generations:
            if target in value:
                continue
            candidates = []
            for row in usable.iter_rows(named=True):
                ratio, acc, base = row["claimed_speedup_x"], row["accelerator_id"], row["baseline_accelerator_id"]
                if acc == target and base in value:
                    candidates.append((_CONFIDENCE_RANK[row["confidence"]], value[base] * ratio, row["result_id"], base))
                elif base == target and acc in value:
                    candidates.append((_CONFIDENCE_RANK[row["confidence"]], value[acc] / ratio, row["result_id"], acc))
            if not candidates:
                continue
            best_rank = min(c[0] for c in candidates)
            tier = [c for c in candidates if c[0] == best_rank]
            chosen = (max if pick == "max" else min)(tier, key=lambda c: c[1])
            value[target] = chosen[1]
            via[target] = chosen[2] if via[chosen[3]] == "anchor" else f"{via[chosen[3]]} > {chosen[2]}"
            changed = True
    rows = [(g, value[g], via[g]) for g in generations if g in value]
    return pl.DataFrame(rows, schema={"accelerator_id": pl.Utf8, "claimed_relative": pl.Float64, "via": pl.Utf8},
                        orient="row")


# ---- MLPerf measurements ------------------------------------------------------------------------
def benchmark_family(benchmark_model: str | None) -> str | None:
    """MLPerf model name without its accuracy target (llama2-70b-99.9 -> llama2-70b)."""
    return None if benchmark_model is None else re.sub(r"-99(\.9)?$", "", benchmark_model)


def measured_results(benchmarks: pl.DataFrame) -> pl.DataFrame:
    """Measured MLPerf rows with per-accelerator throughput and a ``family`` column."""
    rows = benchmarks.filter((pl.col("kind") == "measured") & (pl.col("benchmark") == "mlperf_inference")
                             & pl.col("tokens_per_s_per_accelerator").is_not_null())
    return rows.with_columns(pl.col("benchmark_model").map_elements(benchmark_family, return_dtype=pl.Utf8)
                             .alias("family"))


def best_measured(measured: pl.DataFrame, family: str, scenario: str) -> pl.DataFrame:
    """Best per-accelerator throughput for one benchmark family and scenario, over all rounds.

    Taking the best result credits each accelerator with its most mature software; the
    ``round`` and ``precision`` columns say which result that was.
    """
    rows = measured.filter((pl.col("family") == family) & (pl.col("scenario") == scenario))
    return (rows.sort("tokens_per_s_per_accelerator", descending=True)
            .group_by("accelerator_id", maintain_order=True).first()
            .select("accelerator_id", "tokens_per_s_per_accelerator", "round", "precision", "result_id"))


def measured_ratio(measured: pl.DataFrame, base: str, other: str) -> pl.DataFrame:
    """Measured other/base throughput ratios per (family, scenario), same round where possible.

    Uses the latest round both were submitted in (same software generation); where they never
    shared a round, the best result of each, flagged ``same_round = False``.
    """
    rows = []
    both = measured.filter(pl.col("accelerator_id").is_in([base, other]))
    for (family, scenario), group in both.group_by(["family", "scenario"], maintain_order=True):
        have = set(group["accelerator_id"])
        if have != {base, other}:
            continue
        rounds = set(group.filter(pl.col("accelerator_id") == base)["round"]) & set(
            group.filter(pl.col("accelerator_id") == other)["round"])
        same = bool(rounds)
        pool = group.filter(pl.col("round") == max(rounds)) if same else group
        best = {a: pool.filter(pl.col("accelerator_id") == a)["tokens_per_s_per_accelerator"].max() for a in (base, other)}
        rows.append((family, scenario, best[other] / best[base], same, max(rounds) if same else None))
    return pl.DataFrame(rows, schema={"family": pl.Utf8, "scenario": pl.Utf8, "ratio": pl.Float64,
                                      "same_round": pl.Boolean, "round": pl.Utf8}, orient="row")


def ratio_via_common_baseline(claims: pl.DataFrame, base: str, other: str) -> pl.DataFrame:
    """other/base from two ratios a third party stated against both (e.g. AMD's MI355X vs B200 and vs B300).

    For claims ``X/base = r1`` and ``X/other = r2`` of the same metric and benchmark,
    ``other/base = r1 / r2``. The scenario is read from the claim id's last word.
    """
    def keyed(baseline: str) -> dict:
        rows = claims.filter((pl.col("baseline_accelerator_id") == baseline) & (pl.col("claim_metric") == "throughput"))
        return {(r["accelerator_id"], r["benchmark_model"], r["result_id"].rsplit("_", 1)[-1]): r["claimed_speedup_x"]
                for r in rows.iter_rows(named=True)}

    vs_base, vs_other = keyed(base), keyed(other)
    rows = [(key[1], key[2], vs_base[key] / vs_other[key], key[0]) for key in vs_base if key in vs_other]
    return pl.DataFrame(rows, schema={"family": pl.Utf8, "scenario": pl.Utf8, "ratio": pl.Float64, "via": pl.Utf8},
                        orient="row")


# ---- the engine at an operating point -----------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """What is served: model, context, precisions and the per-user speed target (None = max batch)."""

    model_id: str
    context: float
    weights: str = "fp8"
    kv: str = "fp8"
    group_sizes: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 72)


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


def operating_points(model: ModelArrays, hw: HardwareArrays, weight_bytes, kv_bytes: float, context: float,
                     per_user_target: float | None, group_sizes, eff: Efficiency) -> OperatingPoints:
    """Most throughput per accelerator with every user at >= ``per_user_target`` tokens/s (engine-exact).

    For each group size G (up to the accelerator's scale-up domain) the batch is the largest
    integer B <= B* whose engine step time gives at least the target speed, found by
    bisection (step time rises with B); ``per_user_target=None`` takes B = B*. The best G
    per accelerator wins. The regime names what stops the batch growing (capacity: B = B*;
    otherwise the speed target) and what dominates the step (bandwidth or compute).
    """
    groups = np.asarray(group_sizes, dtype=float).reshape(1, -1)
    hw2 = hw.along(0, 2)
    wb = np.asarray(weight_bytes, dtype=float).reshape(-1, 1)
    valid = (groups == 1.0) | ((groups <= hw2.scaleup_domain_size) & np.isfinite(hw2.link_bytes_s))
    valid &= np.isfinite(hw2.peak_flops_s) & np.isfinite(hw2.memory_bytes) & np.isfinite(hw2.bandwidth_bytes_s)
    fits = np.where(valid, max_batch(model, hw2, context, groups, wb, kv_bytes, eff.reserve_fraction), 0.0)
    fits = np.nan_to_num(fits, nan=0.0)

    def step(batch):
        return decode_step(model, hw2, batch, context, groups, wb, kv_bytes, eff)

    if per_user_target is None:
        batch = fits
    else:
        lo, hi = np.zeros_like(fits), fits.copy()
        for _ in range(int(np.ceil(np.log2(max(fits.max(), 1.0)))) + 2):
            mid = np.where(lo < hi, np.floor((lo + hi + 1) / 2), lo)
            fast = step(np.maximum(mid, 1.0)).per_user_tokens_per_s >= per_user_target
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
    regime = np.select([~ok, at_capacity & memory_bound, at_capacity, memory_bound],
                       ["infeasible", "capacity x bandwidth", "capacity x compute", "bandwidth"], "compute")
    return OperatingPoints(
        throughput_per_accelerator=np.where(ok, pick(per_acc), np.nan),
        per_user_tokens_per_s=np.where(ok, pick(result.per_user_tokens_per_s), np.nan),
        batch=np.where(ok, pick(batch), np.nan),
        group_size=np.where(ok, groups[0, best], np.nan),
        max_batch=pick(fits),
        regime=regime,
    )


def local_elasticities(model: ModelArrays, hw: HardwareArrays, weight_bytes, kv_bytes: float, context: float,
                       per_user_target: float | None, group_sizes, eff: Efficiency,
                       step: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """d ln T / d ln capacity and d ln T / d ln bandwidth of the engine, per accelerator.

    Central differences with capacity (or bandwidth) scaled by exp(+-step), everything else
    held fixed. A 10 % step smooths the integer batch; NaN where either side is infeasible.
    """
    def throughput(**scaled):
        bumped = replace(hw, **{k: getattr(hw, k) * v for k, v in scaled.items()})
        return operating_points(model, bumped, weight_bytes, kv_bytes, context, per_user_target, group_sizes,
                                eff).throughput_per_accelerator

    up, down = math.exp(step), math.exp(-step)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_size = (np.log(throughput(memory_bytes=up)) - np.log(throughput(memory_bytes=down))) / (2 * step)
        e_bw = (np.log(throughput(bandwidth_bytes_s=up)) - np.log(throughput(bandwidth_bytes_s=down))) / (2 * step)
    return e_size, e_bw


def prepare(accelerators: pl.DataFrame, llm_models: pl.DataFrame, workload: Workload):
    """(model arrays, hardware arrays, bytes/weight per accelerator, bytes/KV element, precision used)."""
    rows = llm_models.filter(pl.col("model_id") == workload.model_id)
    if rows.is_empty():
        raise ValueError(f"unknown model {workload.model_id!r}; valid: {', '.join(llm_models['model_id'])}")
    hw, used = hardware_with_fallback(accelerators, workload.weights)
    weight_bytes = np.array([BYTES_PER_ELEMENT[u] if u else np.nan for u in used])
    return model_arrays(rows), hw, weight_bytes, BYTES_PER_ELEMENT[workload.kv], used


def modelled_throughput(accelerators: pl.DataFrame, llm_models: pl.DataFrame, workload: Workload, targets,
                        eff: Efficiency, model_override: ModelArrays | None = None) -> pl.DataFrame:
    """Engine throughput per accelerator at each per-user target (None = max batch), with local elasticities.

    One row per (accelerator, target): throughput_per_accelerator, per_user_tokens_per_s,
    batch, group_size, max_batch, regime, e_size, e_bw, precision_used.
    ``model_override`` replaces the model's arrays (a counterfactual architecture).
    """
    model, hw, weight_bytes, kv_bytes, used = prepare(accelerators, llm_models, workload)
    model = model_override or model
    frames = []
    for target in targets:
        args = (model, hw, weight_bytes, kv_bytes, workload.context, target, workload.group_sizes, eff)
        points = operating_points(*args)
        e_size, e_bw = local_elasticities(*args)
        frames.append(pl.DataFrame({
            "accelerator_id": hw.accelerator_id,
            "target": target_label(target),
            "per_user_target": float("nan") if target is None else float(target),
            "throughput_per_accelerator": points.throughput_per_accelerator,
            "per_user_tokens_per_s": points.per_user_tokens_per_s,
            "batch": points.batch, "group_size": points.group_size, "max_batch": points.max_batch,
            "regime": points.regime, "e_size": e_size, "e_bw": e_bw, "precision_used": used,
        }))
    return pl.concat(frames).with_columns(pl.col(pl.Float64).fill_nan(None))


def target_label(target: float | None) -> str:
    return "max batch" if target is None else f">= {target:g} tok/s/user"


# ---- closed forms -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Closed:
    """Closed-form throughput (tokens/s per accelerator group) and its batch and regime."""

    throughput: np.ndarray
    batch: np.ndarray
    regime: np.ndarray


def closed_form(per_user_target, capacity_bytes, bandwidth_bytes_s, peak_flops_s, total_weight_bytes,
                weight_read_bytes, kv_bytes_per_sequence, flops_per_sequence, layers, eff: Efficiency) -> Closed:
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
    regime = np.select([batch < 1, at_capacity & memory_bound, at_capacity, memory_bound],
                       ["infeasible", "capacity x bandwidth", "capacity x compute", "bandwidth"], "compute")
    return Closed(throughput=np.where(batch >= 1, batch / t, np.nan), batch=batch, regime=regime)


def ideal_max_batch_throughput(capacity_bytes, bandwidth_bytes_s, total_weight_bytes, kv_bytes_per_sequence):
    """T* = BW (C - W) / (kv C): no efficiencies, overheads or reserve, dense, memory-bound (tokens/s)."""
    free = capacity_bytes - total_weight_bytes
    return np.where(free > 0, bandwidth_bytes_s * free / (kv_bytes_per_sequence * capacity_bytes), np.nan)


def ideal_throughput_at_speed(per_user_target, bandwidth_bytes_s, weight_bytes, kv_bytes_per_sequence):
    """T(s) = (BW - s W) / kv: throughput at per-user speed s, memory-bound, capacity not binding (tokens/s)."""
    value = (bandwidth_bytes_s - per_user_target * weight_bytes) / kv_bytes_per_sequence
    return np.where(value > 0, value, np.nan)


def closed_form_check(accelerators: pl.DataFrame, llm_models: pl.DataFrame, workload: Workload, targets,
                      eff: Efficiency) -> pl.DataFrame:
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
        closed = closed_form(np.nan if target is None else target, hw.memory_bytes, hw.bandwidth_bytes_s,
                             hw.peak_flops_s, model.total_params * weight_bytes,
                             lambda b: model.weight_params_read(b) * weight_bytes, kv_seq, flops_seq,
                             model.layers, eff)
        ideal = (ideal_max_batch_throughput(hw.memory_bytes, hw.bandwidth_bytes_s, model.total_params * weight_bytes,
                                            kv_seq) if target is None else
                 ideal_throughput_at_speed(target, hw.bandwidth_bytes_s, model.active_params * weight_bytes, kv_seq))
        frames.append(pl.DataFrame({
            "accelerator_id": hw.accelerator_id, "target": target_label(target),
            "engine": engine.throughput_per_accelerator, "closed_form": closed.throughput, "ideal": ideal,
            "engine_regime": engine.regime, "closed_regime": closed.regime,
        }))
    out = pl.concat(frames).with_columns(pl.col(pl.Float64).fill_nan(None))
    return out.with_columns((pl.col("closed_form") / pl.col("engine") - 1).alias("closed_vs_engine"))


# ---- elasticities ---------------------------------------------------------------------------------
def elasticity_sets(accelerators: pl.DataFrame, seed_series: pl.DataFrame, measured_all: pl.DataFrame,
                    modelled: pl.DataFrame, generations, level: float = stats.DEFAULT_LEVEL) -> pl.DataFrame:
    """Elasticity tables for each evidence set, stacked with a ``dataset`` column.

    (a) NVIDIA generations: the claimed (headline) chain, the measured series and the model at
    max batch; (b) all vendors: the model at every target; (c) MLPerf measured per accelerator
    (best result per accelerator for the seed-chart benchmark); (d) the model across the seed
    generations at each per-user target. Sets with too few points for any form are skipped.
    """
    specs = accelerators.select("accelerator_id", "memory_gb", "memory_bw_tb_s")
    sets: list[tuple[str, pl.DataFrame]] = []
    for column, name in (("claimed_headline", "(a) NVIDIA: vendor claims"), ("measured", "(a) NVIDIA: MLPerf measured")):
        sets.append((name, seed_series.select("accelerator_id", pl.col(column).alias("throughput"))))
    model_rows = modelled.select("accelerator_id", "target", pl.col("throughput_per_accelerator").alias("throughput"))
    for target in model_rows["target"].unique(maintain_order=True):
        at = model_rows.filter(pl.col("target") == target).drop("target")
        sets.append((f"(a)/(d) NVIDIA: model, {target}", at.filter(pl.col("accelerator_id").is_in(list(generations)))))
        sets.append((f"(b) all vendors: model, {target}", at))
    sets.append(("(c) MLPerf measured, all vendors", measured_all.select(
        "accelerator_id", pl.col("tokens_per_s_per_accelerator").alias("throughput"), "precision")))
    frames = []
    for name, frame in sets:
        data = frame.join(specs, on="accelerator_id").drop_nulls()
        data = data.filter((pl.col("throughput") > 0) & (pl.col("memory_gb") > 0))
        if data.height < 3:
            continue
        # FP4 results run at twice the FP8 rate with half the weight bytes: control for it where precisions mix.
        controls = None
        if "precision" in data.columns and data["precision"].n_unique() > 1:
            controls = {"fp4_indicator": (data["precision"] == "fp4").cast(pl.Float64).to_numpy()}
        table = stats.elasticities(data["throughput"], data["memory_gb"], data["memory_bw_tb_s"], level=level,
                                   controls=controls)
        collinear = stats.collinearity({"size": np.log(data["memory_gb"].to_numpy()),
                                        "bandwidth": np.log(data["memory_bw_tb_s"].to_numpy())})
        frames.append(table.with_columns(pl.lit(name).alias("dataset"),
                                         pl.lit(collinear["correlation"]).alias("log_correlation"),
                                         pl.lit(collinear["condition_number"]).alias("condition_number"),
                                         pl.lit(collinear["vif_size"]).alias("vif")))
    return pl.concat(frames).select("dataset", *[c for c in frames[0].columns if c != "dataset"])


# ---- the assembled analysis -------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """Notebook parameters (see notebooks/thesis.py)."""

    model_id: str = "llama-3.1-70b"
    context: float = 8192
    weights: str = "fp8"
    kv: str = "fp8"
    interactivity: tuple[float, ...] = (10.0, 25.0, 50.0)
    generations: tuple[str, ...] = SEED_GENERATIONS
    pairs: tuple[tuple[str, str], ...] = DEFAULT_PAIRS
    anchor: str = "nvidia_h100_sxm"
    measured_family: str = "llama2-70b"
    measured_scenario: str = "offline"
    reference_accelerator: str = "nvidia_b200"
    sensitivity_contexts: tuple[float, ...] = (1024, 4096, 8192, 32768, 131072)
    sensitivity_models: tuple[str, ...] = ("llama-3.1-70b", "deepseek-v3", "gpt-oss-120b")
    regime_accelerators: tuple[str, ...] = ("nvidia_h100_sxm", "nvidia_b200", "nvidia_rubin")
    regime_contexts: tuple[float, ...] = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)
    regime_speeds: tuple[float, ...] = (5, 10, 20, 50, 100, 200, 500, 1000)
    level: float = stats.DEFAULT_LEVEL

    def workload(self, **changes) -> Workload:
        base = Workload(model_id=self.model_id, context=self.context, weights=self.weights, kv=self.kv)
        return replace(base, **changes)

    @property
    def targets(self) -> list[float | None]:
        return [None, *self.interactivity]


@dataclass
class Analysis:
    config: Config
    seed_series: pl.DataFrame
    growth: pl.DataFrame
    modelled: pl.DataFrame
    closed_check: pl.DataFrame
    elasticities: pl.DataFrame
    natural: pl.DataFrame
    sensitivity: pl.DataFrame
    regime_map: pl.DataFrame
    software: pl.DataFrame
    seed_example: dict
    verdicts: pl.DataFrame = field(default_factory=pl.DataFrame)


def seed_series(accelerators: pl.DataFrame, claims: pl.DataFrame, measured_best: pl.DataFrame,
                modelled: pl.DataFrame, config: Config) -> pl.DataFrame:
    """The seed chart's data: per generation size, bandwidth, size x bandwidth and three throughput series.

    Columns: accelerator_id, product, ship_year, memory_gb, memory_bw_tb_s, size_x_bw,
    claimed_headline / claimed_conservative (relative to the anchor), claim_via, measured
    (tokens/s per accelerator, MLPerf), modelled_<target> (tokens/s per accelerator).
    """
    order = pl.DataFrame({"accelerator_id": list(config.generations), "generation": range(len(config.generations))})
    base = order.join(accelerators.select("accelerator_id", "product", "ship_year", "memory_gb", "memory_bw_tb_s"),
                      on="accelerator_id", how="left")
    headline = claimed_chain(claims, config.generations, config.anchor, pick="max")
    conservative = claimed_chain(claims, config.generations, config.anchor, pick="min")
    wide = modelled.filter(pl.col("accelerator_id").is_in(list(config.generations))).pivot(
        on="target", index="accelerator_id", values="throughput_per_accelerator")
    wide = wide.rename({c: f"modelled: {c}" for c in wide.columns if c != "accelerator_id"})
    return (base.with_columns((pl.col("memory_gb") * pl.col("memory_bw_tb_s")).alias("size_x_bw"))
            .join(headline.rename({"claimed_relative": "claimed_headline", "via": "claim_via"}), on="accelerator_id", how="left")
            .join(conservative.select("accelerator_id", pl.col("claimed_relative").alias("claimed_conservative")),
                  on="accelerator_id", how="left")
            .join(measured_best.select("accelerator_id", pl.col("tokens_per_s_per_accelerator").alias("measured"),
                                       pl.col("round").alias("measured_round"), pl.col("precision").alias("measured_precision")),
                  on="accelerator_id", how="left")
            .join(wide, on="accelerator_id", how="left")
            .sort("generation"))


def growth_table(series: pl.DataFrame) -> pl.DataFrame:
    """Per throughput series: its growth per generation step vs size x bandwidth's over the same generations.

    ``elasticity_vs_size_x_bw`` = ln(T_last / T_first) / ln(SxBW_last / SxBW_first); below 1
    means size x bandwidth grew faster than throughput.
    """
    rows = []
    for column in [c for c in series.columns if c in ("claimed_headline", "claimed_conservative", "measured")
                   or c.startswith("modelled: ")]:
        covered = series.filter(pl.col(column).is_not_null() & pl.col(column).is_not_nan()
                                & pl.col("size_x_bw").is_not_null())
        if covered.height < 2:
            rows.append((column, covered.height, None, None, None, None, None))
            continue
        t, p = covered[column].to_numpy(), covered["size_x_bw"].to_numpy()
        steps = float(covered["generation"][-1] - covered["generation"][0])
        t_growth = (t[-1] / t[0]) ** (1 / steps)
        p_growth = (p[-1] / p[0]) ** (1 / steps)
        rows.append((column, covered.height, f"{covered['accelerator_id'][0]} .. {covered['accelerator_id'][-1]}",
                     t_growth, p_growth, math.log(t[-1] / t[0]) / math.log(p[-1] / p[0]), p_growth > t_growth))
    return pl.DataFrame(rows, schema={"series": pl.Utf8, "points": pl.Int64, "span": pl.Utf8,
                                      "throughput_growth_per_gen": pl.Float64, "size_x_bw_growth_per_gen": pl.Float64,
                                      "elasticity_vs_size_x_bw": pl.Float64, "size_x_bw_grows_faster": pl.Boolean},
                        orient="row")


def natural_experiments(accelerators: pl.DataFrame, claims: pl.DataFrame, measured: pl.DataFrame,
                        modelled: pl.DataFrame, pairs) -> pl.DataFrame:
    """Predicted ratios (thesis, bandwidth-only, model at each target) and observed ratios per pair.

    Long frame: pair, base, other, kind (law / model / measured / claimed), label, ratio.
    """
    specs = {r["accelerator_id"]: r for r in accelerators.iter_rows(named=True)}
    rows = []
    for base, other in pairs:
        if base not in specs or other not in specs:
            continue
        pair = f"{specs[other]['product'].split(' (')[0]} / {specs[base]['product'].split(' (')[0]}"
        s = specs[other]["memory_gb"] / specs[base]["memory_gb"]
        b = specs[other]["memory_bw_tb_s"] / specs[base]["memory_bw_tb_s"]
        rows += [(pair, base, other, "law", "thesis: size x bandwidth", s * b),
                 (pair, base, other, "law", "bandwidth only", b)]
        for target in modelled["target"].unique(maintain_order=True):
            at = modelled.filter(pl.col("target") == target)
            values = dict(zip(at["accelerator_id"], at["throughput_per_accelerator"]))
            if values.get(base) and values.get(other):
                rows.append((pair, base, other, "model", f"model, {target}", values[other] / values[base]))
        for r in measured_ratio(measured, base, other).iter_rows(named=True):
            note = f"round {r['round']}" if r["same_round"] else "best of different rounds"
            rows.append((pair, base, other, "measured", f"MLPerf {r['family']} {r['scenario']} ({note})", r["ratio"]))
        for r in ratio_via_common_baseline(claims, base, other).iter_rows(named=True):
            rows.append((pair, base, other, "measured", f"{r['family']} {r['scenario']} (from {r['via']} ratios)", r["ratio"]))
        direct = claims.filter((pl.col("accelerator_id") == other) & (pl.col("baseline_accelerator_id") == base)
                               & pl.col("claim_metric").is_in(list(THROUGHPUT_CLAIMS)))
        for r in direct.iter_rows(named=True):
            rows.append((pair, base, other, "claimed", f"vendor claim {r['result_id']}", r["claimed_speedup_x"]))
    return pl.DataFrame(rows, schema={"pair": pl.Utf8, "base": pl.Utf8, "other": pl.Utf8, "kind": pl.Utf8,
                                      "label": pl.Utf8, "ratio": pl.Float64}, orient="row")


def gqa_counterfactual(model: ModelArrays, kv_heads: float = 8, head_dim: float = 128) -> ModelArrays:
    """The same model with a GQA cache (``2 x kv_heads x head_dim`` per layer) instead of its own (e.g. MLA)."""
    return replace(model, kv_elements_per_token=model.layers * 2.0 * kv_heads * head_dim)


def sensitivity(accelerators: pl.DataFrame, llm_models: pl.DataFrame, config: Config, eff: Efficiency) -> pl.DataFrame:
    """Local elasticities of throughput (capacity, bandwidth) at the reference accelerator, per variant.

    Dimensions: context, precision (weights/KV), model (dense / MoE), attention (MLA vs a GQA
    counterfactual of DeepSeek-V3), parallel group size. Each at max batch and each target.
    """
    reference = accelerators.filter(pl.col("accelerator_id") == config.reference_accelerator)
    if reference.is_empty():
        raise ValueError(f"reference accelerator {config.reference_accelerator!r} not in accelerators")
    variants: list[tuple[str, str, Workload, object]] = []
    for ctx in config.sensitivity_contexts:
        variants.append(("context", f"{int(ctx):,} tokens", config.workload(context=ctx), None))
    for weights, kv in (("bf16", "bf16"), ("fp8", "fp8"), ("fp4", "fp8")):
        variants.append(("precision", f"{weights} weights / {kv} KV", config.workload(weights=weights, kv=kv), None))
    for model_id in config.sensitivity_models:
        if model_id in set(llm_models["model_id"]):
            variants.append(("model", model_id, config.workload(model_id=model_id), None))
    if "deepseek-v3" in set(llm_models["model_id"]):
        mla = config.workload(model_id="deepseek-v3")
        variants.append(("attention", "DeepSeek-V3, MLA cache", mla, None))
        gqa = gqa_counterfactual(model_arrays(llm_models.filter(pl.col("model_id") == "deepseek-v3")))
        variants.append(("attention", "DeepSeek-V3 with a GQA-8 cache", mla, gqa))
    domain = reference["scaleup_domain_size"][0] or 1
    for g in (1, 2, 4, 8, 16, 32, 64, 72):
        if g <= domain:
            variants.append(("group size", f"{g} GPUs", config.workload(group_sizes=(g,)), None))
    frames = []
    for dimension, variant, workload, override in variants:
        table = modelled_throughput(reference, llm_models, workload, config.targets, eff, model_override=override)
        frames.append(table.with_columns(pl.lit(dimension).alias("dimension"), pl.lit(variant).alias("variant")))
    return pl.concat(frames)


def regime_map(accelerators: pl.DataFrame, llm_models: pl.DataFrame, config: Config, eff: Efficiency) -> pl.DataFrame:
    """Regime and throughput over context x per-user speed for the regime accelerators."""
    chosen = accelerators.filter(pl.col("accelerator_id").is_in(list(config.regime_accelerators)))
    frames = []
    for ctx in config.regime_contexts:
        workload = config.workload(context=ctx)
        model, hw, weight_bytes, kv_bytes, _ = prepare(chosen, llm_models, workload)
        for speed in config.regime_speeds:
            points = operating_points(model, hw, weight_bytes, kv_bytes, ctx, speed, workload.group_sizes, eff)
            frames.append(pl.DataFrame({"accelerator_id": hw.accelerator_id, "product": hw.product,
                                        "context": float(ctx), "per_user_target": float(speed),
                                        "regime": points.regime,
                                        "throughput_per_accelerator": points.throughput_per_accelerator}))
    return pl.concat(frames).with_columns(pl.col(pl.Float64).fill_nan(None))


def software_gains(benchmarks: pl.DataFrame, claims: pl.DataFrame) -> pl.DataFrame:
    """Same-hardware speed-ups: MLPerf first vs best round per (accelerator, family, scenario, GPUs), and software claims."""
    measured = measured_results(benchmarks).filter(pl.col("accelerator_count").is_not_null())
    rows = []
    for key, group in measured.group_by(["accelerator_id", "family", "scenario", "accelerator_count"], maintain_order=True):
        if group["round"].n_unique() < 2:
            continue
        ordered = group.sort("round")
        first = ordered.filter(pl.col("round") == ordered["round"][0])["tokens_per_s_per_accelerator"].max()
        best = ordered["tokens_per_s_per_accelerator"].max()
        rows.append((key[0], f"MLPerf {key[1]} {key[2]}, {key[3]} GPUs: {ordered['round'][0]} -> best round", best / first))
    for r in claims.filter(pl.col("claim_metric") == "software").iter_rows(named=True):
        rows.append((r["accelerator_id"], f"vendor claim {r['result_id']}", r["claimed_speedup_x"]))
    return pl.DataFrame(rows, schema={"accelerator_id": pl.Utf8, "evidence": pl.Utf8, "gain": pl.Float64}, orient="row")


def hardware_ceiling(eff: Efficiency) -> Efficiency:
    """The same efficiencies without fixed overheads (per step, layer, sequence, all-reduce): the hardware's ceiling."""
    return replace(eff, step_overhead_s=0.0, layer_overhead_s=0.0, sequence_overhead_s=0.0, allreduce_latency_s=0.0)


def seed_example_check(accelerators: pl.DataFrame, systems: pl.DataFrame, llm_models: pl.DataFrame, config: Config,
                       eff: Efficiency, example: dict = SEED_EXAMPLE) -> dict:
    """The seed's Rubin NVL72 example against the data and the model.

    Arithmetic (requests x speed, per MW at the seed's power), the rack power in ``systems``
    (if recorded), and the model's largest concurrency at the seed's per-user speed on the
    rack's accelerators for the configured model and context.
    """
    out = {**example, "aggregate_tok_s": example["requests"] * example["per_user_tok_s"]}
    out["arithmetic_tok_s_per_mw"] = out["aggregate_tok_s"] / (example["rack_kw"] / 1000.0)
    rack = systems.filter(pl.col("accelerator_id") == "nvidia_rubin").head(1)
    out["rack_gpus"] = int(rack["accelerator_count"][0]) if rack.height else None
    out["rack_power_kw_in_data"] = rack["rack_power_kw"][0] if rack.height else None
    rubin = accelerators.filter(pl.col("accelerator_id") == "nvidia_rubin")
    if rubin.is_empty() or out["rack_gpus"] is None:
        out["model_requests"] = None
        return out
    for key, efficiency in (("model", eff), ("ceiling", hardware_ceiling(eff))):
        table = modelled_throughput(rubin, llm_models, config.workload(), [example["per_user_tok_s"]], efficiency)
        per_gpu = table["throughput_per_accelerator"][0]
        speed = table["per_user_tokens_per_s"][0]
        out[f"{key}_requests"] = 0.0 if per_gpu is None else per_gpu * out["rack_gpus"] / speed
        out[f"{key}_regime"] = table["regime"][0]
    model = model_arrays(llm_models.filter(pl.col("model_id") == config.model_id))
    kv_gb = float(model.kv_elements_per_token[0] * model.cached_tokens(config.context)[0] * BYTES_PER_ELEMENT[config.kv] / 1e9)
    out["kv_gb_per_request"] = kv_gb
    out["rack_memory_gb"] = float(rubin["memory_gb"][0] * out["rack_gpus"])
    out["kv_share_of_rack_memory"] = kv_gb * example["requests"] / out["rack_memory_gb"]
    return out


def analyse(tables: dict[str, pl.DataFrame], config: Config, eff: Efficiency) -> Analysis:
    """Run every analysis of the report on loaded tables (pure: no I/O)."""
    accelerators, models, benchmarks = tables["accelerators"], tables["llm_models"], tables["inference_benchmarks"]
    claims = classify_claims(benchmarks)
    measured = measured_results(benchmarks)
    best = best_measured(measured, config.measured_family, config.measured_scenario)
    usable = accelerators.filter(pl.col("memory_gb").is_not_null() & pl.col("memory_bw_tb_s").is_not_null())
    modelled = modelled_throughput(usable, models, config.workload(), config.targets, eff)
    series = seed_series(accelerators, claims, best, modelled, config)
    analysis = Analysis(
        config=config,
        seed_series=series,
        growth=growth_table(series),
        modelled=modelled,
        closed_check=closed_form_check(accelerators.filter(pl.col("accelerator_id").is_in(list(config.generations))),
                                       models, config.workload(), config.targets, eff),
        elasticities=elasticity_sets(accelerators, series, best, modelled, config.generations, config.level),
        natural=natural_experiments(accelerators, claims, measured, modelled, config.pairs),
        sensitivity=sensitivity(accelerators, models, config, eff),
        regime_map=regime_map(accelerators, models, config, eff),
        software=software_gains(benchmarks, claims),
        seed_example=seed_example_check(accelerators, tables["systems"], models, config, eff),
    )
    analysis.verdicts = verdicts(analysis)
    return analysis


# ---- verdicts --------------------------------------------------------------------------------------
def _row(dataset: str, form: str, term: str, table: pl.DataFrame) -> dict | None:
    hit = table.filter((pl.col("dataset") == dataset) & (pl.col("form") == form) & (pl.col("term") == term))
    return hit.row(0, named=True) if hit.height else None


def _share(values, predicate) -> float:
    values = [v for v in values if v != "infeasible"]
    return sum(predicate(v) for v in values) / len(values) if values else float("nan")


def _grade(share: float) -> str:
    if not np.isfinite(share):
        return "cannot be checked"
    return "holds" if share >= SHARE_HOLDS else ("does not hold" if share < SHARE_FAILS else "partly holds")


def verdicts(a: Analysis) -> pl.DataFrame:
    """One row per sub-claim: verdict and the evidence sentence, from the computed tables and the thresholds above."""
    rows = []
    seed_model = a.modelled.filter(pl.col("accelerator_id").is_in(list(a.config.generations)))
    regimes = a.regime_map["regime"].to_list() + seed_model["regime"].to_list()

    # 1. batch bottlenecks on HBM size: the throughput-optimal batch is the largest that fits
    capacity_share = _share(regimes, lambda r: r.startswith("capacity"))
    rows.append(("Batch growth bottlenecks on HBM size", _grade(capacity_share),
                 f"the batch is capacity-limited at {capacity_share:.0%} of {len([r for r in regimes if r != 'infeasible'])} "
                 f"feasible operating points (regime map + seed generations at max batch and each speed target); "
                 f"elsewhere the per-user speed target stops it first"))

    # 2. per-request speed bottlenecks on bandwidth: step time is memory-bound
    bw_share = _share(regimes, lambda r: r in ("capacity x bandwidth", "bandwidth"))
    rows.append(("Per-request speed bottlenecks on HBM bandwidth", _grade(bw_share),
                 f"the decode step is memory-bound at {bw_share:.0%} of feasible points; compute-bound at the rest"))

    # 3. size x bw grows faster than throughput
    checked = a.growth.filter(pl.col("size_x_bw_grows_faster").is_not_null())
    faster = checked["size_x_bw_grows_faster"].sum()
    verdict = ("cannot be checked" if checked.is_empty() else "holds" if faster == checked.height
               else "does not hold" if faster == 0 else "partly holds")
    detail = "; ".join(f"{r['series']}: throughput x{r['throughput_growth_per_gen']:.2f}/gen vs size x bw "
                       f"x{r['size_x_bw_growth_per_gen']:.2f}/gen" for r in checked.iter_rows(named=True))
    rows.append(("Size x bandwidth grows faster than throughput", verdict, detail or "no series with two points"))

    # 4. 2x throughput needs 2x size x bw: product elasticity ~1 and size matters like bandwidth
    evidence = []
    for dataset in a.elasticities["dataset"].unique(maintain_order=True):
        joint_size = _row(dataset, "joint", "size", a.elasticities)
        joint_bw = _row(dataset, "joint", "bandwidth", a.elasticities)
        if joint_size is None or joint_size["n"] < MIN_POINTS:
            continue
        size_is_one = joint_size["t_low"] <= 1 <= joint_size["t_high"]
        size_is_zero = joint_size["t_low"] <= 0 <= joint_size["t_high"] or abs(joint_size["estimate"]) < ELASTICITY_NEAR
        bw_is_one = joint_bw["t_low"] <= 1 <= joint_bw["t_high"]
        evidence.append((dataset, joint_size, joint_bw, size_is_one and bw_is_one, size_is_zero and not size_is_one))
    natural = a.natural
    law_errors = {}
    for label in ("thesis: size x bandwidth", "bandwidth only"):
        errs = []
        for pair in natural["pair"].unique(maintain_order=True):
            law = natural.filter((pl.col("pair") == pair) & (pl.col("label") == label))["ratio"]
            observed = natural.filter((pl.col("pair") == pair) & (pl.col("kind") == "measured"))["ratio"]
            if len(law) and len(observed):
                errs.append(float(np.median(np.abs(np.log(law[0] / observed.to_numpy())))))
        law_errors[label] = errs
    thesis_err = np.median(law_errors["thesis: size x bandwidth"]) if law_errors["thesis: size x bandwidth"] else np.nan
    bw_err = np.median(law_errors["bandwidth only"]) if law_errors["bandwidth only"] else np.nan
    consistent = sum(e[3] for e in evidence)
    rejecting = sum(e[4] for e in evidence)
    if not evidence and not np.isfinite(thesis_err):
        verdict = "cannot be checked"
    elif consistent == len(evidence) and (not np.isfinite(thesis_err) or thesis_err <= bw_err):
        verdict = "holds"
    elif consistent < len(evidence) / 2 and (thesis_err > bw_err if np.isfinite(thesis_err) else rejecting >= len(evidence) / 2):
        verdict = "does not hold"
    else:
        verdict = "partly holds"
    detail = (f"joint regressions with >= {MIN_POINTS} points: {consistent} of {len(evidence)} have size and bandwidth "
              f"elasticity intervals both containing 1, {rejecting} have a size elasticity consistent with 0 and not 1; "
              f"natural experiments: median |log error| thesis {thesis_err:.2f} vs bandwidth-only {bw_err:.2f}")
    rows.append(("2x throughput per generation needs 2x size x bandwidth", verdict, detail))

    # 5. the Rubin NVL72 example
    ex = a.seed_example
    arithmetic_ok = math.isclose(ex["arithmetic_tok_s_per_mw"], ex["tok_s_per_mw"], rel_tol=0.05)
    if ex.get("model_requests") is None:
        verdict, detail = "cannot be checked", "Rubin or its rack is missing from the data"
    else:
        engine_ok = ex["model_requests"] >= ex["requests"]
        ceiling_ok = ex["ceiling_requests"] >= ex["requests"]
        power_known = ex["rack_power_kw_in_data"] is not None
        # The per-MW figure stands only if the recorded rack power is close to the seed's.
        power_ok = power_known and math.isclose(ex["rack_power_kw_in_data"], ex["rack_kw"], rel_tol=RACK_POWER_TOLERANCE)
        verdict = ("holds" if arithmetic_ok and engine_ok and power_ok else
                   "partly holds" if arithmetic_ok and (engine_ok or ceiling_ok) else "does not hold")
        if power_known:
            per_mw_data = ex["aggregate_tok_s"] / (ex["rack_power_kw_in_data"] / 1000.0)
            power_text = (f"{ex['rack_power_kw_in_data']:g} kW ({'within' if power_ok else 'outside'} "
                          f"±{RACK_POWER_TOLERANCE:.0%} of the seed's {ex['rack_kw']:g} kW), giving "
                          f"{per_mw_data / 1e6:.2f}M tok/s/MW")
        else:
            power_text = "not recorded, so per-MW cannot be checked"
        detail = (f"{ex['requests']:,} x {ex['per_user_tok_s']:g} tok/s = {ex['aggregate_tok_s']:,.0f} tok/s; at "
                  f"{ex['rack_kw']:g} kW that is {ex['arithmetic_tok_s_per_mw'] / 1e6:.2f}M tok/s/MW "
                  f"({'matches' if arithmetic_ok else 'does not match'} the seed's 1.6M); rack power in systems: "
                  f"{power_text}; "
                  f"for {a.config.model_id} at {a.config.context:,.0f} tokens and >= {ex['per_user_tok_s']:g} tok/s/user "
                  f"on {ex['rack_gpus']} Rubin GPUs the calibrated engine serves {ex['model_requests']:,.0f} concurrent "
                  f"requests ({ex['model_regime']}), its hardware ceiling without fixed overheads "
                  f"{ex['ceiling_requests']:,.0f} ({ex['ceiling_regime']}); {ex['requests']:,} such requests hold "
                  f"{ex['kv_share_of_rack_memory']:.0%} of rack HBM in KV cache")
    rows.append(("Rubin NVL72 example: 1,920 requests x 100 tok/s, 1.6M tok/s per MW", verdict, detail))

    # 6. software is an independent dimension
    gains = a.software.filter(pl.col("gain") >= SOFTWARE_GAIN)
    spread = a.sensitivity.filter(pl.col("dimension").is_in(["precision", "attention", "model"]))
    size_range = spread["e_size"].drop_nulls()
    changes_elasticity = bool(len(size_range)) and float(size_range.max() - size_range.min()) > 2 * ELASTICITY_NEAR
    if a.software.is_empty():
        verdict = "cannot be checked"
    elif gains.height and not changes_elasticity:
        verdict = "holds"
    elif gains.height:
        verdict = "partly holds"
    else:
        verdict = "does not hold"
    detail = (f"{gains.height} of {a.software.height} same-hardware comparisons gained >= {SOFTWARE_GAIN - 1:.0%} "
              f"(largest x{a.software['gain'].max():.2f}); but software choices (precision, MLA vs GQA, MoE) move the "
              f"capacity elasticity over [{size_range.min():.2f}, {size_range.max():.2f}] at {a.config.reference_accelerator}"
              if len(size_range) and a.software.height else "no same-hardware comparisons in the data")
    rows.append(("Software optimisation is an independent dimension", verdict, detail))
    return pl.DataFrame(rows, schema={"claim": pl.Utf8, "verdict": pl.Utf8, "evidence": pl.Utf8}, orient="row")


def thesis_regime_share(sensitivity_table: pl.DataFrame) -> tuple[float, int]:
    """Share of modelled operating points where both local elasticities are within ELASTICITY_NEAR of 1 (and count)."""
    points = sensitivity_table.drop_nulls(["e_size", "e_bw"])
    both = points.filter(((pl.col("e_size") - 1).abs() <= ELASTICITY_NEAR) & ((pl.col("e_bw") - 1).abs() <= ELASTICITY_NEAR))
    return (both.height / points.height if points.height else float("nan")), points.height


def headline(a: Analysis) -> str:
    """The verdict paragraph; every number and every qualitative word is computed from the analysis."""
    e, cfg = a.elasticities, a.config

    def ci(row):
        return f"{row['estimate']:.2f} [{row['t_low']:.2f}, {row['t_high']:.2f}]" if row else "n/a"

    share, points = thesis_regime_share(a.sensitivity)
    ref = a.sensitivity.filter(pl.col("dimension") == "context").drop_nulls(["e_size", "e_bw"])
    by_regime = ref.group_by("regime").agg(pl.col("e_size").median(), pl.col("e_bw").median(), pl.len()).sort("len", descending=True)
    parts = [f"**Verdict.** The thesis says throughput has elasticity 1 in HBM size and 1 in bandwidth. In the calibrated "
             f"inference model ({cfg.model_id}, {cfg.weights} weights, {cfg.kv} KV, at {cfg.reference_accelerator}) both "
             f"local elasticities are within ±{ELASTICITY_NEAR} of 1 at {share:.0%} of {points} operating points "
             f"(contexts 1k–128k, precisions, models, group sizes; max batch and {', '.join(f'{s:g}' for s in cfg.interactivity)} "
             f"tok/s/user). By regime (context sweep): "]
    parts.append("; ".join(f"{r['regime']}: capacity {r['e_size']:.2f}, bandwidth {r['e_bw']:.2f} (median of {r['len']})"
                           for r in by_regime.iter_rows(named=True)) + ". ")
    for dataset, what in ((f"(b) all vendors: model, max batch", "the model across all vendors at max batch"),
                          ("(c) MLPerf measured, all vendors", "MLPerf measurements (FP4 indicator as control)")):
        size, bw = _row(dataset, "joint", "size", e), _row(dataset, "joint", "bandwidth", e)
        if size:
            corr = e.filter(pl.col("dataset") == dataset)["log_correlation"][0]
            parts.append(f"Regressions on {what} ({size['n']} accelerators) give capacity {ci(size)} and bandwidth "
                         f"{ci(bw)} ({int(cfg.level * 100)}% t-intervals; log size and log bandwidth correlate at {corr:.2f}). ")
    nat = a.natural
    if nat.height:
        for pair in nat["pair"].unique(maintain_order=True):
            rows = nat.filter(pl.col("pair") == pair)
            law = dict(zip(rows["label"], rows["ratio"]))
            observed = rows.filter(pl.col("kind") == "measured")["ratio"]
            if len(observed):
                parts.append(f"{pair.split(',')[0]}: measured {observed.min():.2f}–{observed.max():.2f}x vs "
                             f"{law['thesis: size x bandwidth']:.2f}x (size x bandwidth) and {law['bandwidth only']:.2f}x "
                             f"(bandwidth only). ")
    v = {r["claim"]: r["verdict"] for r in a.verdicts.iter_rows(named=True)}
    parts.append("Sub-claims: " + "; ".join(f"{k.lower()} — **{val}**" for k, val in v.items()) + ". ")
    contexts = a.sensitivity.filter((pl.col("dimension") == "context") & (pl.col("target") == "max batch")).drop_nulls("e_size")
    if contexts.height >= 2:
        short, long = contexts.row(0, named=True), contexts.row(contexts.height - 1, named=True)
        scarcer = "bandwidth" if float(ref["e_bw"].mean()) > float(ref["e_size"].mean()) else "capacity"
        parts.append(f"A law that fits better is the closed form T = BW (1 - W/C') / (L k), capped by compute and the "
                     f"speed target: capacity enters only through the KV room it leaves. At max batch the capacity "
                     f"elasticity moves from {short['e_size']:.2f} at {short['variant']} to {long['e_size']:.2f} at "
                     f"{long['variant']}; averaged over the context sweep, {scarcer} has the larger elasticity, so "
                     f"{scarcer} per accelerator is what buys throughput, and the demand for the other grows only where "
                     f"its elasticity stays high.")
    return "".join(parts)


def load_tables() -> dict[str, pl.DataFrame]:
    """The tables the analysis reads, from the project database."""
    from hbmcycle.db import read_table

    return {name: read_table(name) for name in ("accelerators", "llm_models", "inference_benchmarks", "systems",
                                                 "decode_measurements")}


def load_efficiency(tables: dict[str, pl.DataFrame]) -> tuple[Efficiency, str]:
    """Calibrated engine constants: data/processed/calibration.json if present, else a fit in memory."""
    from hbmcycle.inference import calibration
    from hbmcycle.paths import PROCESSED_DIR

    path = PROCESSED_DIR / "calibration.json"
    if path.exists():
        return calibration.load_efficiency(path)
    record = calibration.calibrate(tables["decode_measurements"], tables["llm_models"], tables["accelerators"])
    return Efficiency(**record["parameters"]), "calibrated in memory on decode_measurements (no calibration.json)"
