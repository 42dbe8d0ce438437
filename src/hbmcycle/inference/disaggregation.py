"""Prefill-decode disaggregation: separate pools, KV transfer between them, pool ratio optimised.

The decode pool runs only decode iterations (:func:`serving.serve` with no prefill work), so
its TPOT has no prefill chunks in it (p90 = median). A prefill group of the same size ``g``
processes prompt chunks of ``T`` tokens in ``t_chunk`` seconds, i.e. ``T / (g t_chunk)``
prompt tokens/s per accelerator. The decode pool's output rate ``r_d`` per accelerator needs
``r_d I (1 - h) / O`` prompt tokens/s, so at prefill utilisation ``rho`` the pools hold

    prefill accelerators per decode accelerator  x = r_d I (1 - h) / O / (rho x prefill rate)
    system tokens/s per accelerator              = r_d / (1 + x)

TTFT = k t_chunk (1 + rho / (2 (1 - rho))) + KV bytes of the prompt / (g x KV link), with
``k = ceil(I (1 - h) / T)`` and the M/D/1 wait of a pool at utilisation ``rho``; the p90 uses
the p90 prompt and ln(10) x the mean wait. The ratio is optimised over a grid of ``rho``
together with group size and concurrency.
"""

from __future__ import annotations

import numpy as np

from hbmcycle.inference.hardware import usable_group
from hbmcycle.inference.serving import LN10, iteration_seconds, serve
from hbmcycle.inference.system import concurrency_grid, group_sizes, moe_settings

PREFILL_UTILISATIONS = np.array([0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])


def prefill_rate_per_accelerator(model, hw, chunk, traffic, groups, weight_bytes, kv_bytes, eff, maturity, moe):
    """(t_chunk s, prompt tokens/s per accelerator) of prefill groups of ``groups`` running chunks of ``chunk`` tokens.

    ``T / (g t_chunk)`` with ``t_chunk`` one iteration of ``T`` prompt tokens and no decodes.
    """
    t_chunk = iteration_seconds(model, hw, 0.0, chunk, traffic, groups, weight_bytes, kv_bytes, eff, maturity, moe)[0]
    return t_chunk, chunk / (groups * t_chunk)


def prefill_per_decode(decode_tokens_per_s, traffic, rho, prefill_rate):
    """Prefill accelerators needed per decode accelerator: ``x = r_d I (1 - h) / O / (rho x prefill rate)``.

    ``decode_tokens_per_s`` is the output rate each decode accelerator (or unit of the pool) keeps up.
    """
    fresh = traffic.input_tokens * (1.0 - traffic.prefix_hit_rate)
    return decode_tokens_per_s * fresh / traffic.output_tokens / (rho * prefill_rate)


def best_disaggregated(model, hw, spec, limits, gpus, weight_bytes, kv_bytes, eff, assumptions, maturity=1.0):
    """Best disaggregated point (dict like :func:`system.best_point`, plus the pool ratio) or None."""
    traffic = spec.traffic()
    decode_traffic = traffic._replace(prefix_hit_rate=np.array(1.0))  # the decode pool prefills nothing
    groups = group_sizes(gpus, float(hw.scaleup_domain_size[0])).reshape(-1, 1, 1)
    cap, chunk = float(assumptions.engine_batch_cap), float(assumptions.prefill_chunk_tokens)
    conc = concurrency_grid(cap).reshape(1, -1, 1)
    rho = PREFILL_UTILISATIONS.reshape(1, 1, -1)
    moe = moe_settings(assumptions)
    decode = serve(model, hw, decode_traffic, conc, groups, weight_bytes, kv_bytes, eff, maturity, chunk, moe)
    args = (traffic, groups, weight_bytes, kv_bytes, eff, maturity, moe)
    t_chunk, prefill_rate = prefill_rate_per_accelerator(model, hw, chunk, *args)
    ratio = prefill_per_decode(decode.tokens_per_s_per_accelerator, traffic, rho, prefill_rate)
    per_acc = decode.tokens_per_s_per_accelerator / (1.0 + ratio)
    wait = rho / (2.0 * (1.0 - rho))
    transfer = model.kv_bytes_per_sequence(traffic.input_tokens, kv_bytes)
    transfer = transfer / (groups * assumptions.kv_transfer_bytes_s)
    fresh = traffic.input_tokens * (1.0 - traffic.prefix_hit_rate)
    fresh_p90 = traffic.input_tokens_p90 * (1.0 - traffic.prefix_hit_rate)
    ttft = np.ceil(fresh / chunk) * t_chunk * (1.0 + wait) + transfer
    ttft_p90 = np.ceil(fresh_p90 / chunk) * t_chunk * (1.0 + LN10 * wait) + transfer
    ok = (conc <= decode.max_concurrency) & (conc <= cap) & usable_group(hw, groups)
    ok = ok & (ttft_p90 * 1e3 <= limits.ttft_ms) & (decode.tpot_s * 1e3 <= limits.tpot_ms)
    ok = ok & (1.0 / decode.tpot_s >= limits.min_per_user_tokens_per_s) & np.isfinite(per_acc)
    if not ok.any():
        return None
    score = np.where(ok, per_acc, -np.inf)
    index = np.unravel_index(np.argmax(score), score.shape)
    pick = lambda a: float(np.broadcast_to(a, score.shape)[index])
    return {
        "group_size": int(pick(groups)),
        "concurrency": int(pick(conc)),
        "max_concurrency": int(pick(decode.max_concurrency)),
        "tokens_per_s_per_accelerator": pick(per_acc),
        "output_tokens_per_s": pick(per_acc) * gpus,
        "per_user_tokens_per_s": 1.0 / pick(decode.tpot_s),
        "ttft_ms": pick(ttft) * 1e3,
        "ttft_p90_ms": pick(ttft_p90) * 1e3,
        "tpot_ms": pick(decode.tpot_s) * 1e3,
        "tpot_p90_ms": pick(decode.tpot_s) * 1e3,
        "bound": "compute" if pick(decode.compute_bound) else "bandwidth",
        "prefill_per_decode_accelerator": pick(ratio),
        "prefill_utilisation": pick(rho),
    }
