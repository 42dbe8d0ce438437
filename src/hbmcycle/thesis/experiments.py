"""Model experiments: sensitivity of the elasticities, the regime map, software gains and the seed's Rubin example."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from hbmcycle.inference.architecture import ModelArrays, model_arrays
from hbmcycle.inference.operating import Workload, hardware_ceiling, modelled_throughput, operating_points, prepare
from hbmcycle.inference.parallel import STANDARD_GROUP_SIZES
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.scalars import number
from hbmcycle.thesis.config import Config
from hbmcycle.thesis.measured import measured_results
from hbmcycle.thesis.settings import EXAMPLE_ACCELERATOR, SEED_EXAMPLE_IDS


def gqa_counterfactual(model: ModelArrays, kv_heads: float = 8, head_dim: float = 128) -> ModelArrays:
    """The same model with a GQA cache (``2 x kv_heads x head_dim`` per layer) instead of its own (e.g. MLA)."""
    return replace(model, kv_elements_per_token=model.layers * 2.0 * kv_heads * head_dim)


def sensitivity(accelerators: pl.DataFrame, llm_models: pl.DataFrame, config: Config, eff: Efficiency) -> pl.DataFrame:
    """Local elasticities of throughput (capacity, bandwidth) at the reference accelerator, per variant.

    Dimensions: context, precision (weights/KV), model (dense / MoE), attention (MLA vs a GQA
    counterfactual of DeepSeek-V3), parallel group size. Each at max batch and each target.
    """
    reference = accelerators.filter(pl.col("accelerator_id") == config.reference_accelerator)
    if reference.is_empty():
        raise ValueError(f"reference accelerator {config.reference_accelerator!r} not in accelerators")
    variants: list[tuple[str, str, Workload, ModelArrays | None]] = []
    for ctx in config.sensitivity_contexts:
        variants.append(("context", f"{int(ctx):,} tokens", config.workload(context=ctx), None))
    for weights, kv in (("bf16", "bf16"), ("fp8", "fp8"), ("fp4", "fp8")):
        variants.append(("precision", f"{weights} weights / {kv} KV", config.workload(weights=weights, kv=kv), None))
    for model_id in config.sensitivity_models:
        if model_id in set(llm_models["model_id"]):
            variants.append(("model", model_id, config.workload(model_id=model_id), None))
    if "deepseek-v3" in set(llm_models["model_id"]):
        mla = config.workload(model_id="deepseek-v3")
        variants.append(("attention", "DeepSeek-V3, MLA cache", mla, None))
        gqa = gqa_counterfactual(model_arrays(llm_models.filter(pl.col("model_id") == "deepseek-v3")))
        variants.append(("attention", "DeepSeek-V3 with a GQA-8 cache", mla, gqa))
    domain = reference["scaleup_domain_size"][0] or 1
    for g in STANDARD_GROUP_SIZES:
        if g <= domain:
            variants.append(("group size", f"{g} GPUs", config.workload(group_sizes=(g,)), None))
    frames = []
    for dimension, variant, workload, override in variants:
        table = modelled_throughput(reference, llm_models, workload, config.targets, eff, model_override=override)
        frames.append(table.with_columns(pl.lit(dimension).alias("dimension"), pl.lit(variant).alias("variant")))
    return pl.concat(frames)


def regime_map(accelerators: pl.DataFrame, llm_models: pl.DataFrame, config: Config, eff: Efficiency) -> pl.DataFrame:
    """Regime and throughput over context x per-user speed for the regime accelerators."""
    chosen = accelerators.filter(pl.col("accelerator_id").is_in(list(config.regime_accelerators)))
    frames = []
    for ctx in config.regime_contexts:
        workload = config.workload(context=ctx)
        model, hw, weight_bytes, kv_bytes, _ = prepare(chosen, llm_models, workload)
        for speed in config.regime_speeds:
            points = operating_points(model, hw, weight_bytes, kv_bytes, ctx, speed, workload.group_sizes, eff)
            frames.append(
                pl.DataFrame(
                    {
                        "accelerator_id": hw.accelerator_id,
                        "product": hw.product,
                        "context": float(ctx),
                        "per_user_target": float(speed),
                        "regime": points.regime,
                        "throughput_per_accelerator": points.throughput_per_accelerator,
                    }
                )
            )
    return pl.concat(frames).with_columns(pl.col(pl.Float64).fill_nan(None))


def software_gains(benchmarks: pl.DataFrame, claims: pl.DataFrame) -> pl.DataFrame:
    """Same-hardware speed-ups: MLPerf first vs best round per (accelerator, family, scenario, GPUs), and software claims."""
    measured = measured_results(benchmarks).filter(pl.col("accelerator_count").is_not_null())
    rows = []
    for key, group in measured.group_by(
        ["accelerator_id", "family", "scenario", "accelerator_count"], maintain_order=True
    ):
        if group["round"].n_unique() < 2:
            continue
        ordered = group.sort("round")
        first = number(ordered.filter(pl.col("round") == ordered["round"][0])["tokens_per_s_per_accelerator"].max())
        best = number(ordered["tokens_per_s_per_accelerator"].max())
        rows.append(
            (key[0], f"MLPerf {key[1]} {key[2]}, {key[3]} GPUs: {ordered['round'][0]} -> best round", best / first)
        )
    for r in claims.filter(pl.col("claim_metric") == "software").iter_rows(named=True):
        rows.append((r["accelerator_id"], f"vendor claim {r['result_id']}", r["claimed_speedup_x"]))
    return pl.DataFrame(rows, schema={"accelerator_id": pl.Utf8, "evidence": pl.Utf8, "gain": pl.Float64}, orient="row")


def seed_example(seed_claims: pl.DataFrame) -> dict:
    """The seed's example figures (requests, per-user speed, rack kW, tokens/s per MW) read from ``seed_claims``."""
    values = dict(zip(seed_claims["claim_id"], seed_claims["claimed_value"]))
    return {key: values[claim_id] for key, claim_id in SEED_EXAMPLE_IDS.items()}


def seed_example_check(
    accelerators: pl.DataFrame,
    systems: pl.DataFrame,
    llm_models: pl.DataFrame,
    config: Config,
    eff: Efficiency,
    example: dict,
) -> dict:
    """The seed's Rubin NVL72 example (``example``: :func:`seed_example` of seed_claims) against the data and the model.

    Arithmetic (requests x speed, per MW at the seed's power), the rack power in ``systems``
    (if recorded), and the model's largest concurrency at the seed's per-user speed on the
    rack's accelerators for the configured model and context.
    """
    out = {**example, "aggregate_tok_s": example["requests"] * example["per_user_tok_s"]}
    out["arithmetic_tok_s_per_mw"] = out["aggregate_tok_s"] / (example["rack_kw"] / 1000.0)
    rack = systems.filter(pl.col("accelerator_id") == EXAMPLE_ACCELERATOR).head(1)
    out["rack_gpus"] = int(rack["accelerator_count"][0]) if rack.height else None
    out["rack_power_in_data_kw"] = rack["rack_power_kw"][0] if rack.height else None
    rubin = accelerators.filter(pl.col("accelerator_id") == EXAMPLE_ACCELERATOR)
    if rubin.is_empty() or out["rack_gpus"] is None:
        out["model_requests"] = None
        return out
    for key, efficiency in (("model", eff), ("ceiling", hardware_ceiling(eff))):
        table = modelled_throughput(rubin, llm_models, config.workload(), [example["per_user_tok_s"]], efficiency)
        per_gpu = table["throughput_per_accelerator"][0]
        speed = table["per_user_tokens_per_s"][0]
        out[f"{key}_requests"] = 0.0 if per_gpu is None else per_gpu * out["rack_gpus"] / speed
        out[f"{key}_regime"] = table["regime"][0]
    model = model_arrays(llm_models.filter(pl.col("model_id") == config.model_id))
    kv_bytes = float(model.kv_bytes_per_sequence(config.context, BYTES_PER_ELEMENT[config.kv])[0])
    out["kv_per_request_gib"] = kv_bytes / 2**30
    out["rack_memory_gib"] = float(rubin["memory_gib"][0] * out["rack_gpus"])
    out["rack_memory_kv_share"] = out["kv_per_request_gib"] * example["requests"] / out["rack_memory_gib"]
    return out
