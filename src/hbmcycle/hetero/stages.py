"""The three stages of LLM inference: prefill, decode attention, decode FFN.

Per layer, for a model, a batch ``B`` and a context ``L``, each stage moves bytes, does FLOPs
and needs memory capacity. Their ratio (arithmetic intensity, FLOP/byte) against a chip's
ridge point (peak FLOP/s / memory bandwidth) says whether the stage is bandwidth- or
compute-bound there.

Parameters are split from the ``llm_models`` table (counts in parameters, all layers):

    A  attention projections: MHA/GQA/MQA from shapes, ``hidden * head_dim * (2 heads + 2 kv_heads)``
       (Q, O, K, V); MLA (whose query rank the table lacks) as the remainder ``active - F_shape - H``
    H  output head ``vocab * hidden``, streamed once per token; counted with the FFN side
       (weights that only stream, no per-sequence state)
    F_shape = ffn_matrices * hidden * (dense_layers * ffn_size
              + (layers - dense_layers) * moe_ffn_size * (experts_per_token + shared_experts))
    F_active = active - A - H,  F_total = total - A - H     (residuals: the three sum to the table's totals)

Per layer, averaged over layers (``x / layers``), with b_w, b_kv bytes per weight / KV element:

    decode attention  bytes  = A b_w + B kv_tok Lc(L) b_kv          FLOPs = 2 A B + a_attn B Lc(L)
                      capacity = A b_w + B kv_tok Lc(L) b_kv
    decode FFN        bytes  = (W(B) - A) b_w                       FLOPs = 2 (F_active + H - E) B
                      capacity = (F_total + H) b_w
    prefill (B prompts of L tokens)
                      bytes  = W(B L) b_w + B L kv_tok b_kv          FLOPs = 2 (N_active - E) B L + a_attn B pairs(L)
                      capacity = N_total b_w + B L kv_tok b_kv

with W(tokens) the parameters streamed for that many tokens (experts touched, see
``ModelArrays.weight_params_read``; the input embedding E = vocab x hidden, which F_active
holds, is a lookup: neither streamed nor multiplied) and Lc the cached tokens (windows cap it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl

from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.step_time import Efficiency, attended_pairs

STAGES: tuple[str, ...] = ("prefill", "decode_attention", "decode_ffn")

# Gated FFNs (SwiGLU, GeGLU) have three matrices: gate, up, down. Every model in llm_models is gated.
DEFAULT_FFN_MATRICES = 3


@dataclass(frozen=True)
class StageParams:
    """Parameter split per model (counts, all layers), one array entry per model."""

    attention: np.ndarray
    ffn_active: np.ndarray
    ffn_total: np.ndarray
    head: np.ndarray

    def take(self, index) -> StageParams:
        index = np.atleast_1d(index)
        return StageParams(self.attention[index], self.ffn_active[index], self.ffn_total[index], self.head[index])


def _floats(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame.get_column(column).cast(pl.Float64).fill_null(0.0).to_numpy()


def stage_params(llm_models: pl.DataFrame, ffn_matrices: int = DEFAULT_FFN_MATRICES) -> StageParams:
    """Split each model's parameters into attention, FFN and output head (see module docstring).

    Raises ValueError naming the model when the split leaves a negative FFN or attention
    share (inconsistent table row) or when a column the split needs is empty.
    """
    for row in llm_models.iter_rows(named=True):
        needed = ["vocab_size", "hidden_size", "layers", "active_params_b", "total_params_b"]
        if row["attention_type"] == "MLA":
            needed += ["moe_ffn_size" if (row["experts"] or 0) > 0 else "ffn_size"]
        missing = [c for c in needed if row[c] is None]
        if missing:
            raise ValueError(f"model {row['model_id']}: llm_models lacks {', '.join(missing)} needed to split stages")
    hidden = _floats(llm_models, "hidden_size")
    layers = _floats(llm_models, "layers")
    heads = _floats(llm_models, "attention_heads")
    kv_heads = _floats(llm_models, "kv_heads")
    head_dim = _floats(llm_models, "head_dim")
    active = _floats(llm_models, "active_params_b") * 1e9
    total = _floats(llm_models, "total_params_b") * 1e9
    head = _floats(llm_models, "vocab_size") * hidden
    dense_layers = np.where(
        llm_models.get_column("dense_layers").is_null().to_numpy() & (_floats(llm_models, "experts") == 0),
        layers,
        _floats(llm_models, "dense_layers"),
    )
    ffn_shape = (
        ffn_matrices
        * hidden
        * (
            dense_layers * _floats(llm_models, "ffn_size")
            + (layers - dense_layers)
            * _floats(llm_models, "moe_ffn_size")
            * (_floats(llm_models, "experts_per_token") + _floats(llm_models, "shared_experts"))
        )
    )
    mla = llm_models.get_column("attention_type").to_numpy().astype(str) == "MLA"
    attention = np.where(mla, active - ffn_shape - head, layers * hidden * head_dim * (2 * heads + 2 * kv_heads))
    ffn_active = active - attention - head
    ffn_total = total - attention - head
    bad = (attention <= 0) | (ffn_active <= 0) | (ffn_total < ffn_active)
    if bad.any():
        names = ", ".join(llm_models.get_column("model_id").to_numpy()[bad])
        raise ValueError(
            f"models {names}: parameter split gives a non-positive attention or FFN share; "
            "check active_params_b, ffn sizes and vocab_size"
        )
    return StageParams(attention=attention, ffn_active=ffn_active, ffn_total=ffn_total, head=head)


class StageWork(NamedTuple):
    """Per-layer arrays over the broadcast shape of the inputs: bytes, FLOPs, bytes of capacity."""

    bytes: np.ndarray
    flops: np.ndarray
    capacity: np.ndarray

    @property
    def intensity(self) -> np.ndarray:
        """Arithmetic intensity, FLOP per byte moved."""
        return self.flops / self.bytes


def decode_attention_work(
    sp: StageParams, model: ModelArrays, batch, context, weight_bytes: float, kv_bytes: float
) -> StageWork:
    """One decode step of attention for ``batch`` sequences at ``context`` tokens, per layer."""
    batch = np.asarray(batch, dtype=float)
    cached = model.cached_tokens(context)
    kv = batch * model.kv_elements_per_token * cached * kv_bytes
    weights = sp.attention * weight_bytes
    flops = 2.0 * sp.attention * batch + model.attention_flops_per_context_token * batch * cached
    return StageWork((weights + kv) / model.layers, flops / model.layers, (weights + kv) / model.layers)


def decode_ffn_work(sp: StageParams, model: ModelArrays, batch, weight_bytes: float) -> StageWork:
    """One decode step of the FFN (and output head) for ``batch`` sequences, per layer."""
    batch = np.asarray(batch, dtype=float)
    read = (model.weight_params_read(batch) - sp.attention) * weight_bytes
    flops = 2.0 * (sp.ffn_active + sp.head - model.input_embedding_params) * batch  # the embedding is a lookup
    capacity = (sp.ffn_total + sp.head) * weight_bytes + 0.0 * batch
    return StageWork(read / model.layers, flops / model.layers, capacity / model.layers)


def prefill_work(model: ModelArrays, prompt_tokens, batch, weight_bytes: float, kv_bytes: float) -> StageWork:
    """Prefill of ``batch`` prompts of ``prompt_tokens`` tokens in one pass, per layer."""
    prompt = np.asarray(prompt_tokens, dtype=float)
    batch = np.asarray(batch, dtype=float)
    tokens = batch * prompt
    kv = tokens * model.kv_elements_per_token * kv_bytes
    moved = model.weight_params_read(tokens) * weight_bytes + kv
    flops = 2.0 * model.matmul_params * tokens + model.attention_flops_per_context_token * batch * attended_pairs(
        model, prompt
    )
    capacity = model.total_params * weight_bytes + kv
    return StageWork(moved / model.layers, flops / model.layers, capacity / model.layers)


def ridge_point(hw: HardwareArrays) -> np.ndarray:
    """FLOP per byte at which a chip's peak compute and memory bandwidth take equal time: ``P / BW``."""
    return hw.peak_flops_s / hw.bandwidth_bytes_s


def stage_seconds(work: StageWork, hw: HardwareArrays, group_size, layers, eff: Efficiency, kv_share=0.0) -> np.ndarray:
    """Roofline time of one stage over all layers on ``group_size`` chips (s).

    ``t = layers * max(bytes_w / eta_bw + bytes_kv / eta_kv, flops / (P eta_c) * BW) / (G BW)``
    with ``bytes_kv = kv_share * bytes``. A chip with no published peak (NaN) gets the
    bandwidth time only (``fmax`` ignores NaN): an upper bound on its speed.
    """
    group = np.asarray(group_size, dtype=float)
    kv_share = np.asarray(kv_share, dtype=float)
    memory = (
        work.bytes * ((1.0 - kv_share) / eff.bandwidth + kv_share / eff.kv_bandwidth) / (group * hw.bandwidth_bytes_s)
    )
    compute = work.flops / (group * hw.peak_flops_s * eff.compute)
    return layers * np.fmax(memory, compute)


def decode_split(
    sp: StageParams,
    model: ModelArrays,
    hw: HardwareArrays,
    batch,
    context,
    group_size,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
) -> tuple[np.ndarray, np.ndarray]:
    """Attention and FFN seconds of one decode step on the same chips (no overheads, no comm).

    Returns ``(attention_s, ffn_s)``; the attention share of decode time is
    ``attention_s / (attention_s + ffn_s)``.
    """
    attn = decode_attention_work(sp, model, batch, context, weight_bytes, kv_bytes)
    kv_part = attn.bytes - sp.attention * weight_bytes / model.layers
    attention_s = stage_seconds(attn, hw, group_size, model.layers, eff, kv_share=kv_part / attn.bytes)
    ffn_s = stage_seconds(decode_ffn_work(sp, model, batch, weight_bytes), hw, group_size, model.layers, eff)
    return attention_s, ffn_s


def stage_table(
    sp: StageParams,
    model: ModelArrays,
    batch: float,
    context: float,
    prompt_tokens: float,
    weight_bytes: float,
    kv_bytes: float,
) -> pl.DataFrame:
    """One row per stage for a single model: per-layer GB, GFLOP, capacity GB and intensity."""
    works = {
        "prefill": prefill_work(model, prompt_tokens, 1.0, weight_bytes, kv_bytes),
        "decode_attention": decode_attention_work(sp, model, batch, context, weight_bytes, kv_bytes),
        "decode_ffn": decode_ffn_work(sp, model, batch, weight_bytes),
    }
    return pl.DataFrame(
        {
            "stage": list(works),
            "gb_per_layer": [float(np.ravel(w.bytes)[0]) / 1e9 for w in works.values()],
            "gflop_per_layer": [float(np.ravel(w.flops)[0]) / 1e9 for w in works.values()],
            "capacity_gb_per_layer": [float(np.ravel(w.capacity)[0]) / 1e9 for w in works.values()],
            "flop_per_byte": [float(np.ravel(w.intensity)[0]) for w in works.values()],
        }
    )
