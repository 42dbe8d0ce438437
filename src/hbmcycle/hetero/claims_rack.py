"""The Blackwell claim judged in scope with the rack-scale serving model (issue 12).

"On Blackwell, at 400-500 tokens/s per user, only a tiny handful of concurrent requests": a
GPU-only rack, so :mod:`hbmcycle.inference.system` answers it at the chart's scope (a
trillion-parameter MoE in FP4 at long context on one NVL72, continuous batching with chunked
prefill, prefill-decode disaggregation tried, expert-parallel groups within the NVLink domain).
Requests in flight on the rack = running sequences per group x groups per rack.
"""

from __future__ import annotations

import math

import numpy as np

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import choice_flip, numeric_flip, would_change
from hbmcycle.claims.seed import judged
from hbmcycle.hetero.rack import best_points, rack, single_request_speed
from hbmcycle.hetero.steps import STACKS


def rack_requests(
    tables, accelerator_id: str, cfg: dict, min_speed: float, context: float, stack: str = "calibrated"
) -> tuple[float, str]:
    """Most requests in flight on one rack at >= ``min_speed`` tokens/s per user, and how (0 if none qualifies).

    ``stack`` "lean" swaps the fitted overheads for the lean stack's (a sensitivity).
    """
    r = rack(tables, accelerator_id, cfg, context, stack)
    peak = single_request_speed(r)
    best, how = 0.0, f"no configuration reaches the speed; one request alone gets {peak:,.0f} tokens/s/user"
    for label, point in best_points(r, min_speed).items():
        requests = point["concurrency"] * r.gpus / point["group_size"]
        if label == "disaggregated":  # the prefill pool takes part of the rack
            requests /= 1.0 + point["prefill_per_decode_accelerator"]
        if requests > best:
            best = requests
            how = (
                f"{label}, groups of {point['group_size']}, {point['concurrency']} sequences each at "
                f"{point['per_user_tokens_per_s']:,.0f} tokens/s/user"
            )
    return best, how


def grade_handful(requests: float, handful: float) -> str:
    """At most ``handful`` requests holds, up to 4x that partly, more does not hold."""
    if not math.isfinite(requests):
        return v.UNCHECKABLE
    return v.HOLDS if requests <= handful else (v.PARTLY if requests <= 4 * handful else v.FAILS)


def blackwell_claims(c, tables) -> tuple[list, list]:
    """blackwell_400_500_small_batch and its Chinese twin, at the chart's scope on the baseline GPU's rack."""
    cfg, seeds = c.cfg, c.seeds
    gpu = c.s.baseline_gpu.accelerator_id
    speed, context, handful = seeds["blackwell_400_500_small_batch"].value, cfg["in_scope_context"], cfg["handful"]
    requests, how = rack_requests(tables, gpu, cfg, speed, context)
    judge = lambda L: grade_handful(rack_requests(tables, gpu, cfg, speed, L)[0], handful)
    stacks = {
        stack: grade_handful(rack_requests(tables, gpu, cfg, speed, context, stack)[0], handful) for stack in STACKS
    }
    flips = [
        numeric_flip(
            "blackwell_400_500_small_batch",
            "context",
            "tokens",
            judge,
            context,
            np.geomspace(1024, 131072, 8),
            refine=3,
        ),
        choice_flip("blackwell_400_500_small_batch", "serving stack", stacks, "calibrated"),
    ]
    scope = (
        f"one {gpu} rack (NVLink domain), {cfg['in_scope_model']} in {cfg['in_scope_weights']}, "
        f"{context:,.0f}-token prompts, {cfg['in_scope_output_tokens']:,.0f} output tokens, rack-scale serving model "
        "(chunked prefill, prefill-decode disaggregation tried)"
    )
    out = []
    for claim_id in ("blackwell_400_500_small_batch", "blackwell_400_500_zh"):
        out.append(
            judged(
                seeds[claim_id],
                verdict=grade_handful(requests, handful),
                scope=scope,
                evidence=f"{requests:,.0f} requests in flight at >= {speed:g} tokens/s/user ({how})",
                evidence_kind="modelled",
                threshold=f"<= {handful:g} requests per rack holds, <= {4 * handful:g} partly",
                sources="accelerators; llm_models; engine constants (calibration and software maturity)",
                would_change=would_change(flips),
            )
        )
    return out, flips
