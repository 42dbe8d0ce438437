"""MLPerf measurements: per-accelerator results, the best per accelerator, and same-round ratios."""

from __future__ import annotations

import re

import polars as pl

from hbmcycle.scalars import number


def benchmark_family(benchmark_model: str | None) -> str | None:
    """MLPerf model name without its accuracy target (llama2-70b-99.9 -> llama2-70b)."""
    return None if benchmark_model is None else re.sub(r"-99(\.9)?$", "", benchmark_model)


def measured_results(benchmarks: pl.DataFrame) -> pl.DataFrame:
    """Measured MLPerf rows with per-accelerator throughput and a ``family`` column."""
    rows = benchmarks.filter(
        (pl.col("kind") == "measured")
        & (pl.col("benchmark") == "mlperf_inference")
        & pl.col("tokens_per_s_per_accelerator").is_not_null()
    )
    return rows.with_columns(
        pl.col("benchmark_model").map_elements(benchmark_family, return_dtype=pl.Utf8).alias("family")
    )


def best_measured(measured: pl.DataFrame, family: str, scenario: str) -> pl.DataFrame:
    """Best per-accelerator throughput for one benchmark family and scenario, over all rounds.

    Taking the best result credits each accelerator with its most mature software; the
    ``round`` and ``precision`` columns say which result that was.
    """
    rows = measured.filter((pl.col("family") == family) & (pl.col("scenario") == scenario))
    return (
        rows.sort("tokens_per_s_per_accelerator", descending=True)
        .group_by("accelerator_id", maintain_order=True)
        .first()
        .select("accelerator_id", "tokens_per_s_per_accelerator", "round", "precision", "result_id")
    )


def measured_ratio(measured: pl.DataFrame, base: str, other: str) -> pl.DataFrame:
    """Measured other/base throughput ratios per (family, scenario), same round where possible.

    Uses the latest round both were submitted in (same software generation); where they never
    shared a round, the best result of each, flagged ``same_round = False``.
    """
    rows = []
    both = measured.filter(pl.col("accelerator_id").is_in([base, other]))
    for (family, scenario), group in both.group_by(["family", "scenario"], maintain_order=True):
        have = set(group["accelerator_id"])
        if have != {base, other}:
            continue
        rounds = set(group.filter(pl.col("accelerator_id") == base)["round"]) & set(
            group.filter(pl.col("accelerator_id") == other)["round"]
        )
        same = bool(rounds)
        pool = group.filter(pl.col("round") == max(rounds)) if same else group
        best = {
            a: number(pool.filter(pl.col("accelerator_id") == a)["tokens_per_s_per_accelerator"].max())
            for a in (base, other)
        }
        rows.append((family, scenario, best[other] / best[base], same, max(rounds) if same else None))
    return pl.DataFrame(
        rows,
        schema={
            "family": pl.Utf8,
            "scenario": pl.Utf8,
            "ratio": pl.Float64,
            "same_round": pl.Boolean,
            "round": pl.Utf8,
        },
        orient="row",
    )
