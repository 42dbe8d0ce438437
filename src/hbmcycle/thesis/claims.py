"""Vendor claims: what each ratio measures, and throughput chained across generations from the ratios."""

from __future__ import annotations

import re

import polars as pl

# What a claim's ratio measures, from its notes; first match wins (order matters: "throughput
# per megawatt ... at lower cost" is a power claim, not a cost claim).
CLAIM_METRIC_RULES: tuple[tuple[str, str], ...] = (
    ("peak_compute", r"peak-compute|\bEF\b|AI performance"),
    ("composite", r"revenue|factory output"),
    ("per_system", r"system vs system"),
    ("per_power", r"per megawatt|per watt"),
    ("per_user", r"TPS per user|per user"),
    ("cost", r"cost per|cost reduction"),
    ("per_dollar", r"tokens per dollar|tokens/\$"),
    ("at_latency", r"real-time"),
)
THROUGHPUT_CLAIMS: tuple[str, ...] = ("throughput", "at_latency")
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def claim_metric(notes: str | None, accelerator_id: str, baseline_id: str | None) -> str:
    """Classify what a vendor ratio measures (see :data:`CLAIM_METRIC_RULES`).

    A claim whose baseline is the same accelerator is a ``software`` gain; one that matches
    no rule is plain ``throughput``.
    """
    if baseline_id == accelerator_id:
        return "software"
    for metric, pattern in CLAIM_METRIC_RULES:
        if re.search(pattern, notes or "", flags=re.IGNORECASE):
            return metric
    return "throughput"


def classify_claims(benchmarks: pl.DataFrame) -> pl.DataFrame:
    """Claimed rows of ``inference_benchmarks`` with a ``claim_metric`` column."""
    claims = benchmarks.filter(pl.col("kind") == "claimed")
    metric = [
        claim_metric(r["notes"], r["accelerator_id"], r["baseline_accelerator_id"])
        for r in claims.iter_rows(named=True)
    ]
    return claims.with_columns(pl.Series("claim_metric", metric, dtype=pl.Utf8))


def claimed_chain(
    claims: pl.DataFrame, generations, anchor: str = "nvidia_h100_sxm", metrics=THROUGHPUT_CLAIMS, pick: str = "max"
) -> pl.DataFrame:
    """Throughput relative to ``anchor`` by chaining vendor ratios (claims classified by :func:`classify_claims`).

    Starting from anchor = 1, a generation is resolved by a claim of an allowed metric whose
    baseline (or claimed accelerator, inverted) is already resolved. Among candidates the
    best confidence wins, then ``pick`` = "max" (the headline) or "min" (the most
    conservative). Returns accelerator_id, claimed_relative, via (the result ids used).
    """
    if pick not in ("max", "min"):
        raise ValueError("pick must be 'max' or 'min'")
    usable = claims.filter(
        pl.col("claim_metric").is_in(list(metrics)) & pl.col("baseline_accelerator_id").is_not_null()
    )
    value = {anchor: 1.0}
    via = {anchor: "anchor"}
    changed = True
    while changed:
        changed = False
        for target in generations:
            if target in value:
                continue
            candidates = []
            for row in usable.iter_rows(named=True):
                ratio, acc, base = row["claimed_speedup_x"], row["accelerator_id"], row["baseline_accelerator_id"]
                if acc == target and base in value:
                    candidates.append(
                        (_CONFIDENCE_RANK[row["confidence"]], value[base] * ratio, row["result_id"], base)
                    )
                elif base == target and acc in value:
                    candidates.append((_CONFIDENCE_RANK[row["confidence"]], value[acc] / ratio, row["result_id"], acc))
            if not candidates:
                continue
            best_rank = min(c[0] for c in candidates)
            tier = [c for c in candidates if c[0] == best_rank]
            chosen = (max if pick == "max" else min)(tier, key=lambda c: c[1])
            value[target] = chosen[1]
            via[target] = chosen[2] if via[chosen[3]] == "anchor" else f"{via[chosen[3]]} > {chosen[2]}"
            changed = True
    rows = [(g, value[g], via[g]) for g in generations if g in value]
    return pl.DataFrame(
        rows, schema={"accelerator_id": pl.Utf8, "claimed_relative": pl.Float64, "via": pl.Utf8}, orient="row"
    )


def ratio_via_common_baseline(claims: pl.DataFrame, base: str, other: str) -> pl.DataFrame:
    """other/base from two ratios a third party stated against both (e.g. AMD's MI355X vs B200 and vs B300).

    For claims ``X/base = r1`` and ``X/other = r2`` of the same metric and benchmark,
    ``other/base = r1 / r2``. The scenario is read from the claim id's last word.
    """

    def keyed(baseline: str) -> dict:
        rows = claims.filter((pl.col("baseline_accelerator_id") == baseline) & (pl.col("claim_metric") == "throughput"))
        return {
            (r["accelerator_id"], r["benchmark_model"], r["result_id"].rsplit("_", 1)[-1]): r["claimed_speedup_x"]
            for r in rows.iter_rows(named=True)
        }

    vs_base, vs_other = keyed(base), keyed(other)
    rows = [(key[1], key[2], vs_base[key] / vs_other[key], key[0]) for key in vs_base if key in vs_other]
    return pl.DataFrame(
        rows, schema={"family": pl.Utf8, "scenario": pl.Utf8, "ratio": pl.Float64, "via": pl.Utf8}, orient="row"
    )
