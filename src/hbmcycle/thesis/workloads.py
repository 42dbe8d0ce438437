"""The thesis over a workload matrix: local elasticities of throughput per model x precision x context.

The answer depends on the workload: a dense 70B in FP8 at 8k context leaves most of a 180-288 GB
part free for KV, so capacity barely matters; large MoE models, FP4 and long contexts move it.
For each workload the engine's local elasticities (capacity or bandwidth scaled by +-10 %, as in
:func:`hbmcycle.inference.operating.local_elasticities`) at the reference accelerator, per GPU
(group sizes up to the scale-up domain, tensor parallelism; no expert parallelism or
disaggregated prefill, which the rack-scale serving model adds).
"""

from __future__ import annotations

import polars as pl

from hbmcycle.inference.operating import Workload, modelled_throughput
from hbmcycle.inference.step_time import Efficiency


def workload_matrix(
    accelerators: pl.DataFrame,
    llm_models: pl.DataFrame,
    eff: Efficiency,
    reference: str,
    models,
    precisions,
    contexts,
    targets,
) -> pl.DataFrame:
    """One row per model x weight precision x context x target: regime, throughput and elasticities (modelled).

    Models missing from ``llm_models`` are skipped; KV cache is FP8 throughout.
    """
    chip = accelerators.filter(pl.col("accelerator_id") == reference)
    if chip.is_empty():
        raise ValueError(f"reference accelerator {reference!r} not in accelerators")
    known = set(llm_models["model_id"])
    frames = []
    for model_id in (m for m in models if m in known):
        for weights in precisions:
            for context in contexts:
                workload = Workload(model_id=model_id, context=float(context), weights=weights, kv="fp8")
                table = modelled_throughput(chip, llm_models, workload, targets, eff)
                frames.append(
                    table.with_columns(
                        model_id=pl.lit(model_id), weights=pl.lit(weights), context=pl.lit(float(context))
                    )
                )
    return pl.concat(frames) if frames else pl.DataFrame()


def elasticity_span(matrix: pl.DataFrame) -> pl.DataFrame:
    """Per model: the range of capacity and bandwidth elasticities over precisions, contexts and targets."""
    return (
        matrix.drop_nulls(["e_size", "e_bw"])
        .group_by("model_id", maintain_order=True)
        .agg(
            pl.col("e_size").min().alias("e_size_min"),
            pl.col("e_size").max().alias("e_size_max"),
            pl.col("e_bw").min().alias("e_bw_min"),
            pl.col("e_bw").max().alias("e_bw_max"),
            pl.len().alias("points"),
        )
    )
