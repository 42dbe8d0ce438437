"""Hand-made model rows for the hetero tests (toy figures chosen for easy arithmetic, not data)."""

import polars as pl

COLUMNS = [
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
    "ffn_size",
    "moe_ffn_size",
    "experts",
    "experts_per_token",
    "shared_experts",
    "dense_layers",
    "vocab_size",
    "sliding_window",
]


def models() -> pl.DataFrame:
    rows = [
        # dense GQA: A = 10 x 1000 x 100 x (2 x 8 + 2 x 2) = 20 M; H = 1000 x 1000 = 1 M;
        # FFN = 3 x 1000 x 4000 x 10 = 120 M; total = active = 141 M
        (
            "toy-dense",
            "Toy Dense",
            0.141,
            0.141,
            10,
            1000,
            8,
            2,
            100,
            "GQA",
            None,
            None,
            4000,
            None,
            None,
            None,
            None,
            10,
            1000,
            None,
        ),
        # MLA MoE: FFN active = 3 x 1000 x 500 x (2 + 1) x 10 = 45 M, H = 1 M, active 60 M -> A = 14 M;
        # 8 experts: total = active + 6 x one expert (3 x 1000 x 500 x 10 = 15 M) = 150 M
        ("toy-mla", "Toy MLA", 0.150, 0.060, 10, 1000, 8, 8, 100, "MLA", 64, 16, None, 500, 8, 2, 1, 0, 1000, None),
    ]
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")
