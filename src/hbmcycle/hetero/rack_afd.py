"""Attention-FFN disaggregation (AFD) at rack scale on the serving model: GPU attention + LPX experts.

Units: seconds, bytes, tokens, kW. A decode pool of ``G`` GPUs of one NVL72 (``G`` up to its
NVLink domain) runs attention data-parallel, as the serving model runs a MoE's attention: every
GPU holds the always-active weights ``a`` (attention, shared experts, dense layers, output head;
replicated) and the KV cache of its ``C / G`` sequences. The routed experts (``E`` experts of
``e`` parameters) live on ``N`` SRAM chips (Groq LP30 in LPX racks), expert-parallel:

    N_min = ceil(E e b_w / (S (1 - r_s)))      (S SRAM bytes per chip, r_s its reserve); N = N_min x {1, 2, 4}

One decode step of ``C`` sequences runs in ``m`` ping-pong micro-batches of ``b = C / m``. Per
layer (the serving model's roofline of the step, :func:`hbmcycle.inference.serving.iteration_seconds`,
on an attention-only and an expert-only view of the model, divided over the layers):

    t_a = max(t_mem, t_comp)[attention view, one GPU, b / G sequences] / layers + t_layer0
    t_f = max(t_mem, t_comp)[expert view, N chips, b tokens, load imbalance u] / layers + t_layer0
    t_h = hop + b k hidden b_act / (G link)          one way: each token's hidden state to its k experts
    T   = max(m t_a, m t_f, t_a + t_f + 2 t_h)       (each pool's busy time or one micro-batch's round trip)
    t_step = layers T + t_step0 + C t_seq0

as :func:`hbmcycle.hetero.steps.afd_step` does per layer (the bytes of a hop count the k experts
each token visits). Per-user speed ``1 / t_step``, output ``C / t_step``. A point fits when a
GPU holds ``a b_w + (C / G) kv(I + O)`` in its usable HBM and ``C`` is within the engine's batch
cap. Prefill runs on a separate pool of the same GPUs, sized with the prefill rate ``R``
(prompt tokens/s per GPU, best group) of :mod:`hbmcycle.inference.disaggregation` at the
highest prefill utilisation ``rho`` it tries (the chart claims set no TTFT limit):

    P = (C / t_step) I (1 - h) / O / (rho R)
    power = (G + P) p_gpu + N p_lpu f          tokens/s per MW = 1000 (C / t_step) / power

``p_gpu`` is rack power / GPUs (``systems``); ``p_lpu`` the LP30's power proxy
(:func:`hbmcycle.hetero.economics.chip_power_kw`: no LP30 or LPX power is published), mid of its
range, and ``f`` a sensitivity factor on it. Both pools pay the engine's fitted per-layer
overhead ``t_layer0`` (fitted on GPU engines; a statically scheduled LPU may pay less: the lean
stack's overheads are the sensitivity). Not modelled: communication inside the LPX pool (each
token goes straight to the chips holding its experts) and the GPU's NIC contention beyond ``link``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from hbmcycle.hetero.economics import EconomicsAssumptions, chip_power_kw
from hbmcycle.hetero.rack import Rack, chip_row, maturity, rack
from hbmcycle.hetero.steps import Assumptions, chips_to_hold
from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.disaggregation import PREFILL_UTILISATIONS, prefill_per_decode, prefill_rate_per_accelerator
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.operating import hardware_with_fallback
from hbmcycle.inference.serving import iteration_seconds
from hbmcycle.inference.system import concurrency_grid, group_sizes, moe_settings

LPU_MULTIPLES = np.array([1.0, 2.0, 4.0])  # the fewest chips that hold the experts, and 2x, 4x as many


def attention_view(model: ModelArrays) -> ModelArrays:
    """The GPU side: the always-active weights and the KV cache, no routed experts."""
    zero = np.zeros_like(model.experts)
    active = model.always_active_params
    return replace(model, total_params=active, active_params=active, expert_params=zero, experts=zero,
                   experts_per_token=zero)  # fmt: skip


def expert_view(model: ModelArrays) -> ModelArrays:
    """The SRAM side: the routed experts only (no KV cache, no attention, no always-active weights)."""
    embedding = model.input_embedding_params
    zero = np.zeros_like(model.experts)
    return replace(
        model,
        total_params=model.experts * model.expert_params + embedding,
        active_params=model.experts_per_token * model.expert_params + embedding,
        always_active_params=embedding,
        kv_elements_per_token=zero,
        attention_flops_per_context_token=zero,
    )


@dataclass(frozen=True)
class AfdSystem:
    """A GPU decode rack, the SRAM chip that holds the experts, and the hop between them."""

    gpu: Rack
    lpu_hw: HardwareArrays
    lpu_maturity: float
    lpu_kw: float  # mid of the power proxy's range
    hop: Assumptions  # hop latency, link per GPU, SRAM reserve, micro-batches

    @property
    def min_lpus(self) -> float:
        m = self.gpu.model
        need = m.experts[0] * m.expert_params[0] * self.gpu.weight_bytes
        return float(chips_to_hold(need, self.lpu_hw.memory_bytes[0], self.hop.sram_reserve_fraction))


def afd_system(tables, gpu_id: str, lpu_id: str, cfg: dict, context: float, stack: str, hop: Assumptions) -> AfdSystem:
    """The AFD system of ``gpu_id`` racks and ``lpu_id`` chips at the in-scope workload (``cfg``)."""
    row = chip_row(tables, lpu_id)
    low, high, _ = chip_power_kw(lpu_id, tables.accelerators, tables.systems, EconomicsAssumptions())
    return AfdSystem(
        gpu=rack(tables, gpu_id, cfg, context, stack),
        lpu_hw=hardware_with_fallback(row, cfg["in_scope_weights"])[0],
        lpu_maturity=maturity(row, cfg["in_scope_weights"]),
        lpu_kw=(low * high) ** 0.5,
        hop=hop,
    )


def prefill_rate(r: Rack) -> float:
    """Prompt tokens/s per GPU of the best prefill group on ``r``'s GPUs (inference.disaggregation's rate)."""
    groups = group_sizes(r.gpus, float(r.hw.scaleup_domain_size[0]))
    chunk = float(r.assumed.prefill_chunk_tokens)
    args = (r.spec.traffic(), groups, r.weight_bytes, r.kv_bytes, r.eff, r.maturity, moe_settings(r.assumed))
    return float(np.nanmax(prefill_rate_per_accelerator(r.model, r.hw, chunk, *args)[1]))


def _layer_seconds(a: AfdSystem, gpus, lpus, sequences, microbatches):
    """(t_a, t_f, t_h) per layer for one micro-batch (module docstring)."""
    r, m = a.gpu, a.gpu.model
    traffic = r.spec.traffic()
    b = sequences / microbatches
    att = iteration_seconds(attention_view(m), r.hw, b / gpus, 0.0, traffic, 1.0, r.weight_bytes, r.kv_bytes,
                            r.eff, r.maturity)  # fmt: skip
    imbalance = moe_settings(r.assumed)[0]
    ffn = iteration_seconds(expert_view(m), a.lpu_hw, b, 0.0, traffic, lpus, r.weight_bytes, 0.0, r.eff,
                            a.lpu_maturity, (imbalance, 0.0))  # fmt: skip
    layer0 = r.eff.layer_overhead_s
    t_a = np.maximum(att[1], att[2]) / m.layers + layer0
    t_f = np.maximum(ffn[1], ffn[2]) / m.layers + layer0
    volume = b * m.experts_per_token * m.hidden_size * r.eff.activation_bytes
    t_h = a.hop.hop_latency_s + volume / (gpus * a.hop.link_bytes_s_per_gpu)
    return t_a, t_f, t_h


def afd_points(a: AfdSystem, lpu_power_factor: float = 1.0) -> pl.DataFrame:
    """Every feasible (decode GPUs, LPUs, sequences, micro-batches) point with speed, chips and power."""
    r, m = a.gpu, a.gpu.model
    gpus = group_sizes(r.gpus, float(r.hw.scaleup_domain_size[0])).reshape(-1, 1, 1, 1)
    lpus = (a.min_lpus * LPU_MULTIPLES).reshape(1, -1, 1, 1)
    cap = float(r.assumed.engine_batch_cap)
    sequences = concurrency_grid(cap).reshape(1, 1, -1, 1)
    mb = np.array(a.hop.microbatches, dtype=float).reshape(1, 1, 1, -1)
    t_a, t_f, t_h = _layer_seconds(a, gpus, lpus, sequences, mb)
    layer = np.maximum(np.maximum(mb * t_a, mb * t_f), t_a + t_f + 2.0 * t_h)
    step = m.layers * layer + r.eff.step_overhead_s + sequences * r.eff.sequence_overhead_s
    usable = r.hw.memory_bytes * (1.0 - r.eff.reserve_fraction) - m.always_active_params * r.weight_bytes
    per_sequence = m.kv_bytes_per_sequence(r.spec.input_tokens + r.spec.output_tokens, r.kv_bytes)
    fits = (sequences / gpus * per_sequence <= usable) & (sequences <= cap) & np.isfinite(step)
    rate = sequences / step
    prefill_gpus = prefill_per_decode(rate, r.spec.traffic(), PREFILL_UTILISATIONS.max(), prefill_rate(r))
    power = (gpus + prefill_gpus) * r.kw_per_gpu + lpus * a.lpu_kw * lpu_power_factor
    shape = np.broadcast_shapes(step.shape, gpus.shape, lpus.shape, mb.shape)
    col = lambda x: np.broadcast_to(np.asarray(x, dtype=float), shape)[np.broadcast_to(fits, shape)]
    return pl.DataFrame(
        {
            "decode_gpus": col(gpus),
            "lpus": col(lpus),
            "prefill_gpus": col(prefill_gpus),
            "sequences": col(sequences),
            "microbatches": col(mb),
            "step_ms": col(step) * 1e3,
            "per_user_tokens_per_s": col(1.0 / step),
            "tokens_per_s": col(rate),
            "power_kw": col(power),
            "tokens_per_s_per_mw": col(rate / power * 1e3),
        }
    )


def best_per_mw(points: pl.DataFrame, min_speed: float) -> tuple[float, str]:
    """(tokens/s per MW, how) of the best AFD point at >= ``min_speed`` tokens/s per user; (0, why) if none."""
    fast = points.filter(pl.col("per_user_tokens_per_s") >= min_speed)
    if not fast.height:
        return 0.0, f"no AFD configuration reaches {min_speed:,.0f} tokens/s/user"
    best = fast.sort("tokens_per_s_per_mw", descending=True).row(0, named=True)
    return best["tokens_per_s_per_mw"], (
        f"{best['decode_gpus']:g} decode GPUs + {best['prefill_gpus']:.1f} prefill GPUs + {best['lpus']:g} LPUs, "
        f"{best['sequences']:g} sequences in {best['microbatches']:g} micro-batches at "
        f"{best['per_user_tokens_per_s']:,.0f} tokens/s/user"
    )
