"""Architecture-derived sizes: weight parameters read per step, KV-cache elements, FLOPs.

Everything is per model and vectorized: a :class:`ModelArrays` holds one numpy array per
quantity (one entry per model) so that step-time functions can broadcast models against
batches, contexts and accelerators.

Parameter counts come from the ``llm_models`` table (``total_params_b``, ``active_params_b``)
rather than being rebuilt from layer shapes: the developer's totals include embeddings,
norms and biases that shape arithmetic misses. For a mixture-of-experts model with ``E``
routed experts and ``k`` experts per token, the two stated totals fix the split:

    expert_params      = (total - active) / (E - k)     (one expert, summed over MoE layers)
    always_active      = active - k * expert_params     (attention, shared experts, dense layers, embeddings)

(DeepSeek-V3: (671 - 37) / 248 = 2.556 B per expert; from shapes, 58 layers x 3 x 7168 x 2048 =
2.554 B.)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import polars as pl

# The llm_models table records a sliding window but not which layers use it; the models
# in it that have one (gpt-oss) alternate full and windowed layers.
DEFAULT_SLIDING_LAYER_FRACTION = 0.5


def kv_elements_per_token_per_layer(
    attention_type: np.ndarray,
    kv_heads: np.ndarray,
    head_dim: np.ndarray,
    kv_lora_rank: np.ndarray,
    qk_rope_head_dim: np.ndarray,
) -> np.ndarray:
    """KV-cache elements stored per token per layer.

    MHA / GQA / MQA: ``2 * kv_heads * head_dim`` (a key and a value vector per KV head;
    MQA has kv_heads = 1, MHA kv_heads = heads).
    MLA: ``kv_lora_rank + qk_rope_head_dim`` (one compressed latent shared by all heads plus
    the decoupled RoPE key).
    """
    mla = np.asarray(attention_type) == "MLA"
    standard = 2.0 * np.asarray(kv_heads, dtype=float) * np.asarray(head_dim, dtype=float)
    latent = np.asarray(kv_lora_rank, dtype=float) + np.asarray(qk_rope_head_dim, dtype=float)
    return np.where(mla, latent, standard)


def attention_flops_per_context_token(
    attention_type: np.ndarray,
    layers: np.ndarray,
    heads: np.ndarray,
    head_dim: np.ndarray,
    kv_lora_rank: np.ndarray,
    qk_rope_head_dim: np.ndarray,
) -> np.ndarray:
    """Attention FLOPs for one query token against one cached token, all layers.

    ``2 * layers * heads * (d_qk + d_v)``: the score q.k (2 d_qk FLOPs) and the weighted sum
    of values (2 d_v FLOPs) for every head. Standard attention has d_qk = d_v = head_dim,
    giving the familiar ``4 * layers * heads * head_dim``. MLA decode runs in the absorbed
    form over the latent: d_qk = kv_lora_rank + qk_rope_head_dim, d_v = kv_lora_rank.
    """
    mla = np.asarray(attention_type) == "MLA"
    head_dim = np.asarray(head_dim, dtype=float)
    lora = np.asarray(kv_lora_rank, dtype=float)
    rope = np.asarray(qk_rope_head_dim, dtype=float)
    per_head = np.where(mla, 2.0 * lora + rope, 2.0 * head_dim)
    return 2.0 * np.asarray(layers, dtype=float) * np.asarray(heads, dtype=float) * per_head


def expected_distinct_experts(experts: np.ndarray, experts_per_token: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Expected number of distinct routed experts touched in one MoE layer by ``tokens`` tokens.

    With uniform routing each token picks ``k`` of ``E`` experts, so one expert is missed by
    a token with probability ``1 - k/E`` and by all tokens with ``(1 - k/E)^tokens``:

        E * (1 - (1 - k/E) ** tokens)

    1 token touches k experts; many tokens touch all E. Dense models (E = 0) give 0.
    """
    experts = np.asarray(experts, dtype=float)
    k = np.asarray(experts_per_token, dtype=float)
    safe_experts = np.where(experts > 0, experts, 1.0)
    miss = 1.0 - k / safe_experts
    return np.where(experts > 0, experts * (1.0 - miss ** np.asarray(tokens, dtype=float)), 0.0)


@dataclass(frozen=True)
class ModelArrays:
    """Per-model quantities in SI counts (parameters, elements), one array entry per model."""

    model_id: np.ndarray
    layers: np.ndarray
    hidden_size: np.ndarray
    total_params: np.ndarray
    active_params: np.ndarray
    always_active_params: np.ndarray  # params read every step whatever the routing
    expert_params: np.ndarray  # params of one routed expert summed over MoE layers (0 if dense)
    experts: np.ndarray  # routed experts per MoE layer (0 if dense)
    experts_per_token: np.ndarray
    kv_elements_per_token: np.ndarray  # all layers, per cached token, for a full-attention layer stack
    attention_flops_per_context_token: np.ndarray
    sliding_window: np.ndarray  # tokens; inf where every layer attends to the full context
    sliding_layer_fraction: np.ndarray
    input_embedding_params: np.ndarray  # vocab x hidden: a row lookup per token, never streamed whole

    def __len__(self) -> int:
        return len(self.model_id)

    def take(self, index) -> ModelArrays:
        """Subset (integer index or index array) keeping the array form."""
        index = np.atleast_1d(index)
        return ModelArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def along(self, axis: int, ndim: int) -> ModelArrays:
        """Reshape every field so that models lie on ``axis`` of an ``ndim``-dim broadcast grid."""
        shape = [1] * ndim
        shape[axis] = len(self)
        return ModelArrays(**{f.name: getattr(self, f.name).reshape(shape) for f in fields(self)})

    def weight_params_read(self, tokens) -> np.ndarray:
        """Parameters streamed from memory in one forward pass over ``tokens`` tokens.

        Dense: all parameters but the input embedding. MoE: always-active params (less the
        input embedding) plus the expected distinct experts (see :func:`expected_distinct_experts`)
        times the size of one expert. The input embedding is a lookup of one row per token
        (B x hidden elements, negligible); the output head is a matmul and is read whole
        (Llama-3.1-8B: 8.03 B stored, 7.50 B read).
        """
        distinct = expected_distinct_experts(self.experts, self.experts_per_token, tokens)
        return (self.always_active_params - self.input_embedding_params) + distinct * self.expert_params

    @property
    def matmul_params(self) -> np.ndarray:
        """Active parameters that multiply each token (2 FLOPs each): active params less the embedding lookup."""
        return self.active_params - self.input_embedding_params

    def kv_bytes_per_sequence(self, context, kv_bytes) -> np.ndarray:
        """KV-cache bytes of one sequence at ``context`` tokens: ``kv_tok * Lc(L) * b_kv`` (bytes)."""
        return self.kv_elements_per_token * self.cached_tokens(context) * kv_bytes

    def cached_tokens(self, context) -> np.ndarray:
        """Full-attention-equivalent tokens in a sequence's KV cache at ``context`` tokens.

        Windowed layers keep only the last ``sliding_window`` tokens:
        ``(1 - f) * L + f * min(L, W)`` with ``f`` the fraction of windowed layers.
        """
        context = np.asarray(context, dtype=float)
        f = self.sliding_layer_fraction
        return (1.0 - f) * context + f * np.minimum(context, self.sliding_window)


def _column(frame: pl.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    return frame.get_column(name).cast(pl.Float64).fill_null(default).to_numpy()


def model_arrays(
    llm_models: pl.DataFrame, sliding_layer_fraction: float = DEFAULT_SLIDING_LAYER_FRACTION
) -> ModelArrays:
    """Build :class:`ModelArrays` from ``llm_models`` rows (columns as in ``data/raw/llm_models.yaml``).

    Raises ValueError naming the model when a column the model needs is empty.
    """
    needed = ["total_params_b", "active_params_b", "layers", "hidden_size", "attention_heads", "head_dim"]
    for row in llm_models.iter_rows(named=True):
        missing = [c for c in needed if row[c] is None]
        if row["attention_type"] == "MLA":
            missing += [c for c in ("kv_lora_rank", "qk_rope_head_dim") if row[c] is None]
        elif row["kv_heads"] is None:
            missing.append("kv_heads")
        if (row["experts"] or 0) > 0 and row["experts_per_token"] is None:
            missing.append("experts_per_token")
        if missing:
            raise ValueError(f"model {row['model_id']}: llm_models lacks {', '.join(missing)}")

    attention = llm_models.get_column("attention_type").to_numpy().astype(str)
    layers = _column(llm_models, "layers")
    heads = _column(llm_models, "attention_heads")
    head_dim = _column(llm_models, "head_dim")
    lora = _column(llm_models, "kv_lora_rank")
    rope = _column(llm_models, "qk_rope_head_dim")
    total = _column(llm_models, "total_params_b") * 1e9
    active = _column(llm_models, "active_params_b") * 1e9
    experts = _column(llm_models, "experts")
    k = _column(llm_models, "experts_per_token")
    is_moe = (experts > k) & (k > 0)
    expert_params = np.where(is_moe, (total - active) / np.where(is_moe, experts - k, 1.0), 0.0)
    always_active = active - k * expert_params
    if np.any(always_active < 0):
        bad = llm_models.get_column("model_id").to_numpy()[always_active < 0]
        raise ValueError(
            f"models {', '.join(bad)}: active params below experts_per_token x one expert's params "
            "implied by (total - active) / (experts - experts_per_token)"
        )
    window = llm_models.get_column("sliding_window").cast(pl.Float64).to_numpy()
    windowed = ~np.isnan(window)
    return ModelArrays(
        model_id=llm_models.get_column("model_id").to_numpy().astype(str),
        layers=layers,
        hidden_size=_column(llm_models, "hidden_size"),
        total_params=total,
        active_params=active,
        always_active_params=always_active,
        expert_params=expert_params,
        experts=np.where(is_moe, experts, 0.0),
        experts_per_token=np.where(is_moe, k, 0.0),
        kv_elements_per_token=layers
        * kv_elements_per_token_per_layer(attention, _column(llm_models, "kv_heads"), head_dim, lora, rope),
        attention_flops_per_context_token=attention_flops_per_context_token(
            attention, layers, heads, head_dim, lora, rope
        ),
        sliding_window=np.where(windowed, window, np.inf),
        sliding_layer_fraction=np.where(windowed, sliding_layer_fraction, 0.0),
        input_embedding_params=_input_embedding(llm_models),
    )


def _input_embedding(llm_models: pl.DataFrame) -> np.ndarray:
    """vocab_size x hidden_size per model; 0 where the vocabulary is not recorded.

    Every model in llm_models has an untied output head (its own vocab x hidden matrix), so
    only the input table is a lookup; a model with tied embeddings would read the shared
    matrix as its head, and this would undercount it (none is in the table today).
    """
    if "vocab_size" not in llm_models.columns:
        return np.zeros(llm_models.height)
    return _column(llm_models, "vocab_size") * _column(llm_models, "hidden_size")
