"""NVIDIA's GTC 2026 chart claims for Rubin + LPX (35x at 400 tokens/s, 1,000+ tokens/s): judged only in scope.

The chart is for a trillion-parameter MoE at long context in FP4 on NVL72 racks, served with
wide expert parallelism and disaggregated prefill. A scenario that misses any of these is
outside the claim's scope: the verdict is "not tested in scope", and the figures the model
computes there are shown as evidence of that scenario, not of the claim. (The chart's
GPU-only Blackwell claim is judged in scope by :mod:`hbmcycle.hetero.claims_rack`.)
"""

from __future__ import annotations

import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims.seed import judged
from hbmcycle.hetero.economics import at_interactivity
from hbmcycle.inference.precision import BYTES_PER_ELEMENT

# Why no scenario is in scope yet: the two sides of the ratio would come from different models.
SERVING_GAP = (
    "attention-FFN disaggregation onto LPX is not in the rack-scale serving model (hbmcycle.inference.system "
    "serves GPU-only racks), and hbmcycle.hetero's AFD model has tensor parallelism only (no expert "
    "parallelism or disaggregated prefill)"
)


def scope_gaps(c, in_scope_cfg: dict) -> list[str]:
    """Why the scenario is outside the chart's scope (empty list: in scope)."""
    s = c.s
    gaps = []
    params_b = float(s.model.total_params[0]) / 1e9
    if params_b < in_scope_cfg["in_scope_min_total_params_b"]:
        gaps.append(f"{s.model.model_id[0]} has {params_b:,.0f}B parameters, the chart's model ~1T")
    if s.context < in_scope_cfg["in_scope_min_context"]:
        gaps.append(f"context {s.context:,.0f} < {in_scope_cfg['in_scope_min_context']:,.0f} tokens")
    wanted = BYTES_PER_ELEMENT[in_scope_cfg["in_scope_weights"]]
    if s.weight_bytes != wanted:
        gaps.append(f"weights are not {in_scope_cfg['in_scope_weights']}")
    gaps.append(SERVING_GAP)
    return gaps


def _rates(points: pl.DataFrame, level: float) -> dict[str, dict]:
    at = at_interactivity(points, [level])
    return {r["option"]: r for r in at.iter_rows(named=True)}


def scenario_figures(c, level_35x: float, peak: float, useful_batch: float) -> dict[str, str]:
    """The model's figures for each chart claim on this scenario (evidence of the scenario, not of the claim)."""
    p, s = c.points, c.s
    afd = p.filter(pl.col("option") == "gpu_lpx_afd")
    rate = _rates(p, level_35x)
    if "gpu_lpx_afd" in rate and "gpu_baseline" in rate:
        ratio = rate["gpu_lpx_afd"]["tokens_per_s_per_mw"] / rate["gpu_baseline"]["tokens_per_s_per_mw"]
        text_35x = (
            f"tokens/s per MW at >= {level_35x:g} tokens/s/user: AFD x{ratio:.1f} of {s.baseline_gpu.accelerator_id}"
        )
    else:
        reached = ", ".join(sorted(rate))
        text_35x = (
            f"at >= {level_35x:g} tokens/s/user only {reached} reach the speed"
            if reached
            else f"no option reaches {level_35x:g} tokens/s/user"
        )
    fast = afd.filter(pl.col("per_user_tokens_per_s") >= peak)
    text_1000 = (
        f"AFD peak {afd['per_user_tokens_per_s'].max():,.0f} tokens/s/user; largest batch at >= {peak:,.0f}: "
        f"{fast['batch'].max() if fast.height else 0:g} (useful batch {useful_batch:g})"
    )
    return {"35x": text_35x, "1000": text_1000}


CHART_CLAIMS = {
    "rubin_lpx_35x_at_400": "35x",
    "rubin_lpx_35x_at_400_zh": "35x",
    "rubin_lpx_peak_1000": "1000",
    "rubin_lpx_peak_1000_zh": "1000",
}


def chart_claims(c, extra_scenarios: dict | None = None) -> tuple[list, list]:
    """One verdict per chart claim: "not tested in scope" with the reasons and the figures at each scenario tried.

    ``extra_scenarios`` maps a label to a further hetero Context (e.g. the trillion-parameter
    MoE at long context in FP4 with tensor parallelism only) whose figures are shown too.
    """
    cfg, seeds = c.cfg, c.seeds
    # the 35x is stated "at 400 tokens/s", the speed of the Blackwell claim's low end
    level = seeds["blackwell_400_500_small_batch"].value
    peak = seeds["rubin_lpx_peak_1000"].value
    tried = {c.where: (c, scope_gaps(c, cfg))}
    for label, other in (extra_scenarios or {}).items():
        tried[label] = (other, scope_gaps(other, cfg))
    figures = {label: scenario_figures(ctx, level, peak, cfg["useful_batch"]) for label, (ctx, _) in tried.items()}
    out = []
    for claim_id, key in CHART_CLAIMS.items():
        seed = seeds[claim_id]
        gaps = {label: g for label, (_, g) in tried.items()}
        evidence = " | ".join(f"{label}: {figures[label][key]}" for label in tried)
        out.append(
            judged(
                seed,
                # every scenario lacks the serving model (SERVING_GAP), so none is in scope
                verdict=v.OUT_OF_SCOPE,
                scope=" | ".join(f"{label}: outside the chart's scope ({'; '.join(g)})" for label, g in gaps.items()),
                evidence=evidence,
                evidence_kind="modelled",
                threshold="judged only for a >= 1T-parameter MoE at long context in FP4 with wide expert parallelism "
                "and disaggregated prefill (hetero/assumptions.yaml in_scope_*)",
                sources="inference_benchmarks:claim_nvidia_vera_rubin_lpx_vs_blackwell_throughput_per_mw; accelerators; systems",
                would_change=f"attention-FFN disaggregation in the rack-scale serving model, run on {cfg['in_scope_model']} "
                f"at {cfg['in_scope_context']:,.0f} tokens in {cfg['in_scope_weights']}",
            )
        )
    return out, []
