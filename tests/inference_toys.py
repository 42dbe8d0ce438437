"""Hand-made tables for the inference tests (toy figures chosen for easy arithmetic, not data)."""

import polars as pl

from hbmcycle.inference.step_time import Efficiency

ACCELERATOR_COLUMNS = [
    "accelerator_id",
    "vendor",
    "product",
    "memory_gib",
    "memory_bw_tb_s",
    "bf16_dense_tflops",
    "fp8_dense_tflops",
    "fp4_dense_tflops",
    "tdp_w",
    "scaleup_domain_size",
    "scaleup_bw_gb_s",
]

MODEL_COLUMNS = [
    "model_id",
    "name",
    "total_params_b",
    "active_params_b",
    "layers",
    "hidden_size",
    "attention_heads",
    "kv_heads",
    "head_dim",
    "attention_type",
    "kv_lora_rank",
    "qk_rope_head_dim",
    "experts",
    "experts_per_token",
    "sliding_window",
]


def accelerators() -> pl.DataFrame:
    rows = [
        # id, vendor, product, GB, TB/s, bf16, fp8, fp4, W, domain, link GB/s (bidirectional)
        ("toy_chip", "Toy", "Toy Chip", 100.0, 1.0, 100.0, 200.0, None, 500.0, 8, 400.0),
        ("toy_chip_fast", "Toy", "Toy Chip Fast", 100.0, 2.0, 100.0, 200.0, 400.0, 600.0, 8, 400.0),
        ("toy_lonely", "Toy", "Toy Lonely", 50.0, 1.0, 100.0, None, None, 300.0, None, None),
    ]
    return pl.DataFrame(rows, schema=ACCELERATOR_COLUMNS, orient="row")


def models() -> pl.DataFrame:
    rows = [
        # dense GQA: 10 B params, 10 layers, hidden 4096, 32 heads, 8 KV heads of 128
        ("toy-dense", "Toy Dense", 10.0, 10.0, 10, 4096, 32, 8, 128, "GQA", None, None, None, None, None),
        # MoE: experts of 10 B (summed over layers) + 5 B always active: 85 B total, 25 B active; MLA cache 512 + 64
        ("toy-moe", "Toy MoE", 85.0, 25.0, 10, 4096, 32, 32, 128, "MLA", 512, 64, 8, 2, None),
        # dense with half the layers windowed to 128 tokens
        ("toy-window", "Toy Window", 10.0, 10.0, 10, 4096, 32, 8, 128, "GQA", None, None, None, None, 128),
    ]
    return pl.DataFrame(rows, schema=MODEL_COLUMNS, orient="row")


TRUE = Efficiency(
    bandwidth=0.7,
    kv_bandwidth=0.5,
    compute=0.45,
    prefill_compute=0.6,
    step_overhead_s=2e-3,
    layer_overhead_s=20e-6,
    sequence_overhead_s=5e-6,
    allreduce_latency_s=30e-6,
)


def toy_measurements() -> pl.DataFrame:
    """Measurement rows of the dense toy model, computed by the independent scalar oracle with TRUE."""
    from inference_oracle import oracle_measurements  # imported here: the oracle imports TRUE from this module

    return oracle_measurements(TRUE)
