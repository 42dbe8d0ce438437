"""Verdicts on the thesis's sub-claims and the headline paragraph, computed from the analysis and the thresholds."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from hbmcycle.scalars import number
from hbmcycle.thesis.config import Analysis
from hbmcycle.thesis.settings import (
    ELASTICITY_NEAR,
    MIN_POINTS,
    RACK_POWER_TOLERANCE,
    SHARE_FAILS,
    SHARE_HOLDS,
    SOFTWARE_GAIN,
)


def _row(dataset: str, form: str, term: str, table: pl.DataFrame) -> dict | None:
    hit = table.filter((pl.col("dataset") == dataset) & (pl.col("form") == form) & (pl.col("term") == term))
    return hit.row(0, named=True) if hit.height else None


def _share(values, predicate) -> float:
    values = [v for v in values if v != "infeasible"]
    return sum(predicate(v) for v in values) / len(values) if values else float("nan")


def _grade(share: float) -> str:
    if not np.isfinite(share):
        return "cannot be checked"
    return "holds" if share >= SHARE_HOLDS else ("does not hold" if share < SHARE_FAILS else "partly holds")


def feasible_shares(a: Analysis) -> tuple[float, float, int]:
    """Shares of feasible operating points (regime map + seed generations) that are capacity-limited and memory-bound."""
    seed_model = a.modelled.filter(pl.col("accelerator_id").is_in(list(a.config.generations)))
    regimes = a.regime_map["regime"].to_list() + seed_model["regime"].to_list()
    capacity = _share(regimes, lambda r: r.startswith("capacity"))
    bandwidth = _share(regimes, lambda r: r in ("capacity x bandwidth", "bandwidth"))
    return capacity, bandwidth, len([r for r in regimes if r != "infeasible"])


def verdicts(a: Analysis) -> pl.DataFrame:
    """One row per sub-claim: verdict and the evidence sentence, from the computed tables and the thresholds above."""
    rows = [*_bottleneck_rows(a), _growth_row(a), _law_row(a), _example_row(a), _software_row(a)]
    return pl.DataFrame(rows, schema={"claim": pl.Utf8, "verdict": pl.Utf8, "evidence": pl.Utf8}, orient="row")


def _bottleneck_rows(a: Analysis) -> list[tuple[str, str, str]]:
    """Sub-claims 1 and 2: capacity limits the batch, bandwidth limits the speed."""
    out = []
    # 1. batch bottlenecks on HBM size: the throughput-optimal batch is the largest that fits
    capacity_share, bw_share, feasible = feasible_shares(a)
    out.append(
        (
            "Batch growth bottlenecks on HBM size",
            _grade(capacity_share),
            f"the batch is capacity-limited at {capacity_share:.0%} of {feasible} "
            f"feasible operating points (regime map + seed generations at max batch and each speed target); "
            f"elsewhere the per-user speed target stops it first",
        )
    )

    # 2. per-request speed bottlenecks on bandwidth: step time is memory-bound
    out.append(
        (
            "Per-request speed bottlenecks on HBM bandwidth",
            _grade(bw_share),
            f"the decode step is memory-bound at {bw_share:.0%} of feasible points; compute-bound at the rest",
        )
    )
    return out


def _growth_row(a: Analysis) -> tuple[str, str, str]:
    """Sub-claim 3: size x bandwidth grows faster than throughput."""
    # 3. size x bw grows faster than throughput
    checked = a.growth.filter(pl.col("size_x_bw_grows_faster").is_not_null())
    faster = checked["size_x_bw_grows_faster"].sum()
    verdict = (
        "cannot be checked"
        if checked.is_empty()
        else "holds"
        if faster == checked.height
        else "does not hold"
        if faster == 0
        else "partly holds"
    )
    detail = "; ".join(
        f"{r['series']}: throughput x{r['throughput_growth_per_gen']:.2f}/gen vs size x bw "
        f"x{r['size_x_bw_growth_per_gen']:.2f}/gen"
        for r in checked.iter_rows(named=True)
    )
    return ("Size x bandwidth grows faster than throughput", verdict, detail or "no series with two points")


def _law_row(a: Analysis) -> tuple[str, str, str]:
    """Sub-claim 4: 2x throughput needs 2x size x bandwidth (regressions and natural experiments)."""
    # 4. 2x throughput needs 2x size x bw: product elasticity ~1 and size matters like bandwidth
    evidence = []
    for dataset in a.elasticities["dataset"].unique(maintain_order=True):
        joint_size = _row(dataset, "joint", "size", a.elasticities)
        joint_bw = _row(dataset, "joint", "bandwidth", a.elasticities)
        if joint_size is None or joint_bw is None or joint_size["n"] < MIN_POINTS:
            continue
        size_is_one = joint_size["t_low"] <= 1 <= joint_size["t_high"]
        size_is_zero = joint_size["t_low"] <= 0 <= joint_size["t_high"] or abs(joint_size["estimate"]) < ELASTICITY_NEAR
        bw_is_one = joint_bw["t_low"] <= 1 <= joint_bw["t_high"]
        evidence.append((dataset, joint_size, joint_bw, size_is_one and bw_is_one, size_is_zero and not size_is_one))
    natural = a.natural
    law_errors = {}
    for label in ("thesis: size x bandwidth", "bandwidth only"):
        errs = []
        for pair in natural["pair"].unique(maintain_order=True):
            law = natural.filter((pl.col("pair") == pair) & (pl.col("label") == label))["ratio"]
            observed = natural.filter((pl.col("pair") == pair) & (pl.col("kind") == "measured"))["ratio"]
            if len(law) and len(observed):
                errs.append(float(np.median(np.abs(np.log(law[0] / observed.to_numpy())))))
        law_errors[label] = errs
    thesis_err = np.median(law_errors["thesis: size x bandwidth"]) if law_errors["thesis: size x bandwidth"] else np.nan
    bw_err = np.median(law_errors["bandwidth only"]) if law_errors["bandwidth only"] else np.nan
    consistent = sum(e[3] for e in evidence)
    rejecting = sum(e[4] for e in evidence)
    if not evidence and not np.isfinite(thesis_err):
        verdict = "cannot be checked"
    elif consistent == len(evidence) and (not np.isfinite(thesis_err) or thesis_err <= bw_err):
        verdict = "holds"
    elif consistent < len(evidence) / 2 and (
        thesis_err > bw_err if np.isfinite(thesis_err) else rejecting >= len(evidence) / 2
    ):
        verdict = "does not hold"
    else:
        verdict = "partly holds"
    detail = (
        f"joint regressions with >= {MIN_POINTS} points: {consistent} of {len(evidence)} have size and bandwidth "
        f"elasticity intervals both containing 1, {rejecting} have a size elasticity consistent with 0 and not 1; "
        f"natural experiments: median |log error| thesis {thesis_err:.2f} vs bandwidth-only {bw_err:.2f}"
    )
    return ("2x throughput per generation needs 2x size x bandwidth", verdict, detail)


def _example_row(a: Analysis) -> tuple[str, str, str]:
    """Sub-claim 5: the seed's Rubin NVL72 example."""
    # 5. the Rubin NVL72 example
    ex = a.seed_example
    arithmetic_ok = math.isclose(ex["arithmetic_tok_s_per_mw"], ex["tok_s_per_mw"], rel_tol=0.05)
    if ex.get("model_requests") is None:
        verdict, detail = "cannot be checked", "Rubin or its rack is missing from the data"
    else:
        engine_ok = ex["model_requests"] >= ex["requests"]
        ceiling_ok = ex["ceiling_requests"] >= ex["requests"]
        power_known = ex["rack_power_in_data_kw"] is not None
        # The per-MW figure stands only if the recorded rack power is close to the seed's.
        power_ok = power_known and math.isclose(
            ex["rack_power_in_data_kw"], ex["rack_kw"], rel_tol=RACK_POWER_TOLERANCE
        )
        verdict = (
            "holds"
            if arithmetic_ok and engine_ok and power_ok
            else "partly holds"
            if arithmetic_ok and (engine_ok or ceiling_ok)
            else "does not hold"
        )
        if power_known:
            per_mw_data = ex["aggregate_tok_s"] / (ex["rack_power_in_data_kw"] / 1000.0)
            power_text = (
                f"{ex['rack_power_in_data_kw']:g} kW ({'within' if power_ok else 'outside'} "
                f"±{RACK_POWER_TOLERANCE:.0%} of the seed's {ex['rack_kw']:g} kW), giving "
                f"{per_mw_data / 1e6:.2f}M tok/s/MW"
            )
        else:
            power_text = "not recorded, so per-MW cannot be checked"
        detail = (
            f"{ex['requests']:,} x {ex['per_user_tok_s']:g} tok/s = {ex['aggregate_tok_s']:,.0f} tok/s; at "
            f"{ex['rack_kw']:g} kW that is {ex['arithmetic_tok_s_per_mw'] / 1e6:.2f}M tok/s/MW "
            f"({'matches' if arithmetic_ok else 'does not match'} the seed's {ex['tok_s_per_mw'] / 1e6:.1f}M); "
            "rack power in systems: "
            f"{power_text}; "
            f"for {a.config.model_id} at {a.config.context:,.0f} tokens and >= {ex['per_user_tok_s']:g} tok/s/user "
            f"on {ex['rack_gpus']} Rubin GPUs the calibrated engine serves {ex['model_requests']:,.0f} concurrent "
            f"requests ({ex['model_regime']}), its hardware ceiling without fixed overheads "
            f"{ex['ceiling_requests']:,.0f} ({ex['ceiling_regime']}); {ex['requests']:,} such requests hold "
            f"{ex['rack_memory_kv_share']:.0%} of rack HBM in KV cache"
        )
    title = (
        f"Rubin NVL72 example: {ex['requests']:,.0f} requests x {ex['per_user_tok_s']:g} tok/s, "
        f"{ex['tok_s_per_mw'] / 1e6:.1f}M tok/s per MW"
    )
    return (title, verdict, detail)


def _software_row(a: Analysis) -> tuple[str, str, str]:
    """Sub-claim 6: software is an independent dimension."""
    # 6. software is an independent dimension
    gains = a.software.filter(pl.col("gain") >= SOFTWARE_GAIN)
    spread = a.sensitivity.filter(pl.col("dimension").is_in(["precision", "attention", "model"]))
    size_range = spread["e_size"].drop_nulls()
    changes_elasticity = (
        bool(len(size_range)) and number(size_range.max()) - number(size_range.min()) > 2 * ELASTICITY_NEAR
    )
    if a.software.is_empty():
        verdict = "cannot be checked"
    elif gains.height and not changes_elasticity:
        verdict = "holds"
    elif gains.height:
        verdict = "partly holds"
    else:
        verdict = "does not hold"
    detail = (
        f"{gains.height} of {a.software.height} same-hardware comparisons gained >= {SOFTWARE_GAIN - 1:.0%} "
        f"(largest x{number(a.software['gain'].max()):.2f}); but software choices (precision, MLA vs GQA, MoE) move the "
        f"capacity elasticity over [{number(size_range.min()):.2f}, {number(size_range.max()):.2f}] "
        f"at {a.config.reference_accelerator}"
        if len(size_range) and a.software.height
        else "no same-hardware comparisons in the data"
    )
    return ("Software optimisation is an independent dimension", verdict, detail)


def _tokens(n: float) -> str:
    return f"{n / 1024:g}k" if n >= 1024 else f"{n:g}"


def thesis_regime_share(sensitivity_table: pl.DataFrame) -> tuple[float, int]:
    """Share of modelled operating points where both local elasticities are within ELASTICITY_NEAR of 1 (and count)."""
    points = sensitivity_table.drop_nulls(["e_size", "e_bw"])
    both = points.filter(
        ((pl.col("e_size") - 1).abs() <= ELASTICITY_NEAR) & ((pl.col("e_bw") - 1).abs() <= ELASTICITY_NEAR)
    )
    return (both.height / points.height if points.height else float("nan")), points.height


def headline(a: Analysis) -> str:
    """The verdict paragraph; every number and every qualitative word is computed from the analysis."""
    e, cfg = a.elasticities, a.config

    def ci(row):
        return f"{row['estimate']:.2f} [{row['t_low']:.2f}, {row['t_high']:.2f}]" if row else "n/a"

    share, points = thesis_regime_share(a.sensitivity)
    ref = a.sensitivity.filter(pl.col("dimension") == "context").drop_nulls(["e_size", "e_bw"])
    by_regime = (
        ref.group_by("regime")
        .agg(pl.col("e_size").median(), pl.col("e_bw").median(), pl.len())
        .sort("len", descending=True)
    )
    parts = [
        f"**Verdict.** The thesis says throughput has elasticity 1 in HBM size and 1 in bandwidth. In the calibrated "
        f"inference model ({cfg.model_id}, {cfg.weights} weights, {cfg.kv} KV, at {cfg.reference_accelerator}) both "
        f"local elasticities are within ±{ELASTICITY_NEAR} of 1 at {share:.0%} of {points} operating points "
        f"(contexts {_tokens(min(cfg.sensitivity_contexts))}–{_tokens(max(cfg.sensitivity_contexts))}, precisions, "
        f"models, group sizes; max batch and {', '.join(f'{s:g}' for s in cfg.interactivity)} "
        f"tok/s/user). By regime (context sweep): "
    ]
    parts.append(
        "; ".join(
            f"{r['regime']}: capacity {r['e_size']:.2f}, bandwidth {r['e_bw']:.2f} (median of {r['len']})"
            for r in by_regime.iter_rows(named=True)
        )
        + ". "
    )
    for dataset, what in (
        ("(b) all vendors: model, max batch", "the model across all vendors at max batch"),
        ("(c) MLPerf measured, all vendors", "MLPerf measurements (FP4 indicator as control)"),
    ):
        size, bw = _row(dataset, "joint", "size", e), _row(dataset, "joint", "bandwidth", e)
        if size:
            corr = e.filter(pl.col("dataset") == dataset)["log_correlation"][0]
            parts.append(
                f"Regressions on {what} ({size['n']} accelerators) give capacity {ci(size)} and bandwidth "
                f"{ci(bw)} ({int(cfg.level * 100)}% t-intervals; log size and log bandwidth correlate at {corr:.2f}). "
            )
    nat = a.natural
    if nat.height:
        for pair in nat["pair"].unique(maintain_order=True):
            rows = nat.filter(pl.col("pair") == pair)
            law = dict(zip(rows["label"], rows["ratio"]))
            observed = rows.filter(pl.col("kind") == "measured")["ratio"]
            if len(observed):
                parts.append(
                    f"{pair.split(',')[0]}: measured {number(observed.min()):.2f}–{number(observed.max()):.2f}x vs "
                    f"{law['thesis: size x bandwidth']:.2f}x (size x bandwidth) and {law['bandwidth only']:.2f}x "
                    f"(bandwidth only). "
                )
    v = {r["claim"]: r["verdict"] for r in a.verdicts.iter_rows(named=True)}
    parts.append("Sub-claims: " + "; ".join(f"{k.lower()} — **{val}**" for k, val in v.items()) + ". ")
    parts.append(_closing(a, ref))
    parts.append(_workload_sentence(a.workloads))
    return "".join(parts)


def _closing(a: Analysis, ref: pl.DataFrame) -> str:
    """The headline's last sentence: how the capacity elasticity moves over the context sweep."""
    contexts = a.sensitivity.filter((pl.col("dimension") == "context") & (pl.col("target") == "max batch")).drop_nulls(
        "e_size"
    )
    if contexts.height >= 2:
        short, long = contexts.row(0, named=True), contexts.row(contexts.height - 1, named=True)
        scarcer = "bandwidth" if number(ref["e_bw"].mean()) > number(ref["e_size"].mean()) else "capacity"
        return (
            f"A law that fits better is the closed form T = BW (1 - W/C') / (L k), capped by compute and the "
            f"speed target: capacity enters only through the KV room it leaves. At max batch the capacity "
            f"elasticity moves from {short['e_size']:.2f} at {short['variant']} to {long['e_size']:.2f} at "
            f"{long['variant']}; averaged over the context sweep, {scarcer} has the larger elasticity, so "
            f"{scarcer} per accelerator is what buys throughput, and the demand for the other grows only where "
            f"its elasticity stays high."
        )
    return ""


def _workload_sentence(matrix: pl.DataFrame) -> str:
    """How far the capacity elasticity at max batch moves over the workload matrix, and where it is highest."""
    at_max = matrix.filter(pl.col("target") == "max batch").drop_nulls("e_size") if matrix.height else matrix
    if at_max.is_empty():
        return ""
    top = at_max.sort("e_size", descending=True).row(0, named=True)
    return (
        f" The workload decides: over the workload matrix ({at_max['model_id'].n_unique()} models, "
        f"{', '.join(at_max['weights'].unique(maintain_order=True))}, {_tokens(number(at_max['context'].min()))}-"
        f"{_tokens(number(at_max['context'].max()))} tokens) the capacity elasticity at max batch runs from "
        f"{number(at_max['e_size'].min()):.2f} to {top['e_size']:.2f} (highest: {top['model_id']}, {top['weights']}, "
        f"{_tokens(top['context'])} tokens)."
    )
