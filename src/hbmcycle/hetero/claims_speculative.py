"""Speculative decoding on SRAM chips: LPX drafts, the GPUs verify, at batch 1 and above, with the drafter's chips priced.

Speed-up per user from :mod:`hbmcycle.hetero.speculative`; $/Mtok of the GPUs plus the LPUs that
hold the draft model and its KV cache, against plain decoding on the same GPUs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import numeric_flip, would_change
from hbmcycle.claims.seed import judged
from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.claims import Context, _first
from hbmcycle.hetero.speculative import draft_step_seconds, speedup, verify_seconds
from hbmcycle.inference.step_time import decode_step


def speculative_claims(c: Context, draft: dis.Scenario) -> tuple[list, list]:
    """LPX drafts, Rubin verifies: speed-up per user and $/Mtok with the drafter's chips priced, at several batches."""
    s, cfg = c.s, c.cfg
    seed = c.seeds["lpx_spec_decode_blog"]
    g = float(
        dis.chips_to_hold(
            s.model.total_params[0] * s.weight_bytes, s.gpu.hw.memory_bytes[0], s.gpu_eff.reserve_fraction
        )
    )
    gamma = cfg["draft_length"]
    sram_eff = replace(s.sram_eff, allreduce_latency_s=s.assumptions.sram_collective_latency_s)

    def outcome(batch: float, alpha: float) -> tuple[float, float, float, float]:
        kv = _first(draft.model.kv_bytes_per_sequence(s.context, s.kv_bytes))
        lpus = float(
            dis.chips_to_hold(
                draft.model.total_params[0] * s.weight_bytes + batch * kv,
                s.lpu.hw.memory_bytes[0],
                s.assumptions.sram_reserve_fraction,
            )
        )
        target = _first(
            decode_step(s.model, s.gpu.hw, batch, s.context, g, s.weight_bytes, s.kv_bytes, s.gpu_eff).step_s
        )
        verify = _first(
            verify_seconds(s.model, s.gpu.hw, batch, s.context, gamma, g, s.weight_bytes, s.kv_bytes, s.gpu_eff)
        )
        on_gpu = draft_step_seconds(draft.model, s.gpu.hw, batch, s.context, g, s.weight_bytes, s.kv_bytes, s.gpu_eff)
        on_lpu = draft_step_seconds(draft.model, s.lpu.hw, batch, s.context, lpus, s.weight_bytes, s.kv_bytes, sram_eff)
        up_lpu, up_gpu = (_first(speedup(alpha, gamma, t, target, verify)) for t in (on_lpu, on_gpu))
        price = lambda chip: np.sqrt(chip.usd_per_hour[0] * chip.usd_per_hour[1])
        usd = lambda hourly, rate: hourly / (rate * 3600) * 1e6
        plain = usd(g * price(s.gpu), batch / target)
        with_lpu = usd(g * price(s.gpu) + lpus * price(s.lpu), batch * up_lpu / target)
        return up_lpu, up_gpu, with_lpu / plain, lpus

    batches = cfg["speculative_batches"]
    judge = lambda alpha: v.by_flags(
        [(lambda o: o[0] >= cfg["speculative_gain"] and o[0] > o[1])(outcome(b, alpha)) for b in batches]
    )
    results = [outcome(b, cfg["acceptance"]) for b in batches]
    evidence = "; ".join(
        f"batch {b:g}: x{o[0]:.2f} with the draft on {o[3]:g} {s.lpu.accelerator_id} vs x{o[1]:.2f} on the "
        f"{g:g} GPUs, $/Mtok x{o[2]:.2f} of plain decoding with the drafter's chips priced"
        for b, o in zip(batches, results)
    )
    flips = [numeric_flip(seed.claim_id, "acceptance rate", "", judge, cfg["acceptance"], np.linspace(0.3, 0.95, 14))]
    return [
        judged(
            seed,
            verdict=judge(cfg["acceptance"]),
            scope=f"{draft.model.model_id[0]} drafting for {s.model.model_id[0]}, context {s.context:,.0f}, "
            f"acceptance {cfg['acceptance']:g}, draft length {gamma}, batches {', '.join(f'{b:g}' for b in batches)}",
            evidence=evidence,
            evidence_kind="modelled",
            threshold=f"at every batch: >= {cfg['speculative_gain']:g}x and faster than a GPU-hosted draft; some batches partly",
            sources="llm_models; accelerators; rental_prices; tco_inputs",
            would_change=would_change(flips),
        )
    ], flips
