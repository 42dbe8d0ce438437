"""A serving system on top of the step engine: continuous batching with chunked prefill.

Units: tokens, seconds, bytes, FLOPs; every input broadcasts (numpy), so one call evaluates a
grid of (accelerator, model, workload, precision, group size, concurrency) points.

Steady state of a group of ``G`` accelerators running ``C`` sequences at once, requests of
``I`` prompt tokens (a fraction ``h`` of them already in a prefix cache) and ``O`` output
tokens. Each iteration decodes one token for every running sequence and, to keep ``C``
sequences running, prefills on average ``P = C I (1 - h) / O`` fresh prompt tokens
(C / O requests finish per iteration and as many start):

    n        = C + P                                             tokens in the iteration
    bytes    = W(n) b_w / eta_bw + (C Lc(I + O/2) + P) kv_tok b_kv / eta_kv
    t_mem    = bytes / (G BW m)
    t_comp   = [2 N_mm n / eta_gemm + C a_attn Lc(I + O/2) / eta_c
                + (C / O) a_attn pairs / eta_pf] / (G P_peak m)
    t_iter   = max(t_mem, t_comp) + t_comm(n) + t_step0 + n_layers t_layer0 + C t_seq0

with eta_gemm = eta_pf when the iteration carries prompt tokens (its GEMMs have M = n rows,
the prefill regime), else eta_c; ``m`` the fitted software-maturity factor of the stack
(vendor x precision; 1 when not fitted); ``pairs`` the causal (query, key) pairs of the fresh
prompt tokens; t_comm the tensor-parallel all-reduces, or for a MoE model on G > 1 the
expert-parallel all-to-all with the busiest device's extra expert load (``expert_parallel``).
Output tokens/s of the group = C / t_iter; per user, 1 / t_iter; TPOT (median) = t_iter.

Latency. The chunked-prefill budget ``T`` tokens per iteration leaves ``T - C`` for prompts, so
a prompt needs ``k = ceil(I (1 - h) / (T - C))`` iterations of a full budget (``t_full``):
TTFT = k t_full x (1 + rho / (2 (1 - rho))) with utilisation rho = P / (T - C) (an M/D/1
queueing wait; rho >= 1 is unstable: TTFT infinite). A request's TPOT, as MLPerf measures it
((latency - TTFT) / (output tokens - 1)), averages over its O iterations, so its spread
across requests is small and the p90 TPOT is taken as the mean iteration. The p90 TTFT uses
the p90 prompt length and a wait of ln(10) times the mean wait (exponential tail).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.expert_parallel import all_to_all_seconds, expert_share
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.parallel import tensor_parallel_seconds
from hbmcycle.inference.step_time import Efficiency

LN10 = float(np.log(10.0))


class Traffic(NamedTuple):
    """Per-request token counts (arrays broadcast against the grid)."""

    input_tokens: np.ndarray
    output_tokens: np.ndarray
    input_tokens_p90: np.ndarray
    prefix_hit_rate: np.ndarray


class ServingPoint(NamedTuple):
    """Steady-state figures of every grid point (seconds, tokens/s, sequences)."""

    iteration_s: np.ndarray
    output_tokens_per_s: np.ndarray  # whole group
    tokens_per_s_per_accelerator: np.ndarray
    tpot_s: np.ndarray  # median
    tpot_p90_s: np.ndarray
    ttft_s: np.ndarray  # median
    ttft_p90_s: np.ndarray
    max_concurrency: np.ndarray  # sequences of I + O tokens that fit beside the weights
    compute_bound: np.ndarray  # t_comp >= t_mem in the mean iteration


def causal_pairs(model: ModelArrays, prompt_tokens, cached_tokens) -> np.ndarray:
    """(query, key) pairs scored when ``prompt_tokens - cached_tokens`` fresh tokens follow a cached prefix.

    Full-attention equivalent: L^2 / 2 - c^2 / 2 for full layers; windowed layers see at most W keys.
    """
    length = np.asarray(prompt_tokens, dtype=float)
    cached = np.asarray(cached_tokens, dtype=float)
    full = (length**2 - cached**2) / 2.0
    window = np.minimum(model.sliding_window, length)
    windowed = np.minimum(full, window * (length - cached))
    f = model.sliding_layer_fraction
    return (1.0 - f) * full + f * windowed


def iteration_seconds(
    model, hw, concurrency, prefill_tokens, traffic: Traffic, group, weight_bytes, kv_bytes, eff, maturity, moe=None
):
    """(t_iter, t_mem, t_comp) of one iteration with ``concurrency`` decodes and ``prefill_tokens`` prompt tokens.

    ``moe`` = (imbalance, all-to-all latency s): MoE models on a group of G > 1 run expert
    parallelism (:mod:`expert_parallel`); None keeps the tensor-parallel all-reduce for all.
    """
    c = np.asarray(concurrency, dtype=float)
    p = np.asarray(prefill_tokens, dtype=float)
    group = np.asarray(group, dtype=float)
    fresh = traffic.input_tokens * (1.0 - traffic.prefix_hit_rate)
    cached_ctx = model.cached_tokens(traffic.input_tokens + traffic.output_tokens / 2.0)
    tokens = c + p
    imbalance, all_to_all_latency_s = moe if moe is not None else (1.0, 0.0)
    expert_parallel = (model.experts > 0) & (group > 1.0) & (moe is not None)
    extra = np.where(expert_parallel, imbalance - 1.0, 0.0)  # the busiest device's extra expert load
    expert_read, expert_mm = expert_share(model, tokens)
    kv_elements = (c * cached_ctx + p) * model.kv_elements_per_token
    memory_bytes = (model.weight_params_read(tokens) + extra * expert_read) * (weight_bytes / eff.bandwidth)
    memory_bytes = memory_bytes + kv_elements * (kv_bytes / eff.kv_bandwidth)
    memory_s = memory_bytes / (group * hw.bandwidth_bytes_s * maturity)
    requests = p / np.where(fresh > 0, fresh, 1.0)  # prompts whose prefill this iteration carries
    pairs = causal_pairs(model, traffic.input_tokens, traffic.input_tokens - fresh)
    # A mixed iteration multiplies all C + P tokens in the same GEMMs (M = C + P, the shape the
    # prefill rows measured), so they run at the prefill efficiency; decode-only iterations
    # (P = 0) at the decode efficiency. Attention keeps its own kind's efficiency.
    gemm_efficiency = np.where(p > 0, eff.prefill_compute, eff.compute)
    gemm_flops = 2.0 * (model.matmul_params + extra * expert_mm) * tokens
    decode_attention = c * model.attention_flops_per_context_token * cached_ctx
    prefill_attention = requests * model.attention_flops_per_context_token * pairs
    work = gemm_flops / gemm_efficiency + decode_attention / eff.compute + prefill_attention / eff.prefill_compute
    compute_s = work / (group * hw.peak_flops_s * maturity)
    link = (hw.link_bytes_s, eff.activation_bytes)
    comm_s = np.where(
        expert_parallel,
        all_to_all_seconds(tokens, model, group, link[0], all_to_all_latency_s, link[1]),
        tensor_parallel_seconds(
            tokens, model.hidden_size, model.layers, group, link[0], eff.allreduce_latency_s, link[1]
        ),
    )
    overhead_s = eff.step_overhead_s + model.layers * eff.layer_overhead_s + c * eff.sequence_overhead_s
    return np.maximum(memory_s, compute_s) + comm_s + overhead_s, memory_s, compute_s


def max_concurrency(model, hw, traffic: Traffic, group, weight_bytes, kv_bytes, reserve_fraction) -> np.ndarray:
    """Sequences of ``I + O`` tokens whose KV cache fits beside the weights (the engine's admission limit)."""
    free = np.asarray(group, dtype=float) * hw.memory_bytes * (1.0 - reserve_fraction)
    free = free - model.total_params * weight_bytes
    per_sequence = model.kv_bytes_per_sequence(traffic.input_tokens + traffic.output_tokens, kv_bytes)
    with np.errstate(invalid="ignore"):
        return np.fmax(np.floor(free / per_sequence), 0.0)


def serve(
    model: ModelArrays,
    hw: HardwareArrays,
    traffic: Traffic,
    concurrency,
    group,
    weight_bytes,
    kv_bytes,
    eff: Efficiency,
    maturity=1.0,
    chunk_tokens: float = 8192.0,
    moe: tuple[float, float] | None = None,
) -> ServingPoint:
    """Steady-state throughput and latencies at every broadcast point (formulas in the module docstring).

    ``moe`` = (load imbalance, all-to-all latency s) switches MoE models on groups of G > 1 to
    expert parallelism with attention data parallelism (:mod:`expert_parallel`).
    """
    c = np.asarray(concurrency, dtype=float)
    group = np.asarray(group, dtype=float)
    fresh = traffic.input_tokens * (1.0 - traffic.prefix_hit_rate)
    prefill = c * fresh / traffic.output_tokens
    args = (traffic, group, weight_bytes, kv_bytes, eff, maturity, moe)
    iteration, memory_s, compute_s = iteration_seconds(model, hw, c, prefill, *args)
    room = np.maximum(chunk_tokens - c, 1.0)  # prompt tokens an iteration can take
    full, _, _ = iteration_seconds(model, hw, c, np.maximum(prefill, room), *args)
    rho = prefill / room
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(rho < 1.0, rho / (2.0 * (1.0 - rho)), np.inf)
    fresh_p90 = traffic.input_tokens_p90 * (1.0 - traffic.prefix_hit_rate)
    ttft = np.ceil(fresh / room) * full * (1.0 + wait)
    ttft_p90 = np.ceil(fresh_p90 / room) * full * (1.0 + LN10 * wait)
    rate = c / iteration
    fits = max_concurrency(model, hw, traffic, group, weight_bytes, kv_bytes, eff.reserve_fraction)
    return ServingPoint(
        iteration_s=iteration,
        output_tokens_per_s=rate,
        tokens_per_s_per_accelerator=rate / group,
        tpot_s=iteration,
        tpot_p90_s=iteration,
        ttft_s=ttft,
        ttft_p90_s=ttft_p90,
        max_concurrency=fits,
        compute_bound=compute_s >= memory_s,
    )
