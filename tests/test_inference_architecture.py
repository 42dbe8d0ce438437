import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbmcycle.inference.architecture import (
    attention_flops_per_context_token,
    expected_distinct_experts,
    kv_elements_per_token_per_layer,
    model_arrays,
)

from inference_toys import models

LLAMA_31_8B_KV = dict(
    attention_type=np.array(["GQA"]),
    kv_heads=np.array([8]),
    head_dim=np.array([128]),
    kv_lora_rank=np.array([0]),
    qk_rope_head_dim=np.array([0]),
)


def test_gqa_kv_per_token_matches_llama_8b():
    # 2 (K and V) x 8 KV heads x 128 = 2048 elements per layer; x 32 layers x 2 bytes = 128 KiB per token
    per_layer = kv_elements_per_token_per_layer(**LLAMA_31_8B_KV)
    assert per_layer[0] == 2048
    assert per_layer[0] * 32 * 2 == 131072


def test_mla_kv_per_token_is_latent_plus_rope():
    # DeepSeek-V3: 512 + 64 = 576 elements per layer, whatever the head count
    per_layer = kv_elements_per_token_per_layer(
        np.array(["MLA"]), np.array([128]), np.array([128]), np.array([512]), np.array([64])
    )
    assert per_layer[0] == 576


def test_mqa_and_mha_use_their_kv_heads():
    per_layer = kv_elements_per_token_per_layer(
        np.array(["MQA", "MHA"]), np.array([1, 32]), np.array([128, 128]), np.array([0, 0]), np.array([0, 0])
    )
    np.testing.assert_array_equal(per_layer, [256, 8192])


def test_attention_flops_per_context_token():
    # standard: 2 x layers x heads x (128 + 128) = 4 x 32 x 32 x 128
    gqa = attention_flops_per_context_token(
        np.array(["GQA"]), np.array([32]), np.array([32]), np.array([128]), np.array([0]), np.array([0])
    )
    assert gqa[0] == 4 * 32 * 32 * 128
    # MLA absorbed: 2 x 61 x 128 x (576 + 512)
    mla = attention_flops_per_context_token(
        np.array(["MLA"]), np.array([61]), np.array([128]), np.array([128]), np.array([512]), np.array([64])
    )
    assert mla[0] == 2 * 61 * 128 * (576 + 512)


def test_expected_distinct_experts_hand_cases():
    e, k = np.array([8.0]), np.array([2.0])
    assert expected_distinct_experts(e, k, 1)[0] == pytest.approx(2.0)
    assert expected_distinct_experts(e, k, 2)[0] == pytest.approx(8 * (1 - 0.75**2))  # 3.5
    assert expected_distinct_experts(e, k, 10_000)[0] == pytest.approx(8.0)
    assert expected_distinct_experts(np.array([0.0]), np.array([0.0]), 64)[0] == 0.0  # dense


@given(st.integers(1, 512), st.integers(1, 8), st.integers(1, 4096))
def test_distinct_experts_between_k_and_e_and_growing(experts_extra, k, tokens):
    e = np.array([float(k + experts_extra)])
    k = np.array([float(k)])
    touched = expected_distinct_experts(e, k, tokens)[0]
    assert k[0] - 1e-9 <= touched <= e[0] + 1e-9
    assert expected_distinct_experts(e, k, tokens + 1)[0] >= touched - 1e-9


def test_moe_split_from_stated_totals():
    arrays = model_arrays(models())
    moe = arrays.take(1)
    # (85 - 25) / (8 - 2) = 10 B per expert; always active = 25 - 2 x 10 = 5 B
    assert moe.expert_params[0] == pytest.approx(10e9)
    assert moe.always_active_params[0] == pytest.approx(5e9)
    # one token reads exactly the active parameters, two tokens 5 + 3.5 x 10, a huge batch all of them
    assert moe.weight_params_read(1)[0] == pytest.approx(25e9)
    assert moe.weight_params_read(2)[0] == pytest.approx(40e9)
    assert moe.weight_params_read(1e6)[0] == pytest.approx(85e9)
    dense = arrays.take(0)
    assert dense.weight_params_read(1)[0] == dense.weight_params_read(1000)[0] == pytest.approx(10e9)


def test_kv_elements_and_sliding_window():
    arrays = model_arrays(models())
    assert arrays.kv_elements_per_token[0] == 10 * 2 * 8 * 128
    assert arrays.kv_elements_per_token[1] == 10 * 576
    window = arrays.take(2)
    # half the layers cache 1000 tokens, half cache the last 128
    assert window.cached_tokens(1000)[0] == pytest.approx(0.5 * 1000 + 0.5 * 128)
    assert window.cached_tokens(100)[0] == pytest.approx(100)
    assert arrays.take(0).cached_tokens(1000)[0] == 1000


def test_missing_architecture_column_names_the_model():
    broken = models().with_columns(
        pl.when(pl.col("model_id") == "toy-dense").then(None).otherwise(pl.col("kv_heads")).alias("kv_heads")
    )
    with pytest.raises(ValueError, match=r"toy-dense.*kv_heads"):
        model_arrays(broken)


def test_inconsistent_moe_totals_are_rejected():
    broken = models().with_columns(
        pl.when(pl.col("model_id") == "toy-moe").then(200.0).otherwise(pl.col("total_params_b")).alias("total_params_b")
    )
    with pytest.raises(ValueError, match="toy-moe"):
        model_arrays(broken)


def test_input_embedding_is_a_lookup_not_read_per_step_but_stays_in_memory():
    """10 B params with a 1,000 x 4,096 input embedding: 4.096 M fewer params read and multiplied, all stored."""
    frame = models().head(1).with_columns(vocab_size=pl.lit(1000))
    with_vocab, without = model_arrays(frame), model_arrays(models().head(1))
    assert without.weight_params_read(1.0)[0] - with_vocab.weight_params_read(1.0)[0] == pytest.approx(4.096e6)
    assert with_vocab.matmul_params[0] == pytest.approx(10e9 - 4.096e6)
    assert with_vocab.total_params[0] == without.total_params[0] == 10e9
