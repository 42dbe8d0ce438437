"""The Blackwell claim judged in scope with the rack-scale serving model (issue 12).

"On Blackwell, at 400-500 tokens/s per user, only a tiny handful of concurrent requests": a
GPU-only rack, so :func:`hbmcycle.inference.rack.rack_grid` answers it at the chart's scope (a
trillion-parameter MoE in FP4 at long context on one NVL72, continuous batching with chunked
prefill, prefill-decode disaggregation tried, expert-parallel groups within the NVLink domain).
Requests in flight on the rack = running sequences per group x groups per rack (less the prefill
pool's share when disaggregated), at the rack's best point (the most tokens/s) at the speed.
Where no point reaches the speed, the evidence names the fastest one request alone can be served
(:func:`hbmcycle.inference.rack.single_request_speed`).
"""

from __future__ import annotations

import math

import numpy as np

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import choice_flip, numeric_flip, would_change
from hbmcycle.claims.seed import judged
from hbmcycle.hetero.rack import Rack, best_points, best_points_at_contexts, describe, rack, single_request_speed
from hbmcycle.hetero.steps import STACKS


def rack_requests(r: Rack, point: dict) -> tuple[float, str]:
    """Requests in flight at a best rack point (:func:`hbmcycle.inference.rack.rack_grid`'s), and how (0 if none)."""
    if not point["requests"] > 0:
        fastest = single_request_speed(r)
        return 0.0, f"no configuration reaches the speed; one request alone gets at most {fastest:,.0f} tokens/s/user"
    return point["requests"], describe(point)


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
    calibrated = rack(tables, gpu, cfg, context)
    racks = {stack: calibrated.on_stack(stack) for stack in STACKS}  # "lean": the lean stack's overheads
    contexts = [float(L) for L in np.geomspace(1024, 131072, 8)]
    tried = [*contexts, float(context)]  # the flip grid and the base, in one rack search
    found = dict(zip(tried, best_points_at_contexts(racks["calibrated"], speed, tried), strict=True))

    def judge(L: float) -> str:
        if L not in found:
            (found[L],) = best_points_at_contexts(racks["calibrated"], speed, [L])
        return grade_handful(found[L]["requests"], handful)

    requests, how = rack_requests(racks["calibrated"], found[float(context)])
    at_base = {s: found[float(context)] if s == "calibrated" else best_points(r, [speed])[0] for s, r in racks.items()}
    stacks = {stack: grade_handful(point["requests"], handful) for stack, point in at_base.items()}
    flips = [
        numeric_flip(
            "blackwell_400_500_small_batch",
            "context",
            "tokens",
            judge,
            context,
            contexts,
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
