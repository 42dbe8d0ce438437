"""The evidence sets: the seed chart's series, growth per generation, elasticity regressions, natural experiments."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from hbmcycle import stats
from hbmcycle.thesis.claims import THROUGHPUT_CLAIMS, claimed_chain, ratio_via_common_baseline
from hbmcycle.thesis.config import Config
from hbmcycle.thesis.measured import measured_ratio
from hbmcycle.thesis.settings import POWER_TOLERANCE


def elasticity_sets(
    accelerators: pl.DataFrame,
    seed_series: pl.DataFrame,
    measured_all: pl.DataFrame,
    modelled: pl.DataFrame,
    generations,
    level: float = stats.DEFAULT_LEVEL,
) -> pl.DataFrame:
    """Elasticity tables for each evidence set, stacked with a ``dataset`` column.

    (a) NVIDIA generations: the claimed (headline) chain, the measured series and the model at
    max batch; (b) all vendors: the model at every target; (c) MLPerf measured per accelerator
    (best result per accelerator for the seed-chart benchmark); (d) the model across the seed
    generations at each per-user target. Sets with too few points for any form are skipped.
    """
    specs = accelerators.select("accelerator_id", "memory_gib", "memory_bw_tb_s")
    sets: list[tuple[str, pl.DataFrame]] = []
    for column, name in (
        ("claimed_headline", "(a) NVIDIA: vendor claims"),
        ("measured", "(a) NVIDIA: MLPerf measured"),
    ):
        sets.append((name, seed_series.select("accelerator_id", pl.col(column).alias("throughput"))))
    model_rows = modelled.select("accelerator_id", "target", pl.col("throughput_per_accelerator").alias("throughput"))
    for target in model_rows["target"].unique(maintain_order=True):
        at = model_rows.filter(pl.col("target") == target).drop("target")
        sets.append((f"(a)/(d) NVIDIA: model, {target}", at.filter(pl.col("accelerator_id").is_in(list(generations)))))
        sets.append((f"(b) all vendors: model, {target}", at))
    sets.append(
        (
            "(c) MLPerf measured, all vendors",
            measured_all.select(
                "accelerator_id", pl.col("tokens_per_s_per_accelerator").alias("throughput"), "precision"
            ),
        )
    )
    frames = []
    for name, frame in sets:
        data = frame.join(specs, on="accelerator_id").drop_nulls()
        data = data.filter((pl.col("throughput") > 0) & (pl.col("memory_gib") > 0))
        if data.height < 3:
            continue
        # FP4 results run at twice the FP8 rate with half the weight bytes: control for it where precisions mix.
        controls = None
        if "precision" in data.columns and data["precision"].n_unique() > 1:
            controls = {"fp4_indicator": (data["precision"] == "fp4").cast(pl.Float64).to_numpy()}
        table = stats.elasticities(
            data["throughput"], data["memory_gib"], data["memory_bw_tb_s"], level=level, controls=controls
        )
        collinear = stats.collinearity(
            {"size": np.log(data["memory_gib"].to_numpy()), "bandwidth": np.log(data["memory_bw_tb_s"].to_numpy())}
        )
        frames.append(
            table.with_columns(
                pl.lit(name).alias("dataset"),
                pl.lit(collinear["correlation"]).alias("log_correlation"),
                pl.lit(collinear["condition_number"]).alias("condition_number"),
                pl.lit(collinear["vif_size"]).alias("vif"),
            )
        )
    return pl.concat(frames).select("dataset", *[c for c in frames[0].columns if c != "dataset"])


def seed_series(
    accelerators: pl.DataFrame,
    claims: pl.DataFrame,
    measured_best: pl.DataFrame,
    modelled: pl.DataFrame,
    config: Config,
) -> pl.DataFrame:
    """The seed chart's data: per generation size, bandwidth, size x bandwidth and three throughput series.

    Columns: accelerator_id, product, ship_year, memory_gib, memory_bw_tb_s, size_x_bw,
    claimed_headline / claimed_conservative (relative to the anchor), claim_via, measured
    (tokens/s per accelerator, MLPerf), modelled_<target> (tokens/s per accelerator).
    """
    order = pl.DataFrame({"accelerator_id": list(config.generations), "generation": range(len(config.generations))})
    base = order.join(
        accelerators.select("accelerator_id", "product", "ship_year", "memory_gib", "memory_bw_tb_s"),
        on="accelerator_id",
        how="left",
    )
    headline = claimed_chain(claims, config.generations, config.anchor, pick="max")
    conservative = claimed_chain(claims, config.generations, config.anchor, pick="min")
    wide = modelled.filter(pl.col("accelerator_id").is_in(list(config.generations))).pivot(
        on="target", index="accelerator_id", values="throughput_per_accelerator"
    )
    wide = wide.rename({c: f"modelled: {c}" for c in wide.columns if c != "accelerator_id"})
    return (
        base.with_columns((pl.col("memory_gib") * pl.col("memory_bw_tb_s")).alias("size_x_bw"))
        .join(
            headline.rename({"claimed_relative": "claimed_headline", "via": "claim_via"}),
            on="accelerator_id",
            how="left",
        )
        .join(
            conservative.select("accelerator_id", pl.col("claimed_relative").alias("claimed_conservative")),
            on="accelerator_id",
            how="left",
        )
        .join(
            measured_best.select(
                "accelerator_id",
                pl.col("tokens_per_s_per_accelerator").alias("measured"),
                pl.col("round").alias("measured_round"),
                pl.col("precision").alias("measured_precision"),
            ),
            on="accelerator_id",
            how="left",
        )
        .join(wide, on="accelerator_id", how="left")
        .sort("generation")
    )


def growth_table(series: pl.DataFrame) -> pl.DataFrame:
    """Per throughput series: its growth per generation step vs size x bandwidth's over the same generations.

    ``elasticity_vs_size_x_bw`` = ln(T_last / T_first) / ln(SxBW_last / SxBW_first); below 1
    means size x bandwidth grew faster than throughput.
    """
    rows: list[tuple] = []
    for column in [
        c
        for c in series.columns
        if c in ("claimed_headline", "claimed_conservative", "measured") or c.startswith("modelled: ")
    ]:
        covered = series.filter(
            pl.col(column).is_not_null() & pl.col(column).is_not_nan() & pl.col("size_x_bw").is_not_null()
        )
        if covered.height < 2:
            rows.append((column, covered.height, None, None, None, None, None))
            continue
        t, p = covered[column].to_numpy(), covered["size_x_bw"].to_numpy()
        steps = float(covered["generation"][-1] - covered["generation"][0])
        t_growth = (t[-1] / t[0]) ** (1 / steps)
        p_growth = (p[-1] / p[0]) ** (1 / steps)
        rows.append(
            (
                column,
                covered.height,
                f"{covered['accelerator_id'][0]} .. {covered['accelerator_id'][-1]}",
                t_growth,
                p_growth,
                math.log(t[-1] / t[0]) / math.log(p[-1] / p[0]),
                p_growth > t_growth,
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            "series": pl.Utf8,
            "points": pl.Int64,
            "span": pl.Utf8,
            "throughput_growth_per_gen": pl.Float64,
            "size_x_bw_growth_per_gen": pl.Float64,
            "elasticity_vs_size_x_bw": pl.Float64,
            "size_x_bw_grows_faster": pl.Boolean,
        },
        orient="row",
    )


def _power_gap(base: dict, other: dict) -> str:
    """Why two parts' power differs ("" when their TDPs agree within POWER_TOLERANCE or one is unknown)."""
    a, b = base["tdp_w"], other["tdp_w"]
    if a is None or b is None or abs(b - a) <= POWER_TOLERANCE * a:
        return ""
    return f"{a:g} W vs {b:g} W"


def natural_experiments(
    accelerators: pl.DataFrame, claims: pl.DataFrame, measured: pl.DataFrame, modelled: pl.DataFrame, pairs
) -> pl.DataFrame:
    """Predicted ratios (thesis, bandwidth-only, model at each target) and observed ratios per pair.

    Long frame: pair, base, other, kind (law / model / measured / confounded / claimed), label, ratio.
    A measured ratio is a natural experiment only between results of the same MLPerf round on
    parts of the same power (TDPs within ``POWER_TOLERANCE``); otherwise, and for ratios chained
    through a third accelerator, its kind is ``confounded`` and the label says why.
    """
    specs = {r["accelerator_id"]: r for r in accelerators.iter_rows(named=True)}
    rows = []
    for base, other in pairs:
        if base not in specs or other not in specs:
            continue
        pair = f"{specs[other]['product'].split(' (')[0]} / {specs[base]['product'].split(' (')[0]}"
        s = specs[other]["memory_gib"] / specs[base]["memory_gib"]
        b = specs[other]["memory_bw_tb_s"] / specs[base]["memory_bw_tb_s"]
        rows += [
            (pair, base, other, "law", "thesis: size x bandwidth", s * b),
            (pair, base, other, "law", "bandwidth only", b),
        ]
        for target in modelled["target"].unique(maintain_order=True):
            at = modelled.filter(pl.col("target") == target)
            values = dict(zip(at["accelerator_id"], at["throughput_per_accelerator"]))
            if values.get(base) and values.get(other):
                rows.append((pair, base, other, "model", f"model, {target}", values[other] / values[base]))
        power = _power_gap(specs[base], specs[other])
        for r in measured_ratio(measured, base, other).iter_rows(named=True):
            note = f"round {r['round']}" if r["same_round"] else "best of different rounds"
            like = r["same_round"] and power == ""
            kind = "measured" if like else "confounded"
            reason = "" if like else "; ".join(x for x in (power, "" if r["same_round"] else "different rounds") if x)
            label = f"MLPerf {r['family']} {r['scenario']} ({note})" + (
                f" [not like for like: {reason}]" if reason else ""
            )
            rows.append((pair, base, other, kind, label, r["ratio"]))
        for r in ratio_via_common_baseline(claims, base, other).iter_rows(named=True):
            label = f"{r['family']} {r['scenario']} (from {r['via']} ratios) [not like for like: chained through a third part]"
            rows.append((pair, base, other, "confounded", label, r["ratio"]))
        direct = claims.filter(
            (pl.col("accelerator_id") == other)
            & (pl.col("baseline_accelerator_id") == base)
            & pl.col("claim_metric").is_in(list(THROUGHPUT_CLAIMS))
        )
        for r in direct.iter_rows(named=True):
            rows.append((pair, base, other, "claimed", f"vendor claim {r['result_id']}", r["claimed_speedup_x"]))
    return pl.DataFrame(
        rows,
        schema={
            "pair": pl.Utf8,
            "base": pl.Utf8,
            "other": pl.Utf8,
            "kind": pl.Utf8,
            "label": pl.Utf8,
            "ratio": pl.Float64,
        },
        orient="row",
    )
