"""Disaggregated serving options (GPU only, GPU + LPX AFD, SRAM only, GPU prefill + SRAM decode) and their frontier.

Each option's feasible (batch, chips, micro-batches) grid comes from the step physics in
:mod:`hbmcycle.hetero.steps`; this module attaches chips, power and price, and finds the
throughput/interactivity frontier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from hbmcycle.hetero.stages import StageParams
from hbmcycle.hetero.steps import (
    LEAN_OVERHEADS,
    STACKS,
    Assumptions,
    DoesNotFitError,
    Step,
    afd_step,
    chips_to_hold,
    colocated_step,
    stack_efficiency,
    wafer_pipeline_step,
)
from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.frontier import default_batches, pareto_mask
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.step_time import Efficiency, decode_step, prefill_seconds

__all__ = [
    "LEAN_OVERHEADS",
    "OPTIONS",
    "STACKS",
    "Assumptions",
    "Chip",
    "DoesNotFitError",
    "Scenario",
    "Step",
    "afd_step",
    "all_points",
    "chips_to_hold",
    "colocated_step",
    "frontier",
    "option_points",
    "overall_pareto",
    "stack_efficiency",
    "wafer_pipeline_step",
    "with_rates",
]

OPTIONS: tuple[str, ...] = (
    "gpu_only",
    "gpu_lpx_afd",
    "sram_only_groq",
    "sram_only_cerebras",
    "gpu_prefill_sram_decode",
)
OPTION_LABELS = {
    "gpu_only": "GPU only",
    "gpu_lpx_afd": "GPU attention + LPX FFN (AFD)",
    "sram_only_groq": "SRAM only, Groq-style (LPX)",
    "sram_only_cerebras": "SRAM only, Cerebras-style (CS-3)",
    "gpu_prefill_sram_decode": "GPU prefill + SRAM decode",
}


@dataclass(frozen=True)
class Chip:
    """One accelerator type with its economics: power and rental price per chip (low, high), rack size."""

    hw: HardwareArrays  # a single row
    power_kw: tuple[float, float]
    usd_per_hour: tuple[float, float]
    chips_per_rack: float
    basis: str  # where power and price came from

    @property
    def accelerator_id(self) -> str:
        return str(self.hw.accelerator_id[0])


@dataclass(frozen=True)
class Scenario:
    """What the options are compared on: a model, a context, a workload and the chips."""

    sp: StageParams
    model: ModelArrays
    context: float
    output_tokens: float  # tokens generated per request (prefill of ``context`` tokens per request)
    weight_bytes: float
    kv_bytes: float
    gpu_eff: Efficiency
    sram_eff: Efficiency
    assumptions: Assumptions
    gpu: Chip  # GPU for GPU-only, attention, and prefill
    lpu: Chip  # SRAM chip for AFD and Groq-style
    wafer: Chip  # wafer-scale SRAM chip
    baseline_gpu: Chip | None = None  # a previous-generation GPU-only reference (e.g. Blackwell)


def _group_sizes(domain: float, smallest: float) -> np.ndarray:
    domain = int(domain) if np.isfinite(domain) and domain >= 1 else 1
    sizes = {2**i for i in range(int(np.log2(domain)) + 1)} | {domain}
    return np.array(sorted(s for s in sizes if s >= smallest), dtype=float)


def _chip_multiples(minimum: float, doublings: int = 3) -> np.ndarray:
    """The fewest chips that hold the model and 2, 4, ... 2**doublings times as many (faster, more chips)."""
    return minimum * 2.0 ** np.arange(doublings + 1)


def _prefill_chip_seconds(s: Scenario, chip: Chip, eff: Efficiency, reserve: float) -> float:
    """Chip-seconds to prefill one request's ``context`` tokens on ``chip`` (NaN where the chip lacks a peak)."""
    need = s.model.total_params[0] * s.weight_bytes + float(s.model.kv_bytes_per_sequence(s.context, s.kv_bytes)[0])
    group = float(chips_to_hold(need, chip.hw.memory_bytes[0], reserve))
    seconds = prefill_seconds(s.model, chip.hw, s.context, 1.0, group, s.weight_bytes, s.kv_bytes, eff)
    return float(np.ravel(seconds)[0]) * group


def _points(
    option: str,
    step: Step,
    batch,
    decode: dict[str, np.ndarray],
    prefill_chip_s: float,
    prefill_chip: Chip,
    s: Scenario,
    gpu_chip: Chip | None = None,
) -> pl.DataFrame:
    """Feasible grid points of one option as rows with chip counts, power and price attached.

    ``decode`` maps gpus / lpus / wafers / microbatches to arrays broadcasting against the step;
    ``gpu_chip`` overrides the scenario's GPU (for the previous-generation baseline).
    """
    shape = np.broadcast_shapes(step.step_s.shape, *(np.shape(v) for v in decode.values()), np.shape(batch))
    keep = np.broadcast_to(step.fits, shape) & np.isfinite(np.broadcast_to(step.step_s, shape))
    col = lambda a: np.broadcast_to(np.asarray(a, dtype=float), shape)[keep]
    per_user = 1.0 / col(step.step_s)
    tokens_per_s = col(batch) * per_user
    prefill_known = bool(np.isfinite(prefill_chip_s))
    counts = {
        "gpus": col(decode.get("gpus", 0.0)),
        "lpus": col(decode.get("lpus", 0.0)),
        "wafers": col(decode.get("wafers", 0.0)),
        "prefill_chips": tokens_per_s / s.output_tokens * (prefill_chip_s if prefill_known else 0.0),
    }
    kinds = {"gpus": gpu_chip or s.gpu, "lpus": s.lpu, "wafers": s.wafer, "prefill_chips": prefill_chip}
    total = lambda f: sum(counts[k] * f(kinds[k]) for k in counts)
    used = [kinds[k] for k in ("gpus", "lpus", "wafers") if k in decode] + [prefill_chip]
    # a chip without a published peak gets no compute bound: its points are upper bounds
    compute_modelled = all(np.isfinite(c.hw.peak_flops_s[0]) for c in used)
    return pl.DataFrame(
        {
            "option": option,
            "batch": col(batch),
            "microbatches": col(decode.get("microbatches", 1.0)),
            **counts,
            "prefill_on": prefill_chip.accelerator_id,
            "prefill_modelled": prefill_known,
            "compute_modelled": compute_modelled,
            "step_ms": col(step.step_s) * 1e3,
            "per_user_tokens_per_s": per_user,
            "tokens_per_s": tokens_per_s,
            "chips": total(lambda c: 1.0),
            "racks": total(lambda c: 1.0 / c.chips_per_rack),
            "power_kw_low": total(lambda c: c.power_kw[0]),
            "power_kw_high": total(lambda c: c.power_kw[1]),
            "usd_per_hour_low": total(lambda c: c.usd_per_hour[0]),
            "usd_per_hour_high": total(lambda c: c.usd_per_hour[1]),
        }
    )


def option_points(option: str, s: Scenario, batches=None) -> pl.DataFrame:
    """Every feasible (batch, chips, micro-batches) configuration of one serving option.

    Raises :class:`DoesNotFitError` when no configuration holds the model at this context.
    """
    if option not in OPTIONS and option != "gpu_baseline":
        raise ValueError(f"unknown option {option!r}; valid: {', '.join(OPTIONS)}")
    batches = default_batches(4096, 48) if batches is None else np.asarray(batches, dtype=float)
    if option in ("gpu_only", "gpu_baseline"):
        return _gpu_points(option, s, batches)
    if option == "gpu_lpx_afd":
        return _afd_points(option, s, batches)
    if option in ("sram_only_groq", "gpu_prefill_sram_decode"):
        return _sram_points(option, s, batches)
    return _wafer_points(option, s, batches)


def _gpu_points(option: str, s: Scenario, batches: np.ndarray) -> pl.DataFrame:
    """gpu_only / gpu_baseline: tensor-parallel groups up to the scale-up domain."""
    gpu_reserve = s.gpu_eff.reserve_fraction
    kv_one = s.model.kv_bytes_per_sequence(s.context, s.kv_bytes)
    chip = s.gpu if option == "gpu_only" else s.baseline_gpu
    if chip is None:
        raise DoesNotFitError(f"{option}: the scenario has no baseline GPU")
    least = chips_to_hold(s.model.total_params * s.weight_bytes + kv_one, chip.hw.memory_bytes, gpu_reserve)[0]
    groups = _group_sizes(chip.hw.scaleup_domain_size[0], least)
    if groups.size == 0:
        raise DoesNotFitError(
            f"{s.model.model_id[0]} at context {s.context:g} needs {least:g} x "
            f"{chip.accelerator_id}, more than its scale-up domain"
        )
    b, g = batches[:, None], groups[None, :]
    ds = decode_step(s.model, chip.hw, b, s.context, g, s.weight_bytes, s.kv_bytes, s.gpu_eff)
    step = Step(ds.step_s, ds.memory_s, ds.compute_s, np.zeros(1), b <= ds.max_batch)
    prefill = _prefill_chip_seconds(s, chip, s.gpu_eff, gpu_reserve)
    return _points(option, step, b, {"gpus": g}, prefill, chip, s, gpu_chip=chip)


def _afd_points(option: str, s: Scenario, batches: np.ndarray) -> pl.DataFrame:
    """gpu_lpx_afd: attention and KV on GPU groups, FFN on LPU pools, ping-pong micro-batches."""
    a = s.assumptions
    gpu_reserve = s.gpu_eff.reserve_fraction
    kv_one = s.model.kv_bytes_per_sequence(s.context, s.kv_bytes)
    ffn_bytes = (s.sp.ffn_total + s.sp.head) * s.weight_bytes
    least_lpus = chips_to_hold(ffn_bytes, s.lpu.hw.memory_bytes, a.sram_reserve_fraction)[0]
    least_gpus = chips_to_hold(s.sp.attention * s.weight_bytes + kv_one, s.gpu.hw.memory_bytes, gpu_reserve)[0]
    groups = _group_sizes(s.gpu.hw.scaleup_domain_size[0], least_gpus)
    if groups.size == 0:
        raise DoesNotFitError(
            f"attention of {s.model.model_id[0]} at context {s.context:g} does not fit a "
            f"{s.gpu.accelerator_id} scale-up domain"
        )
    b = batches[:, None, None, None]
    g = groups[None, :, None, None]
    lp = _chip_multiples(least_lpus)[None, None, :, None]
    m = np.array(a.microbatches, dtype=float)[None, None, None, :]
    step = afd_step(
        s.sp,
        s.model,
        s.gpu.hw,
        g,
        s.lpu.hw,
        lp,
        b,
        s.context,
        m,
        s.weight_bytes,
        s.kv_bytes,
        s.gpu_eff,
        s.sram_eff,
        a,
    )
    prefill = _prefill_chip_seconds(s, s.gpu, s.gpu_eff, gpu_reserve)
    return _points(option, step, b, {"gpus": g, "lpus": lp, "microbatches": m}, prefill, s.gpu, s)


def _sram_points(option: str, s: Scenario, batches: np.ndarray) -> pl.DataFrame:
    """sram_only_groq / gpu_prefill_sram_decode: the whole model on a tensor-parallel LPU pool."""
    a = s.assumptions
    gpu_reserve = s.gpu_eff.reserve_fraction
    kv_one = s.model.kv_bytes_per_sequence(s.context, s.kv_bytes)
    least = chips_to_hold(
        s.model.total_params * s.weight_bytes + kv_one, s.lpu.hw.memory_bytes, a.sram_reserve_fraction
    )[0]
    b = batches[:, None]
    lp = _chip_multiples(least)[None, :]
    step = colocated_step(
        s.sp,
        s.model,
        s.lpu.hw,
        lp,
        b,
        s.context,
        s.weight_bytes,
        s.kv_bytes,
        s.sram_eff,
        a.sram_collective_latency_s,
        a.sram_reserve_fraction,
    )
    if option == "sram_only_groq":
        prefill_chip, prefill = (
            s.lpu,
            _prefill_chip_seconds(
                s,
                s.lpu,
                replace(s.sram_eff, allreduce_latency_s=a.sram_collective_latency_s),
                a.sram_reserve_fraction,
            ),
        )
    else:
        prefill_chip, prefill = s.gpu, _prefill_chip_seconds(s, s.gpu, s.gpu_eff, gpu_reserve)
    return _points(option, step, b, {"lpus": lp}, prefill, prefill_chip, s)


def _wafer_points(option: str, s: Scenario, batches: np.ndarray) -> pl.DataFrame:
    """sram_only_cerebras: layers pipelined over wafers."""
    a = s.assumptions
    kv_one = s.model.kv_bytes_per_sequence(s.context, s.kv_bytes)
    least = chips_to_hold(
        s.model.total_params * s.weight_bytes + kv_one, s.wafer.hw.memory_bytes, a.sram_reserve_fraction
    )[0]
    b = batches[:, None, None]
    w = _chip_multiples(least, 2)[None, :, None]
    m = np.array(a.microbatches, dtype=float)[None, None, :]
    step = wafer_pipeline_step(s.sp, s.model, s.wafer.hw, w, b, s.context, m, s.weight_bytes, s.kv_bytes, s.sram_eff, a)
    prefill = _prefill_chip_seconds(s, s.wafer, s.sram_eff, a.sram_reserve_fraction)
    return _points(option, step, b, {"wafers": w, "microbatches": m}, prefill, s.wafer, s)


def all_points(s: Scenario, options=OPTIONS + ("gpu_baseline",), batches=None) -> tuple[pl.DataFrame, list[str]]:
    """Points of every option with rates attached, and the messages of options that do not fit."""
    frames, skipped = [], []
    for option in options:
        if option == "gpu_baseline" and s.baseline_gpu is None:
            continue
        try:
            frames.append(with_rates(option_points(option, s, batches)))
        except DoesNotFitError as exc:
            skipped.append(f"{option}: {exc}")
    if not frames:
        raise DoesNotFitError("no option holds the model: " + "; ".join(skipped))
    return pl.concat(frames, how="diagonal_relaxed"), skipped


def with_rates(points: pl.DataFrame) -> pl.DataFrame:
    """Add throughput per chip, per rack, per MW (low/mid/high) and per dollar-hour, and $/Mtok.

    ``mid`` is the geometric mean of the low and high estimates.
    """
    tps = pl.col("tokens_per_s")
    return points.with_columns(
        power_kw_mid=(pl.col("power_kw_low") * pl.col("power_kw_high")).sqrt(),
        usd_per_hour_mid=(pl.col("usd_per_hour_low") * pl.col("usd_per_hour_high")).sqrt(),
    ).with_columns(
        tokens_per_s_per_chip=tps / pl.col("chips"),
        tokens_per_s_per_rack=tps / pl.col("racks"),
        tokens_per_s_per_mw=tps / (pl.col("power_kw_mid") / 1000.0),
        tokens_per_s_per_mw_low=tps / (pl.col("power_kw_high") / 1000.0),
        tokens_per_s_per_mw_high=tps / (pl.col("power_kw_low") / 1000.0),
        usd_per_mtok=pl.col("usd_per_hour_mid") / (tps * 3600.0) * 1e6,
        usd_per_mtok_low=pl.col("usd_per_hour_low") / (tps * 3600.0) * 1e6,
        usd_per_mtok_high=pl.col("usd_per_hour_high") / (tps * 3600.0) * 1e6,
    )


def frontier(points: pl.DataFrame, throughput: str = "tokens_per_s_per_mw") -> pl.DataFrame:
    """Pareto-optimal points (per-user speed vs ``throughput``) of each option, fastest first.

    Uses :func:`hbmcycle.inference.frontier.pareto_mask` on each option's points.
    """
    parts = []
    for (_option,), group in points.group_by(["option"], maintain_order=True):
        speed = group["per_user_tokens_per_s"].to_numpy()[None, :, None]
        rate = group[throughput].to_numpy()[None, :, None]
        mask = pareto_mask(speed, rate, np.isfinite(rate))[0, :, 0]
        parts.append(group.filter(pl.Series(mask)))
    if not parts:
        return points.head(0)
    return pl.concat(parts).sort(["option", "per_user_tokens_per_s"], descending=[False, True])


def overall_pareto(front: pl.DataFrame, throughput: str = "tokens_per_s_per_mw") -> pl.DataFrame:
    """Mark which option's frontier points are Pareto-optimal across all options (``overall_optimal``)."""
    speed = front["per_user_tokens_per_s"].to_numpy()[None, :, None]
    rate = front[throughput].to_numpy()[None, :, None]
    mask = pareto_mask(speed, rate, np.isfinite(rate))[0, :, 0]
    return front.with_columns(overall_optimal=pl.Series(mask))
