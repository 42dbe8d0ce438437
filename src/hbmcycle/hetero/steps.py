"""Decode-step physics of disaggregated, colocated and wafer-pipelined serving (per layer and per step).

Units: seconds, bytes, tokens. One decode step of a batch of ``B`` sequences split into ``m``
micro-batches of ``b = B / m``. Per layer, on an attention pool of ``G_a`` chips and an FFN
pool of ``G_f`` chips (weights and KV sharded over each pool, one all-reduce per stage):

    t_a = t_roofline(attention work(b), G_a) + t_layer0 + allreduce_a(b)
    t_f = t_roofline(FFN work(b), G_f)       + t_layer0 + allreduce_f(b)
    t_h = hop_latency + b * hidden * act_bytes / (G_a * link_per_gpu)        (one way)

Disaggregated pools work on different micro-batches at once (ping-pong), so a layer takes

    T = max(m t_a, m t_f, t_a + t_f + 2 t_h)

(each pool's busy time, or one micro-batch's own round trip, whichever is longer); on a single
colocated pool ``T = m (t_a + t_f)`` and ``m = 1`` is best. A Cerebras-style system pipelines
layers over ``w`` wafers (no scale-up fabric between them):

    T_step = max(m (layers / w) (t_a + t_f), layers (t_a + t_f) + w t_wafer_hop)

Then ``t_step = layers T + t_step0 + B t_seq0`` (or ``T_step + ...``), per-user speed
``1 / t_step`` and throughput ``B / t_step``. A point is feasible when the pool holding the KV
cache fits ``weights + B kv(L)`` in ``chips * capacity * (1 - reserve)`` and the FFN pool fits
its weights. Prefill is charged as extra chips: ``requests/s * t_prefill * chips_per_prefill``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hbmcycle import assumptions as assumption_files
from hbmcycle.hetero.stages import StageParams, decode_attention_work, decode_ffn_work, stage_seconds
from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.parallel import allreduce_seconds
from hbmcycle.inference.step_time import Efficiency


class DoesNotFitError(ValueError):
    """A configuration cannot hold the model (weights or KV cache exceed the pool's memory)."""


ASSUMPTIONS_PATH = Path(__file__).with_name("assumptions.yaml")


def settings() -> dict:
    """Every hetero assumption by name (``hetero/assumptions.yaml``, validated)."""
    return assumption_files.values(ASSUMPTIONS_PATH)


def _us(name: str) -> float:
    return settings()[name] * 1e-6


@dataclass(frozen=True)
class Assumptions:
    """Assumptions of the disaggregated model; defaults and their basis in ``hetero/assumptions.yaml``.

    ``hop_latency_s`` (one-way GPU <-> LPU message), ``link_bytes_s_per_gpu`` (GPU-side bandwidth
    of the hop), ``sram_collective_latency_s`` (one all-reduce on an SRAM-chip fabric),
    ``wafer_hop_latency_s`` (between pipelined wafers), ``sram_reserve_fraction`` and the
    ping-pong ``microbatches`` tried.
    """

    hop_latency_s: float = _us("hop_latency_us")
    link_bytes_s_per_gpu: float = settings()["link_gb_s_per_gpu"] * 1e9
    sram_collective_latency_s: float = _us("sram_collective_latency_us")
    wafer_hop_latency_s: float = _us("wafer_hop_latency_us")
    sram_reserve_fraction: float = settings()["sram_reserve_fraction"]
    microbatches: tuple[int, ...] = tuple(int(m) for m in settings()["microbatches"])


# Serving-stack overheads. "calibrated" keeps the fitted engine constants; "lean" (a sensitivity)
# assumes an optimised low-latency stack. Bandwidth and compute fractions stay calibrated in both.
LEAN_OVERHEADS = {
    "step_overhead_s": _us("lean_step_overhead_us"),
    "layer_overhead_s": _us("lean_layer_overhead_us"),
    "sequence_overhead_s": _us("lean_sequence_overhead_us"),
    "allreduce_latency_s": _us("lean_allreduce_latency_us"),
}
STACKS: tuple[str, ...] = ("lean", "calibrated")


def stack_efficiency(calibrated: Efficiency, stack: str) -> Efficiency:
    """The efficiency set for a serving stack: ``calibrated`` as fitted, or ``lean`` overheads."""
    if stack not in STACKS:
        raise ValueError(f"unknown stack {stack!r}; valid: {', '.join(STACKS)}")
    return calibrated if stack == "calibrated" else replace(calibrated, **LEAN_OVERHEADS)


def chips_to_hold(bytes_needed, capacity_bytes_per_chip, reserve_fraction: float) -> np.ndarray:
    """Fewest chips whose usable memory holds ``bytes_needed``: ``ceil(bytes / (capacity (1 - reserve)))``."""
    usable = np.asarray(capacity_bytes_per_chip, dtype=float) * (1.0 - reserve_fraction)
    return np.ceil(np.asarray(bytes_needed, dtype=float) / usable)


class Step(NamedTuple):
    """Arrays over the broadcast shape of the inputs."""

    step_s: np.ndarray
    attention_s: np.ndarray  # per layer, one micro-batch
    ffn_s: np.ndarray  # per layer, one micro-batch
    hop_s: np.ndarray  # per layer, one way
    fits: np.ndarray

    @property
    def per_user_tokens_per_s(self) -> np.ndarray:
        return 1.0 / self.step_s


def _attention_layer_s(sp, model, hw, chips, batch, context, wb, kvb, eff, collective_latency_s):
    work = decode_attention_work(sp, model, batch, context, wb, kvb)
    kv_share = 1.0 - sp.attention * wb / model.layers / work.bytes
    comm = allreduce_seconds(
        np.asarray(batch, dtype=float) * model.hidden_size * eff.activation_bytes,
        chips,
        hw.link_bytes_s,
        collective_latency_s,
    )
    return stage_seconds(work, hw, chips, 1.0, eff, kv_share) + eff.layer_overhead_s + comm


def _ffn_layer_s(sp, model, hw, chips, batch, wb, eff, collective_latency_s):
    work = decode_ffn_work(sp, model, batch, wb)
    comm = allreduce_seconds(
        np.asarray(batch, dtype=float) * model.hidden_size * eff.activation_bytes,
        chips,
        hw.link_bytes_s,
        collective_latency_s,
    )
    return stage_seconds(work, hw, chips, 1.0, eff) + eff.layer_overhead_s + comm


def afd_step(
    sp: StageParams,
    model: ModelArrays,
    gpu: HardwareArrays,
    gpus,
    lpu: HardwareArrays,
    lpus,
    batch,
    context,
    microbatches,
    weight_bytes: float,
    kv_bytes: float,
    gpu_eff: Efficiency,
    sram_eff: Efficiency,
    assumptions: Assumptions,
) -> Step:
    """Decode step with attention (and its KV cache) on ``gpus`` GPUs and the FFN on ``lpus`` SRAM chips."""
    batch = np.asarray(batch, dtype=float)
    m = np.asarray(microbatches, dtype=float)
    b = batch / m
    t_a = _attention_layer_s(
        sp, model, gpu, gpus, b, context, weight_bytes, kv_bytes, gpu_eff, gpu_eff.allreduce_latency_s
    )
    t_f = _ffn_layer_s(sp, model, lpu, lpus, b, weight_bytes, sram_eff, assumptions.sram_collective_latency_s)
    t_h = assumptions.hop_latency_s + b * model.hidden_size * gpu_eff.activation_bytes / (
        np.asarray(gpus, dtype=float) * assumptions.link_bytes_s_per_gpu
    )
    layer = np.maximum(np.maximum(m * t_a, m * t_f), t_a + t_f + 2.0 * t_h)
    step = model.layers * layer + gpu_eff.step_overhead_s + batch * gpu_eff.sequence_overhead_s
    gpu_fits = np.asarray(gpus, dtype=float) * gpu.memory_bytes * (
        1.0 - gpu_eff.reserve_fraction
    ) >= sp.attention * weight_bytes + batch * model.kv_bytes_per_sequence(context, kv_bytes)
    lpu_fits = (
        np.asarray(lpus, dtype=float) * lpu.memory_bytes * (1.0 - assumptions.sram_reserve_fraction)
        >= (sp.ffn_total + sp.head) * weight_bytes
    )
    return Step(step, t_a, t_f, t_h, gpu_fits & lpu_fits)


def colocated_step(
    sp: StageParams,
    model: ModelArrays,
    hw: HardwareArrays,
    chips,
    batch,
    context,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
    collective_latency_s: float,
    reserve_fraction: float,
) -> Step:
    """Decode step with weights and KV cache on one tensor-parallel pool of SRAM chips (Groq-style)."""
    batch = np.asarray(batch, dtype=float)
    t_a = _attention_layer_s(sp, model, hw, chips, batch, context, weight_bytes, kv_bytes, eff, collective_latency_s)
    t_f = _ffn_layer_s(sp, model, hw, chips, batch, weight_bytes, eff, collective_latency_s)
    step = model.layers * (t_a + t_f) + eff.step_overhead_s + batch * eff.sequence_overhead_s
    need = model.total_params * weight_bytes + batch * model.kv_bytes_per_sequence(context, kv_bytes)
    fits = np.asarray(chips, dtype=float) * hw.memory_bytes * (1.0 - reserve_fraction) >= need
    return Step(step, t_a, t_f, np.zeros_like(step), fits)


def wafer_pipeline_step(
    sp: StageParams,
    model: ModelArrays,
    hw: HardwareArrays,
    wafers,
    batch,
    context,
    microbatches,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
    assumptions: Assumptions,
) -> Step:
    """Decode step with the layers pipelined over ``wafers`` wafer-scale chips (Cerebras-style).

    A wafer has no scale-up peers (collective latency 0 inside it); ``microbatches`` sequences
    groups are in flight along the pipeline.
    """
    batch = np.asarray(batch, dtype=float)
    w = np.asarray(wafers, dtype=float)
    m = np.asarray(microbatches, dtype=float)
    b = batch / m
    t_a = _attention_layer_s(sp, model, hw, 1.0, b, context, weight_bytes, kv_bytes, eff, 0.0)
    t_f = _ffn_layer_s(sp, model, hw, 1.0, b, weight_bytes, eff, 0.0)
    chain = model.layers * (t_a + t_f) + w * assumptions.wafer_hop_latency_s
    busy = m * model.layers / w * (t_a + t_f)
    step = np.maximum(busy, chain) + eff.step_overhead_s + batch * eff.sequence_overhead_s
    need = model.total_params * weight_bytes + batch * model.kv_bytes_per_sequence(context, kv_bytes)
    fits = w * hw.memory_bytes * (1.0 - assumptions.sram_reserve_fraction) >= need
    return Step(step, t_a, t_f, np.full_like(step, assumptions.wafer_hop_latency_s), fits)
