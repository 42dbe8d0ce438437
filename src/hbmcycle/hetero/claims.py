"""Verdicts on the seed posts' claims about heterogeneous inference, computed from the model and the tables.

Each claim states the seed's figure (``stated``, quoted from the posts: the thing under test, not
an input to any model), what the model computes, the threshold that turns the number into a
verdict, and the tables or source ids the evidence rests on. Verdicts:

* ``holds``: the computed figure meets the threshold;
* ``partly``: the direction holds but the size does not (or it holds in part of the range);
* ``does not hold``: the computed figure contradicts the claim;
* ``cannot be checked``: the tables lack a figure the check needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.economics import at_interactivity, users_per_chip
from hbmcycle.hetero.scenario import Tables
from hbmcycle.hetero.speculative import draft_step_seconds, speedup, verify_seconds
from hbmcycle.hetero.stages import decode_attention_work, decode_ffn_work, decode_split, prefill_work, ridge_point
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.economics import rental_price
from hbmcycle.inference.step_time import decode_step

VERDICTS: tuple[str, ...] = ("holds", "partly", "does not hold", "cannot be checked")

# The seed posts' figures, quoted: the claims under test, never inputs to the model.
SEED = {
    "ffn_share": 0.6,  # "attention ~40 %, FFN ~60 % of decode time"
    "afd_peak_gain": 2.0,  # "overall speed-up of more than one times (vs Rubin NVL72)"
    "peak_tokens_per_s": 1000.0,  # "1,000+ tokens/s per user"
    "speed_level": 400.0,  # "at 400 tokens/s, 35x throughput"
    "cs3_usd_per_hour": 41.96,  # "implied rental rate of each CS-3 is $41.96/hour"
    "cs3_vs_b200": 10.0,  # "roughly ten times the rental of a B200"
    "users_at_long_context": 2,  # "one or two users ... 1-2M context ... the entire 44GB"
    "speculative_gain": 2.0,  # "the speed-up would be very large" (taken as at least 2x)
}


@dataclass(frozen=True)
class Thresholds:
    """Where a computed figure stops supporting a claim (analysis choices, stated in every verdict)."""

    batch: float = 32  # a "useful batch" for the stage and split checks
    short_context: float = 2048
    mid_context: float = 8192
    ffn_share_band: tuple[float, float] = (0.5, 0.7)  # "about 60 %" of decode time
    useful_batch: float = 16  # sequences that make a fast operating point commercially meaningful
    speed_level: float = SEED["speed_level"]
    ratio_within: float = 1.5  # a stated ratio "holds" when the computed one is within this factor
    acceptance: float = 0.8
    draft_length: int = 4
    long_contexts: tuple[float, ...] = (1e6, 2e6)


def _claim(claim_id, claim, stated, computed, verdict, threshold, evidence, sources) -> dict:
    assert verdict in VERDICTS
    return dict(
        claim_id=claim_id,
        claim=claim,
        stated=stated,
        computed=computed,
        verdict=verdict,
        threshold=threshold,
        evidence=evidence,
        sources=sources,
    )


def _ratio_verdict(ratio: float, stated: float, within: float) -> str:
    if not np.isfinite(ratio):
        return "cannot be checked"
    if stated / within <= ratio <= stated * within:
        return "holds"
    return "partly" if ratio > 1.0 else "does not hold"


def stage_claims(s: dis.Scenario, t: Thresholds) -> list[dict]:
    """The three stages' profiles, and which stage SRAM chips suit."""
    sp, m, wb, kvb = s.sp, s.model, s.weight_bytes, s.kv_bytes
    ridge = float(ridge_point(s.gpu.hw)[0])
    pre = prefill_work(m, t.mid_context, 1.0, wb, kvb)
    att = decode_attention_work(sp, m, t.batch, t.mid_context, wb, kvb)
    ffn = decode_ffn_work(sp, m, t.batch, wb)
    i_pre, i_att, i_ffn = (float(np.ravel(w.intensity)[0]) for w in (pre, att, ffn))
    kv_gb = float(np.ravel(att.capacity)[0] * m.layers[0]) / 1e9
    ffn_gb = float(np.ravel(ffn.capacity)[0] * m.layers[0]) / 1e9
    ok = i_pre > ridge and i_att < ridge and i_ffn < ridge and kv_gb > 0
    out = [
        _claim(
            "stage_profiles",
            "Prefill is compute-heavy and light on bandwidth; decode attention and decode FFN are bandwidth-bound, "
            "attention's capacity grows with batch x context while FFN's is the fixed weights.",
            "qualitative",
            f"{m.model_id[0]}, batch {t.batch:g}, context {t.mid_context:g}: intensity prefill {i_pre:,.0f}, "
            f"attention {i_att:,.1f}, FFN {i_ffn:,.1f} FLOP/B vs {s.gpu.accelerator_id} ridge {ridge:,.0f}; "
            f"attention capacity {kv_gb:,.1f} GB (grows with B x L), FFN weights {ffn_gb:,.1f} GB (fixed)",
            "holds" if ok else "partly",
            "prefill intensity above the GPU ridge point, both decode stages below it",
            "stages.prefill_work / decode_attention_work / decode_ffn_work on llm_models; ridge from accelerators",
            "llm_models; accelerators",
        )
    ]
    gpu, lpu = s.gpu, s.lpu
    per_kw = lambda c, x: x / np.sqrt(c.power_kw[0] * c.power_kw[1])
    flops_gpu, flops_lpu = per_kw(gpu, gpu.hw.peak_flops_s[0]), per_kw(lpu, lpu.hw.peak_flops_s[0])
    bw_gpu, bw_lpu = per_kw(gpu, gpu.hw.bandwidth_bytes_s[0]), per_kw(lpu, lpu.hw.bandwidth_bytes_s[0])
    cap_gpu, cap_lpu = per_kw(gpu, gpu.hw.memory_bytes[0]), per_kw(lpu, lpu.hw.memory_bytes[0])
    checks = [flops_lpu < flops_gpu, bw_lpu > bw_gpu, cap_lpu < cap_gpu]
    out.append(
        _claim(
            "sram_suitability",
            "SRAM chips trade compute density and capacity for bandwidth: bad at prefill, half-suited to decode "
            "attention (bandwidth yes, KV capacity no), suited to decode FFN.",
            "qualitative",
            f"per kW (mid power estimate), {lpu.accelerator_id} vs {gpu.accelerator_id}: FLOP/s x{flops_lpu / flops_gpu:.2f}, "
            f"bandwidth x{bw_lpu / bw_gpu:.1f}, capacity x{cap_lpu / cap_gpu:.3f}",
            "holds" if all(checks) else ("partly" if any(checks) else "does not hold"),
            "SRAM chip has less compute and capacity but more bandwidth per kW than the GPU",
            f"accelerators peaks, bandwidth, memory; power basis: {lpu.basis}; {gpu.basis}",
            "accelerators; systems; rental_prices",
        )
    )
    return out


def split_claims(s: dis.Scenario, t: Thresholds) -> list[dict]:
    """The 40/60 attention/FFN split of decode time on the GPU."""
    contexts = np.array([t.short_context, t.mid_context])
    a, f = decode_split(s.sp, s.model, s.gpu.hw, t.batch, contexts, 1.0, s.weight_bytes, s.kv_bytes, s.gpu_eff)
    share = np.ravel(f / (a + f))
    lo, hi = t.ffn_share_band
    short_ok, mid_ok = share[0] > SEED["ffn_share"], lo <= share[1] <= hi
    return [
        _claim(
            "attention_ffn_split",
            "Attention is ~40 % and FFN ~60 % of decode time; FFN above 60 % at short context.",
            "40/60; FFN > 60 % at short context",
            f"{s.model.model_id[0]} on {s.gpu.accelerator_id}, batch {t.batch:g}: FFN share {share[0]:.0%} at context "
            f"{t.short_context:g}, {share[1]:.0%} at {t.mid_context:g}",
            "holds" if short_ok and mid_ok else ("partly" if short_ok or mid_ok else "does not hold"),
            f"FFN share > {SEED['ffn_share']:.0%} at {t.short_context:g} tokens and "
            f"within {lo:.0%}-{hi:.0%} at {t.mid_context:g}",
            "stages.decode_split (roofline time of each stage, calibrated efficiencies)",
            "llm_models; accelerators; calibration.json",
        )
    ]


def afd_claims(s: dis.Scenario, points: pl.DataFrame, t: Thresholds, benchmarks: pl.DataFrame) -> list[dict]:
    """Round trips, peak-speed gain over GPU-only, 1,000 tokens/s with a useful batch, 35x vs Blackwell."""
    out = []
    layers = float(s.model.layers[0])
    afd = points.filter(pl.col("option") == "gpu_lpx_afd")
    gpu = points.filter(pl.col("option") == "gpu_only")
    fastest = afd.sort("per_user_tokens_per_s", descending=True).head(1)
    hop_share = float("nan")
    if fastest.height:
        hop_share = 2 * layers * (s.assumptions.hop_latency_s) / (fastest["step_ms"][0] / 1e3)
    out.append(
        _claim(
            "afd_round_trips",
            "A token crosses GPU<->LPU once per layer (80 layers, 80 round trips), a noticeable cost.",
            "80 round trips per token for 80 layers",
            f"{s.model.model_id[0]}: {layers:g} layers, {layers:g} round trips; at the fastest AFD point the hops' latency is "
            f"{hop_share:.0%} of the step (hop {s.assumptions.hop_latency_s * 1e6:g} us one way, an assumption)",
            "holds",
            "one round trip per layer in the disaggregated model",
            "disaggregation.afd_step; layers from llm_models",
            "llm_models",
        )
    )
    peak_afd = afd["per_user_tokens_per_s"].max() if afd.height else float("nan")
    peak_gpu = gpu["per_user_tokens_per_s"].max() if gpu.height else float("nan")
    ratio = (peak_afd or float("nan")) / (peak_gpu or float("nan"))
    a, f = decode_split(s.sp, s.model, s.gpu.hw, 1.0, s.context, 1.0, s.weight_bytes, s.kv_bytes, s.gpu_eff)
    amdahl = float(np.ravel((a + f) / a)[0])
    out.append(
        _claim(
            "afd_peak_speed",
            "Moving decode FFN to LPUs (accelerated several times) makes peak per-user speed more than 2x Rubin NVL72's.",
            "> 2x",
            f"peak per-user speed AFD {peak_afd:,.0f} vs GPU-only {peak_gpu:,.0f} tokens/s (x{ratio:.2f}); at batch 1 the "
            f"FFN is {1 - 1 / amdahl:.0%} of the GPU's roofline time, so a free FFN alone would give x{amdahl:.1f} "
            "before the per-layer fixed costs and hops that set the peak",
            "holds" if ratio >= SEED["afd_peak_gain"] else ("partly" if ratio > 1 else "does not hold"),
            f">= {SEED['afd_peak_gain']:g} holds, between 1 and {SEED['afd_peak_gain']:g} partly, <= 1 does not hold",
            "disaggregation.option_points (gpu_only vs gpu_lpx_afd), stack and hop assumptions as stated",
            "accelerators (nvidia_rubin, groq_lp30); llm_models",
        )
    )
    fast = afd.filter(pl.col("per_user_tokens_per_s") >= SEED["peak_tokens_per_s"])
    best_batch = fast["batch"].max() if fast.height else 0.0
    out.append(
        _claim(
            "afd_1000_tps",
            "Rubin + LPX passes 1,000 tokens/s per user while keeping a useful batch.",
            "1,000+ tokens/s per user with useful batch",
            f"largest AFD batch at >= 1,000 tokens/s per user: {best_batch:g}"
            if fast.height
            else f"AFD does not reach 1,000 tokens/s per user (peak {peak_afd:,.0f})",
            "holds" if best_batch >= t.useful_batch else ("partly" if fast.height else "does not hold"),
            f"a batch of at least {t.useful_batch:g} sequences at >= 1,000 tokens/s per user",
            "disaggregation.option_points (gpu_lpx_afd)",
            "accelerators; llm_models",
        )
    )
    claim = benchmarks.filter(pl.col("result_id") == "claim_nvidia_vera_rubin_lpx_vs_blackwell_throughput_per_mw")
    stated = float(claim["claimed_speedup_x"][0]) if claim.height else float("nan")
    at = at_interactivity(points.filter(pl.col("option").is_in(["gpu_lpx_afd", "gpu_baseline"])), [t.speed_level])
    rate = {r["option"]: r["tokens_per_s_per_mw"] for r in at.iter_rows(named=True)}
    base_name = s.baseline_gpu.accelerator_id
    if "gpu_lpx_afd" not in rate:
        computed, verdict = f"AFD does not reach {t.speed_level:g} tokens/s per user", "does not hold"
    elif "gpu_baseline" not in rate:
        computed = (
            f"{base_name} does not reach {t.speed_level:g} tokens/s per user; AFD does at "
            f"{rate['gpu_lpx_afd']:,.0f} tokens/s/MW (ratio unbounded)"
        )
        verdict = "holds"
    else:
        ratio = rate["gpu_lpx_afd"] / rate["gpu_baseline"]
        computed = (
            f"{s.model.model_id[0]} at >= {t.speed_level:g} tokens/s per user: AFD {rate['gpu_lpx_afd']:,.0f} vs "
            f"{base_name} {rate['gpu_baseline']:,.0f} tokens/s/MW (x{ratio:.1f})"
        )
        verdict = _ratio_verdict(ratio, stated, t.ratio_within)
    out.append(
        _claim(
            "lpx_35x",
            "At 400 tokens/s per user, Rubin + LPX gives 35x the throughput (per MW) of Blackwell.",
            f"{stated:g}x",
            computed + "; power of Rubin and LP30 from proxies (ranges, mid used)",
            verdict,
            f"within x{t.ratio_within:g} of the stated ratio (or the baseline cannot reach the speed) holds; > 1 partly; "
            "otherwise does not hold",
            "disaggregation.option_points + economics; NVIDIA's claim row in inference_benchmarks",
            "inference_benchmarks:claim_nvidia_vera_rubin_lpx_vs_blackwell_throughput_per_mw; systems; accelerators",
        )
    )
    return out


def cerebras_claims(s: dis.Scenario, tables: Tables, t: Thresholds) -> list[dict]:
    """CS-3 price, its rent against a B200's, and the KV-cache capacity wall."""
    out = []
    cs3 = tables.rental_prices.filter(pl.col("accelerator_id") == s.wafer.accelerator_id)
    note = cs3["notes"][0] if cs3.height else "no row"
    out.append(
        _claim(
            "cs3_price",
            "A CS-3 costs about $2.3M.",
            "$2.3M",
            "no source in the tables states a CS-3 price; rental_prices derives $"
            f"{cs3['usd_per_gpu_hour'][0] if cs3.height else float('nan'):.2f}/h from an unverified ~$1.36M average system price",
            "cannot be checked",
            "a sourced CS-3 list or transaction price",
            note,
            ";".join(cs3["source"].to_list()) if cs3.height else "rental_prices",
        )
    )
    stated_rent, stated_ratio = SEED["cs3_usd_per_hour"], SEED["cs3_vs_b200"]
    b200 = tables.rental_prices.filter(pl.col("accelerator_id") == "nvidia_b200")
    on_demand = rental_price(b200, "on_demand")["usd_per_gpu_hour"]
    market = rental_price(b200, "market_index")["usd_per_gpu_hour"]
    prices = [float(p) for p in (*on_demand.to_list(), *market.to_list())]
    ratios = [stated_rent / p for p in prices]
    lo, hi = (min(ratios), max(ratios)) if ratios else (float("nan"), float("nan"))
    verdict = (
        "cannot be checked"
        if not ratios
        else (
            "holds"
            if stated_ratio / t.ratio_within <= lo and hi <= stated_ratio * t.ratio_within
            else ("partly" if lo <= stated_ratio <= hi else "does not hold")
        )
    )
    out.append(
        _claim(
            "cs3_rent_vs_b200",
            "A CS-3 rents at an implied $41.96/hour, about ten times a B200.",
            "$41.96/h, ~10x B200",
            f"$41.96 / B200 (median on-demand ${prices[0]:.2f}, market index ${prices[-1]:.2f}) = x{lo:.1f} to x{hi:.1f}; "
            f"the tables' own CS-3 estimate is ${s.wafer.usd_per_hour[0]:.2f}/h"
            if ratios
            else "no B200 price",
            verdict,
            f"both ratios within x{t.ratio_within:g} of 10 holds; 10 inside the range partly",
            "economics.rental_price on rental_prices (B200 rows; Cerebras row)",
            ";".join(sorted(set(";".join(b200["source"].to_list()).split(";")))),
        )
    )
    models = tables.llm_models
    arrays = model_arrays(models)
    contexts = np.array(t.long_contexts)[:, None]
    kv = arrays.kv_elements_per_token[None, :] * arrays.cached_tokens(contexts) * s.kv_bytes
    users = users_per_chip(kv, s.wafer.hw.memory_bytes[0], 0.0, s.assumptions.sram_reserve_fraction)
    here = int(np.flatnonzero(arrays.model_id == s.model.model_id[0])[0])
    fits = users[:, here]
    detail = ", ".join(f"{mid} {int(u0)}/{int(u1)}" for mid, u0, u1 in zip(arrays.model_id, users[0], users[1]))
    out.append(
        _claim(
            "cs3_kv_wall",
            "One or two agent users at 1-2M tokens of context fill a CS-3's 44 GB of SRAM with KV cache alone.",
            "1-2 users per 44 GB at 1-2M context",
            f"users whose KV cache fits one wafer with no weights ({s.kv_bytes:g} B/element), at 1M/2M tokens: {detail}",
            "holds"
            if fits.max() <= SEED["users_at_long_context"]
            else ("partly" if fits.min() <= SEED["users_at_long_context"] else "does not hold"),
            f"at most {SEED['users_at_long_context']} users of {s.model.model_id[0]} fit at both 1M and 2M tokens",
            "economics.users_per_chip on llm_models KV geometry and accelerators.memory_gib",
            "llm_models; accelerators",
        )
    )
    return out


def economics_claims(s: dis.Scenario, points: pl.DataFrame, levels) -> list[dict]:
    """Full-stack inference on SRAM chips versus GPUs in $/Mtok at each speed level."""
    at = at_interactivity(points, levels)
    rows, dearer = [], {}
    for level in levels:
        here = {r["option"]: r["usd_per_mtok"] for r in at.filter(pl.col("level") == level).iter_rows(named=True)}
        gpu = here.get("gpu_only")
        parts = [f"GPU ${gpu:.2f}" if gpu is not None else "GPU cannot reach it"]
        for option in ("sram_only_groq", "sram_only_cerebras"):
            if option in here:
                parts.append(f"{option} ${here[option]:.2f}")
                if gpu is not None:
                    dearer.setdefault(option, []).append(here[option] > gpu)
        rows.append(f"{level:g} tok/s: " + ", ".join(parts))
    outcome = {option: all(flags) for option, flags in dearer.items()}
    verdict = (
        "cannot be checked"
        if not outcome
        else ("holds" if all(outcome.values()) else ("partly" if any(outcome.values()) else "does not hold"))
    )
    upper = points.filter(~pl.col("compute_modelled"))["option"].unique().to_list()
    return [
        _claim(
            "sram_full_stack_economics",
            "Full-stack inference on SRAM chips (prefill + attention + FFN) costs more per token than GPUs.",
            "qualitative",
            "; ".join(rows)
            + (
                f". Upper bounds (no FLOP/s figure in the tables, prefill unpriced): {', '.join(upper)}"
                if upper
                else ""
            ),
            verdict,
            "each SRAM-only option dearer than GPU-only at every speed level both reach: all holds, some partly",
            "economics.at_interactivity over disaggregation.option_points; prices and power from proxies where missing",
            "rental_prices; systems; accelerators",
        )
    ]


def speculative_claims(s: dis.Scenario, draft: dis.Scenario, t: Thresholds) -> list[dict]:
    """SRAM draft + GPU verification versus a draft on the GPU itself."""
    g = float(
        dis.chips_to_hold(
            s.model.total_params[0] * s.weight_bytes, s.gpu.hw.memory_bytes[0], s.gpu_eff.reserve_fraction
        )
    )
    target = decode_step(s.model, s.gpu.hw, 1.0, s.context, g, s.weight_bytes, s.kv_bytes, s.gpu_eff).step_s
    verify = verify_seconds(s.model, s.gpu.hw, 1.0, s.context, t.draft_length, g, s.weight_bytes, s.kv_bytes, s.gpu_eff)
    on_gpu = draft_step_seconds(draft.model, s.gpu.hw, 1.0, s.context, g, s.weight_bytes, s.kv_bytes, s.gpu_eff)
    lpus = float(
        dis.chips_to_hold(
            draft.model.total_params[0] * s.weight_bytes
            + float(dis.kv_bytes_per_sequence(draft.model, s.context, s.kv_bytes)[0]),
            s.lpu.hw.memory_bytes[0],
            s.assumptions.sram_reserve_fraction,
        )
    )
    sram_eff = replace(s.sram_eff, allreduce_latency_s=s.assumptions.sram_collective_latency_s)
    on_lpu = draft_step_seconds(draft.model, s.lpu.hw, 1.0, s.context, lpus, s.weight_bytes, s.kv_bytes, sram_eff)
    up_gpu = float(np.ravel(speedup(t.acceptance, t.draft_length, on_gpu, target, verify))[0])
    up_lpu = float(np.ravel(speedup(t.acceptance, t.draft_length, on_lpu, target, verify))[0])
    verdict = (
        "holds"
        if up_lpu >= SEED["speculative_gain"] and up_lpu > up_gpu
        else ("partly" if up_lpu > up_gpu else "does not hold")
    )
    return [
        _claim(
            "speculative_sram_draft",
            "Running the draft model on fast SRAM chips and verifying on GPUs speeds decoding up a lot.",
            "large speed-up",
            f"{draft.model.model_id[0]} drafting for {s.model.model_id[0]}, alpha {t.acceptance:g}, gamma {t.draft_length}: "
            f"x{up_lpu:.2f} with the draft on {lpus:g} {s.lpu.accelerator_id}, x{up_gpu:.2f} with it on the {g:g} GPUs",
            verdict,
            ">= 2x and better than a GPU-hosted draft holds; better only, partly",
            "speculative.speedup with draft and verify times from the inference model",
            "llm_models; accelerators",
        )
    ]


def cpx_claim(tables: Tables) -> list[dict]:
    """Rubin CPX as a prefill accelerator: needs its compute and bandwidth figures."""
    row = tables.accelerators.filter(pl.col("accelerator_id") == "nvidia_rubin_cpx")
    needed = ["fp4_dense_tflops", "fp8_dense_tflops", "memory_bw_tb_s", "tdp_w"]
    missing = [c for c in needed if row.height == 0 or row[c][0] is None]
    return [
        _claim(
            "cpx_prefill",
            "Rubin CPX (compute-dense, GDDR7) could replace GPUs in the prefill pool of disaggregated serving.",
            "qualitative",
            f"accelerators row nvidia_rubin_cpx lacks {', '.join(missing)}" if missing else "figures present",
            "cannot be checked" if missing else "partly",
            "dense peak, memory bandwidth and power of Rubin CPX in the tables",
            row["notes"][0] if row.height else "no row",
            row["source"][0] if row.height else "accelerators",
        )
    ]


def all_claims(
    s: dis.Scenario, draft: dis.Scenario, tables: Tables, points: pl.DataFrame, levels, t: Thresholds = Thresholds()
) -> pl.DataFrame:
    """Every seed claim of issue 7 with its verdict, as one frame."""
    rows = (
        stage_claims(s, t)
        + split_claims(s, t)
        + afd_claims(s, points, t, tables.inference_benchmarks)
        + cerebras_claims(s, tables, t)
        + economics_claims(s, points, levels)
        + speculative_claims(s, draft, t)
        + cpx_claim(tables)
    )
    return pl.DataFrame(rows)
