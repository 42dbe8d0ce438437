"""Decode step time, prefill time and serving throughput: a calibrated roofline.

Units: bytes, FLOPs, seconds, tokens. All inputs broadcast (numpy), so one call evaluates a
whole grid of (accelerator, model, batch, context, group size) points.

Decode step for a batch of ``B`` sequences at context ``L`` on a group of ``G`` accelerators:

    w_bytes  = W(B) * b_w                                              [bytes]
    kv_bytes = B * kv_tok * Lc(L) * b_kv                               [bytes]
    flops    = 2 * N_mm * B + a_attn * B * Lc(L)                           [FLOP]
    t_mem    = (w_bytes / eta_bw + kv_bytes / eta_kv) / (G * BW)           [s]
    t_comp   = flops / (G * P * eta_comp)                                  [s]
    t_step   = max(t_mem, t_comp) + t_comm(B, G) + t_step0 + n_layers * t_layer0 + B * t_seq0

with W(B) the parameters read (all but the input embedding for dense; expected distinct
experts for MoE), N_mm the active parameters less the embedding lookup, b_w and
b_kv the bytes per weight and per KV element, kv_tok the KV elements per token, Lc the
cached tokens (sliding windows cap it), a_attn the attention FLOPs per context token,
BW the datasheet memory bandwidth and P the dense peak at the weights' precision.

Weights and KV cache get separate bandwidth efficiencies: weights stream as large dense
tiles, while paged attention gathers KV blocks of a few KB scattered over memory.

Why a max, not a sum: decode kernels stream weights while the tensor cores work on the
previous tile, so the slower of the two sets the pace; imperfect overlap, kernel launch
gaps and attention inefficiency are what the calibrated efficiencies (eta) and fixed
overheads absorb: t_step0 per step (scheduling, sampling launch), t_layer0 per layer
(kernel launches) and t_seq0 per sequence per step (host-side batch bookkeeping, sampling
and output handling, which grow with the number of running requests).

Per-user speed is 1 / t_step tokens/s; throughput is B / t_step tokens/s for the group
(B / (G t_step) per accelerator). The largest batch that fits is

    B_max = floor((G * capacity * (1 - reserve) - N_total * b_w) / (kv_tok * Lc(L) * b_kv))

and the active bound is ``capacity`` when B > B_max, else whichever of ``bandwidth``
(t_mem) or ``compute`` (t_comp) is larger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from hbmcycle.inference import assumptions
from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.parallel import tensor_parallel_seconds

_ASSUMED = assumptions.load()
BOUNDS: tuple[str, ...] = ("capacity", "bandwidth", "compute")
CAPACITY, BANDWIDTH, COMPUTE = range(3)


@dataclass(frozen=True)
class Efficiency:
    """Achievable fractions and fixed overheads.

    The defaults are uncalibrated starting points; ``hbmcycle model calibrate`` fits the first
    eight on published measurements and writes them to ``data/processed/calibration.json``.
    ``reserve_fraction`` (1 - memory utilisation: memory kept for activations and allocator
    slack; vLLM and TensorRT-LLM default to using 90 %) and ``activation_bytes`` (bf16
    activations) are assumptions (``assumptions.yaml``), not fitted.
    """

    bandwidth: float = 0.8  # achieved / datasheet memory bandwidth when streaming weights
    kv_bandwidth: float = 0.6  # achieved / datasheet memory bandwidth when reading the paged KV cache
    compute: float = 0.5  # achieved / dense peak FLOP/s in decode
    prefill_compute: float = 0.6  # achieved / dense peak FLOP/s in prefill
    step_overhead_s: float = 1e-3  # per decode step or prefill pass (scheduling, sampling, launches)
    layer_overhead_s: float = 5e-6  # per layer per pass (kernel launches, norms, rotary)
    sequence_overhead_s: float = 2e-6  # per running sequence per decode step (host bookkeeping, sampling)
    allreduce_latency_s: float = 10e-6  # fixed cost of one all-reduce
    reserve_fraction: float = 1.0 - _ASSUMED.memory_utilization
    activation_bytes: float = _ASSUMED.activation_bytes

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


FITTED_PARAMETERS: tuple[str, ...] = (
    "bandwidth",
    "kv_bandwidth",
    "compute",
    "prefill_compute",
    "step_overhead_s",
    "layer_overhead_s",
    "sequence_overhead_s",
    "allreduce_latency_s",
)  # the first eight fields of Efficiency


class DecodeStep(NamedTuple):
    """Arrays over the broadcast shape of the inputs (seconds, tokens/s, sequences)."""

    step_s: np.ndarray
    memory_s: np.ndarray
    compute_s: np.ndarray
    comm_s: np.ndarray
    max_batch: np.ndarray
    bound: np.ndarray  # index into BOUNDS
    tokens_per_s: np.ndarray  # whole group
    tokens_per_s_per_accelerator: np.ndarray
    per_user_tokens_per_s: np.ndarray


def max_batch(
    model: ModelArrays,
    hw: HardwareArrays,
    context,
    group_size,
    weight_bytes: float | np.ndarray,
    kv_bytes: float | np.ndarray,
    reserve_fraction: float,
) -> np.ndarray:
    """Largest number of sequences of ``context`` tokens whose KV cache fits beside the weights.

    ``floor((G * capacity * (1 - reserve) - N_total * b_w) / (kv_tok * Lc(L) * b_kv))``, at least 0.
    """
    free = group_size * hw.memory_bytes * (1.0 - reserve_fraction) - model.total_params * weight_bytes
    per_sequence = model.kv_bytes_per_sequence(context, kv_bytes)
    with np.errstate(invalid="ignore"):
        return np.fmax(np.floor(free / per_sequence), 0.0)  # fmax: unknown figures (NaN) give 0


def decode_step(
    model: ModelArrays,
    hw: HardwareArrays,
    batch,
    context,
    group_size,
    weight_bytes: float | np.ndarray,
    kv_bytes: float | np.ndarray,
    eff: Efficiency,
) -> DecodeStep:
    """One decode step for every broadcast point (see the module docstring for the formula)."""
    batch = np.asarray(batch, dtype=float)
    group_size = np.asarray(group_size, dtype=float)
    cached = model.cached_tokens(context)
    # Small factors first so that only a few operations run on the full broadcast shape;
    # multiply by reciprocals (cheaper than dividing) and accumulate in place.
    weight_read = model.weight_params_read(batch) * (weight_bytes / eff.bandwidth)
    kv_read = (model.kv_elements_per_token * (kv_bytes / eff.kv_bandwidth)) * cached * batch
    memory_s = (weight_read + kv_read) * (1.0 / (group_size * hw.bandwidth_bytes_s))
    flops = (2.0 * model.matmul_params + model.attention_flops_per_context_token * cached) * batch
    compute_s = flops * (1.0 / (group_size * (hw.peak_flops_s * eff.compute)))
    comm_s = tensor_parallel_seconds(
        batch,
        model.hidden_size,
        model.layers,
        group_size,
        hw.link_bytes_s,
        eff.allreduce_latency_s,
        eff.activation_bytes,
    )
    overhead_s = (eff.step_overhead_s + model.layers * eff.layer_overhead_s) + batch * eff.sequence_overhead_s
    step_s = np.maximum(memory_s, compute_s)
    step_s += comm_s + overhead_s  # both smaller than the grid: add them to each other first
    fits = max_batch(model, hw, context, group_size, weight_bytes, kv_bytes, eff.reserve_fraction)
    bound = (memory_s < compute_s).view(np.int8) + np.int8(BANDWIDTH)  # COMPUTE = BANDWIDTH + 1
    np.copyto(bound, np.int8(CAPACITY), where=batch > fits)  # faster than boolean-index assignment
    per_user = 1.0 / step_s
    tokens_per_s = per_user * batch
    return DecodeStep(
        step_s=step_s,
        memory_s=memory_s,
        compute_s=compute_s,
        comm_s=comm_s,
        max_batch=fits,
        bound=bound,
        tokens_per_s=tokens_per_s,
        tokens_per_s_per_accelerator=tokens_per_s * (1.0 / group_size),
        per_user_tokens_per_s=per_user,
    )


def attended_pairs(model: ModelArrays, prompt_tokens) -> np.ndarray:
    """(query, key) pairs a causal prefill of ``prompt_tokens`` tokens scores, full-attention equivalent.

    Full layers: L^2 / 2. Windowed layers: L^2 / 2 up to the window W, then W L - W^2 / 2.
    """
    length = np.asarray(prompt_tokens, dtype=float)
    window = np.minimum(model.sliding_window, length)  # = L below the window, giving L^2 / 2
    windowed = window * length - window**2 / 2.0
    f = model.sliding_layer_fraction
    return (1.0 - f) * length**2 / 2.0 + f * windowed


def prefill_seconds(
    model: ModelArrays,
    hw: HardwareArrays,
    prompt_tokens,
    batch,
    group_size,
    weight_bytes: float | np.ndarray,
    kv_bytes: float | np.ndarray,
    eff: Efficiency,
) -> np.ndarray:
    """Time to process ``batch`` prompts of ``prompt_tokens`` tokens in one pass (s).

    ``flops = 2 N_active B L + a_attn B L^2 / 2`` (causal attention's quadratic term),
    ``bytes = W(B L) b_w + B L kv_tok b_kv`` (weights read once, KV written once, both streamed),
    ``t = max(bytes / (G BW eta_bw), flops / (G P eta_prefill)) + t_comm(B L) + t_step0 + n_layers t_layer0``.
    Time to first token of a lone request is ``prefill_seconds(..., batch=1, ...)``.
    """
    prompt_tokens = np.asarray(prompt_tokens, dtype=float)
    batch = np.asarray(batch, dtype=float)
    group_size = np.asarray(group_size, dtype=float)
    tokens = batch * prompt_tokens
    flops = 2.0 * model.matmul_params * tokens + model.attention_flops_per_context_token * batch * attended_pairs(
        model, prompt_tokens
    )
    bytes_moved = model.weight_params_read(tokens) * weight_bytes + tokens * model.kv_elements_per_token * kv_bytes
    memory_s = bytes_moved / (group_size * hw.bandwidth_bytes_s * eff.bandwidth)
    compute_s = flops / (group_size * hw.peak_flops_s * eff.prefill_compute)
    comm_s = tensor_parallel_seconds(
        tokens,
        model.hidden_size,
        model.layers,
        group_size,
        hw.link_bytes_s,
        eff.allreduce_latency_s,
        eff.activation_bytes,
    )
    return np.maximum(memory_s, compute_s) + comm_s + eff.step_overhead_s + model.layers * eff.layer_overhead_s


def offline_throughput(
    model: ModelArrays,
    hw: HardwareArrays,
    input_tokens,
    output_tokens,
    batch,
    group_size,
    weight_bytes: float | np.ndarray,
    kv_bytes: float | np.ndarray,
    eff: Efficiency,
) -> np.ndarray:
    """Output tokens/s of a group serving waves of ``batch`` requests (``input_tokens`` in, ``output_tokens`` out).

    Each wave prefills its prompts, then decodes ``output_tokens`` steps at the mean context
    ``input + output / 2``: ``B O / (O t_step(B, I + O/2) + t_prefill(B, I))``. In-flight
    batching interleaves the same work, so the steady-state rate is the same to first order.
    """
    input_tokens = np.asarray(input_tokens, dtype=float)
    output_tokens = np.asarray(output_tokens, dtype=float)
    step = decode_step(model, hw, batch, input_tokens + output_tokens / 2.0, group_size, weight_bytes, kv_bytes, eff)
    prefill = prefill_seconds(model, hw, input_tokens, batch, group_size, weight_bytes, kv_bytes, eff)
    return np.asarray(batch, dtype=float) * output_tokens / (output_tokens * step.step_s + prefill)
