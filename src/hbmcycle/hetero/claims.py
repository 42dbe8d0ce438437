"""Verdicts on the seed posts' claims about stages, the attention/FFN split, AFD and speculative decoding.

Each function returns :class:`~hbmcycle.verdicts.ClaimVerdict` records keyed by ``seed_claims``
ids: the stated figure comes from the seed row (the claim under test, never a model input),
the evidence from the model on the scenario, the thresholds from ``hetero/assumptions.yaml``,
and ``would_change`` from a flip search over the key inputs (:mod:`hbmcycle.claims.flips`).
Cerebras and price claims are in :mod:`hbmcycle.hetero.claims_cerebras`, speculative decoding in
:mod:`hbmcycle.hetero.claims_speculative`, NVIDIA's chart claims in :mod:`hbmcycle.hetero.claims_chart`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import choice_flip, numeric_flip, would_change
from hbmcycle.claims.seed import Seed, judged
from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.stages import decode_attention_work, decode_ffn_work, decode_split, prefill_work, ridge_point
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.scalars import number


@dataclass(frozen=True)
class Context:
    """What every hetero judge reads: the scenario, its points, the seeds and the assumptions."""

    s: dis.Scenario
    points: pl.DataFrame
    seeds: dict[str, Seed]
    cfg: dict
    calibrated: dis.Scenario  # the same scenario on the calibrated stack (the lean one is a sensitivity)

    @property
    def where(self) -> str:
        s = self.s
        return (
            f"{s.model.model_id[0]}, context {s.context:,.0f}, {_precision(s.weight_bytes)} weights, "
            f"{s.gpu.accelerator_id} GPU, per scale-up domain"
        )


def _precision(bytes_per_element: float) -> str:
    names = {b: name for name, b in BYTES_PER_ELEMENT.items()}
    return names.get(bytes_per_element, f"{bytes_per_element:g} B")


def _first(x) -> float:
    return float(np.ravel(x)[0])


def _graded_share(s: dis.Scenario, grade, seed, context: float, batch: float) -> str:
    """The FFN-share claim's verdict at one batch (the batch sweep of its flip table)."""
    return grade(_ffn_share(s, batch, context), seed)


def intensities(s: dis.Scenario, batch: float, context: float) -> tuple[float, float, float]:
    """Arithmetic intensity (FLOP/B) of prefill, decode attention and decode FFN at a batch and context."""
    pre = prefill_work(s.model, context, 1.0, s.weight_bytes, s.kv_bytes)
    att = decode_attention_work(s.sp, s.model, batch, context, s.weight_bytes, s.kv_bytes)
    ffn = decode_ffn_work(s.sp, s.model, batch, s.weight_bytes)
    return _first(pre.intensity), _first(att.intensity), _first(ffn.intensity)


def _stage_rows(c: Context, ridge: float) -> list[tuple]:
    """(claim id, verdict, evidence, threshold, flips) of each stage claim."""
    s, batch, big = c.s, c.cfg["stage_batch"], c.cfg["large_batch"]
    i_pre, i_att, i_ffn = intensities(s, batch, s.context)
    kv = [
        _first(decode_attention_work(s.sp, s.model, b, s.context, s.weight_bytes, s.kv_bytes).capacity)
        for b in (batch, 2 * batch)
    ]
    prefill_judge = lambda L: v.by_flags([intensities(s, batch, L)[0] > ridge])
    ffn_judge = lambda b: v.by_flags([intensities(s, b, s.context)[2] < ridge])
    ridge_judge = lambda b: v.by_flags([intensities(s, b, s.context)[2] > ridge])
    batches = np.geomspace(1, 8192, 40)
    return [
        ("prefill_profile", prefill_judge(s.context), f"prefill intensity {i_pre:,.0f} FLOP/B",
         "prefill intensity above the ridge point",
         [numeric_flip("prefill_profile", "prompt length", "tokens", prefill_judge, s.context, np.geomspace(1, s.context, 40))]),
        ("decode_attention_profile", v.by_flags([i_att < ridge, kv[1] > kv[0]]),
         f"attention intensity {i_att:,.1f} FLOP/B; KV capacity x{kv[1] / kv[0]:.2f} when the batch doubles",
         "attention intensity below the ridge point and its capacity growing with the batch", []),
        ("decode_ffn_profile", ffn_judge(batch), f"FFN intensity {i_ffn:,.1f} FLOP/B",
         "FFN intensity below the ridge point at the stage batch",
         [numeric_flip("decode_ffn_profile", "batch", "sequences", ffn_judge, batch, batches)]),
        ("gpu_high_batch_beyond_ridge", ridge_judge(big),
         f"FFN intensity {intensities(s, big, s.context)[2]:,.0f} FLOP/B at batch {big:g}",
         "FFN intensity above the ridge point at the large batch",
         [numeric_flip("gpu_high_batch_beyond_ridge", "batch", "sequences", ridge_judge, big, batches)]),
    ]  # fmt: skip


def stage_claims(c: Context) -> tuple[list, list]:
    """Stage profiles against the GPU's ridge point, and the ridge-point claim at large batch."""
    ridge = _first(ridge_point(c.s.gpu.hw))
    scope = f"{c.where}, batch {c.cfg['stage_batch']:g}; roofline intensity vs ridge {ridge:,.0f} FLOP/B"
    out, flips = [], []
    for claim_id, verdict, evidence, threshold, flip_rows in _stage_rows(c, ridge):
        out.append(
            judged(
                c.seeds[claim_id],
                verdict=verdict,
                scope=scope,
                evidence=evidence,
                evidence_kind="modelled",
                threshold=threshold,
                sources="llm_models; accelerators",
                would_change=would_change(flip_rows),
            )
        )
        flips += flip_rows
    return out, flips


def per_kw_ratios(c: Context, lpu_power_factor: float = 1.0) -> tuple[float, float, float]:
    """SRAM chip over GPU per kW of chip power (mid estimates): FLOP/s, bandwidth, capacity.

    ``lpu_power_factor`` scales the SRAM chip's power (its figure is a proxy: the sensitivity).
    """
    gpu, lpu = c.s.gpu, c.s.lpu
    kw_gpu = np.sqrt(gpu.power_kw[0] * gpu.power_kw[1])
    kw_lpu = np.sqrt(lpu.power_kw[0] * lpu.power_kw[1]) * lpu_power_factor
    ratio = lambda field: (getattr(lpu.hw, field)[0] / kw_lpu) / (getattr(gpu.hw, field)[0] / kw_gpu)
    return ratio("peak_flops_s"), ratio("bandwidth_bytes_s"), ratio("memory_bytes")


def sram_claims(c: Context) -> tuple[list, list]:
    """What SRAM chips trade: compute and capacity for bandwidth, per kW of chip power (mid estimate)."""
    gpu, lpu, cfg = c.s.gpu, c.s.lpu, c.cfg
    flops, bandwidth, capacity = per_kw_ratios(c)
    kv_one = _first(c.s.model.kv_bytes_per_sequence(c.s.context, c.s.kv_bytes))
    users = np.floor(lpu.hw.memory_bytes[0] * (1 - c.s.assumptions.sram_reserve_fraction) / kv_one)
    ratios = (
        f"{lpu.accelerator_id} vs {gpu.accelerator_id} per kW: FLOP/s x{flops:.2f}, bandwidth x{bandwidth:.1f}, "
        f"capacity x{capacity:.3f}"
    )
    grades = {
        "sram_tradeoff": (
            lambda f, b, m: v.by_flags([f < 1, b > 1, m < 1]),
            "less compute and capacity, more bandwidth per kW",
        ),
        "sram_prefill_weak": (
            lambda f, b, m: v.by_flags([f < 1]),
            "less FLOP/s per kW than the GPU (prefill is compute-bound)",
        ),
        "sram_attention_half": (
            lambda f, b, m: v.by_flags([b > 1, users < cfg["useful_batch"]]),
            f"more bandwidth per kW, and fewer than {cfg['useful_batch']:g} sequences' KV cache per chip",
        ),
    }
    out, flips = [], []
    for claim_id, (grade, threshold) in grades.items():
        judge = lambda factor, grade=grade: grade(*per_kw_ratios(c, factor))
        rows = [
            numeric_flip(
                claim_id, f"{lpu.accelerator_id} power (x the proxy's)", "", judge, 1.0, np.geomspace(0.01, 100, 41)
            )
        ]
        extra = f"; one {lpu.accelerator_id} holds the KV cache of {users:g} sequences at {c.s.context:,.0f} tokens"
        out.append(
            judged(
                c.seeds[claim_id],
                verdict=judge(1.0),
                scope=f"{lpu.accelerator_id} vs {gpu.accelerator_id}, per kW ({lpu.basis}; {gpu.basis})",
                evidence=ratios + (extra if claim_id == "sram_attention_half" else ""),
                evidence_kind="data",
                threshold=threshold,
                sources="accelerators; systems",
                would_change=would_change(rows),
            )
        )
        flips += rows
    return out, flips


def _ffn_share(s: dis.Scenario, batch: float, context: float) -> float:
    a, f = decode_split(s.sp, s.model, s.gpu.hw, batch, context, 1.0, s.weight_bytes, s.kv_bytes, s.gpu_eff)
    return _first(f / (a + f))


def split_claims(c: Context) -> tuple[list, list]:
    """FFN share of GPU decode time: over 50 %, over 60 % at short context, about 60 %."""
    s, cfg, seeds = c.s, c.cfg, c.seeds
    batch, short, band = cfg["stage_batch"], cfg["short_context"], cfg["ffn_share_band"]
    specs = [
        ("ffn_share_decode_over_50pct", s.context, lambda share, seed: v.by_threshold(share, seed.value)),
        ("ffn_share_short_context_over_60pct", short, lambda share, seed: v.by_threshold(share, seed.value)),
        ("attn_ffn_split_40_60", s.context, lambda share, seed: v.by_flags([abs(share - seed.value) <= band])),
    ]
    out, flips = [], []
    for claim_id, context, grade in specs:
        seed = seeds[claim_id]
        judge = lambda L, grade=grade, seed=seed: grade(_ffn_share(s, batch, L), seed)
        share = _ffn_share(s, batch, context)
        rows = [numeric_flip(claim_id, "context", "tokens", judge, context, np.geomspace(128, 1_048_576, 41))]
        rows.append(
            numeric_flip(
                claim_id,
                "batch",
                "sequences",
                functools.partial(_graded_share, s, grade, seed, context),
                batch,
                np.geomspace(1, 4096, 25),
            )
        )
        out.append(
            judged(
                seed,
                verdict=grade(share, seed),
                scope=f"{c.where}, batch {batch:g}, context {context:,.0f}; "
                "roofline time of each stage, calibrated efficiencies",
                evidence=f"FFN share of decode time {share:.0%}",
                evidence_kind="modelled",
                threshold=f"stated {seed.value:g} ({seed.unit})"
                + (f", within +-{band:g}" if "40_60" in claim_id else ""),
                sources="llm_models; accelerators; engine constants",
                would_change=would_change(rows),
            )
        )
        flips += rows
    return out, flips


def _peaks(s: dis.Scenario) -> tuple[float, float, pl.DataFrame]:
    """Peak per-user speed of AFD and of GPU only, and the AFD points."""
    afd = dis.option_points("gpu_lpx_afd", s)
    gpu = dis.option_points("gpu_only", s)
    return number(afd["per_user_tokens_per_s"].max()), number(gpu["per_user_tokens_per_s"].max()), afd


def _with_hop(s: dis.Scenario, hop_us: float) -> dis.Scenario:
    return replace(s, assumptions=replace(s.assumptions, hop_latency_s=hop_us * 1e-6))


def afd_claims(c: Context) -> tuple[list, list]:
    """Per-layer round trips and the AFD peak-speed gain over GPU only (same stack, same model)."""
    s, cfg, seeds = c.s, c.cfg, c.seeds
    hop_us = s.assumptions.hop_latency_s * 1e6
    hop_grid = [0.0, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 100]
    layers = float(s.model.layers[0])

    def hop_share(scenario):
        afd = dis.option_points("gpu_lpx_afd", scenario).sort("per_user_tokens_per_s", descending=True)
        return 2 * layers * scenario.assumptions.hop_latency_s / (afd["step_ms"][0] / 1e3)

    trips = seeds["afd_80_roundtrips"]
    trip_judge = lambda h: v.by_threshold(hop_share(_with_hop(s, h)), cfg["noticeable_share"])
    trip_flips = [numeric_flip(trips.claim_id, "hop latency (one way)", "us", trip_judge, hop_us, hop_grid)]
    share = hop_share(s)
    out = [
        judged(
            trips,
            verdict=trip_judge(hop_us),
            scope=c.where + f", hop {hop_us:g} us (assumed)",
            evidence=f"{layers:g} layers -> {layers:g} GPU<->LPU round trips per token (one per layer; the seed's "
            f"{trips.value:g} is for an 80-layer model); the hops take {share:.0%} of the step at the fastest AFD point",
            evidence_kind="modelled",
            threshold=f"hops >= {cfg['noticeable_share']:.0%} of the step ('noticeable')",
            sources="llm_models; hetero/assumptions.yaml hop_latency_us",
            would_change=would_change(trip_flips),
        )
    ]
    seed = seeds["afd_peak_speedup"]
    grade = lambda ratio: v.by_threshold(ratio, seed.value, partly_above=1.0)
    ratio_at = lambda scenario: (lambda p: p[0] / p[1])(_peaks(scenario))
    peak_afd, peak_gpu, _ = _peaks(s)
    stacks = {name: grade(ratio_at(replace(s, gpu_eff=eff, sram_eff=eff))) for name, eff in _stacks(c).items()}
    flips = [
        numeric_flip(
            seed.claim_id, "hop latency (one way)", "us", lambda h: grade(ratio_at(_with_hop(s, h))), hop_us, hop_grid
        ),
        choice_flip(seed.claim_id, "serving stack", stacks, c.cfg["stack"]),
    ]
    out.append(
        judged(
            seed,
            verdict=grade(peak_afd / peak_gpu),
            scope=c.where + f", {cfg['stack']} stack, hop {hop_us:g} us",
            evidence=f"peak per-user speed AFD {peak_afd:,.0f} vs GPU only {peak_gpu:,.0f} tokens/s "
            f"(x{peak_afd / peak_gpu:.2f})",
            evidence_kind="modelled",
            threshold=f">= {seed.value:g}x holds, above 1x partly",
            sources="accelerators; llm_models; systems",
            would_change=would_change(flips),
        )
    )
    return out, trip_flips + flips


def _stacks(c: Context) -> dict:
    calibrated = c.calibrated.gpu_eff
    return {stack: dis.stack_efficiency(calibrated, stack) for stack in dis.STACKS}


def lpx_static_claim(c: Context) -> tuple[list, list]:
    """The LPX pool holds only FFN weights, so its size does not move with context; the GPUs' KV does."""
    s = c.s
    ffn_bytes = (s.sp.ffn_total + s.sp.head) * s.weight_bytes
    lpus = float(dis.chips_to_hold(ffn_bytes, s.lpu.hw.memory_bytes[0], s.assumptions.sram_reserve_fraction)[0])
    kv = [_first(s.model.kv_bytes_per_sequence(L, s.kv_bytes)) for L in (s.context, 4 * s.context)]
    seed = c.seeds["lpx_static_with_context"]
    return [
        judged(
            seed,
            verdict=v.by_flags([kv[1] > kv[0]]),
            scope=c.where + ", AFD as modelled",
            evidence=f"{lpus:g} {s.lpu.accelerator_id} hold the FFN weights at any context; KV per sequence "
            f"{kv[0] / 1e9:.2f} GB at {s.context:,.0f} tokens, {kv[1] / 1e9:.2f} GB at 4x that, all on the GPUs",
            evidence_kind="modelled",
            threshold="GPU-side KV grows with context while the LPX pool stays fixed "
            "(true by the model's construction: the LPX holds FFN weights only)",
            sources="llm_models; accelerators",
            would_change="an LPX that also caches KV or activations",
        )
    ], []


def kv_size_claim(c: Context) -> tuple[list, list]:
    """KV cache per serving instance at a long agentic context: tens to a hundred-plus GB."""
    s, cfg = c.s, c.cfg
    seed = c.seeds["attention_kv_tens_to_100_gb"]
    context, batch = cfg["in_scope_context"], cfg["useful_batch"]
    gb = lambda L: batch * _first(s.model.kv_bytes_per_sequence(L, s.kv_bytes)) / 1e9
    judge = lambda L: v.by_threshold(gb(L), seed.value)
    flips = [numeric_flip(seed.claim_id, "context", "tokens", judge, context, np.geomspace(1024, 1_048_576, 41))]
    return [
        judged(
            seed,
            verdict=judge(context),
            scope=f"{s.model.model_id[0]}, {batch:g} sequences of {context:,.0f} tokens, {_precision(s.kv_bytes)} KV",
            evidence=f"KV cache {gb(context):,.1f} GB",
            evidence_kind="arithmetic",
            threshold=f">= {seed.value:g} GB",
            sources="llm_models",
            would_change=would_change(flips),
        )
    ], flips
