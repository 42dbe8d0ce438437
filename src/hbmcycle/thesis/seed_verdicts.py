"""The thesis's verdicts as ClaimVerdict records keyed by ``seed_claims`` ids, measured and modelled evidence kept apart.

A verdict on the law itself rests on measurements (MLPerf regressions and natural experiments
between like-for-like results); the engine's regressions return the engine's own closed form,
so they are shown as modelled evidence beside it and never decide it. Bottleneck claims are
about the mechanism and rest on the model (stated as such), with the workload matrix showing
how far the answer moves with the workload.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import Flip, would_change
from hbmcycle.claims.seed import Seed, judged
from hbmcycle.thesis.config import Analysis
from hbmcycle.thesis.rack_verdicts import RackLaw, RubinInputs, example_claims, rack_law
from hbmcycle.thesis.settings import ELASTICITY_NEAR, MIN_POINTS, SHARE_FAILS, SHARE_HOLDS
from hbmcycle.thesis.subclaims import feasible_shares

# The bottleneck claims are still judged per GPU (the rack-scale run judges the law and the Rubin example).
RACK_GAP = (
    "per GPU (tensor parallelism within the scale-up domain); NVL72 pooling, wide expert parallelism "
    "and disaggregated prefill not modelled for this claim"
)


def grade_law(n_for: int, n_against: int, thesis_closer: bool | None) -> str:
    """The size x bandwidth law from measured evidence.

    ``n_for``: regressions whose capacity interval contains 1 and excludes 0; ``n_against``:
    those whose interval excludes 1; ``thesis_closer``: whether like-for-like natural
    experiments sit closer to the thesis's ratio than to the bandwidth-only ratio (None: none).
    """
    if n_for + n_against == 0 and thesis_closer is None:
        return v.UNCHECKABLE
    if n_against == 0 and thesis_closer is not False and (n_for > 0 or thesis_closer):
        return v.HOLDS
    if n_for == 0 and (n_against > 0 or thesis_closer is False) and thesis_closer is not True:
        return v.FAILS
    return v.PARTLY


def _measured_regressions(a: Analysis) -> tuple[int, int, int, list[str]]:
    rows = a.elasticities.filter(
        pl.col("dataset").str.contains("measured") & (pl.col("form") == "joint") & (pl.col("term") == "size")
    ).filter(pl.col("n") >= MIN_POINTS)
    n_for = n_against = 0
    text = []
    for r in rows.iter_rows(named=True):
        has_one, has_zero = r["t_low"] <= 1 <= r["t_high"], r["t_low"] <= 0 <= r["t_high"]
        n_for += has_one and not has_zero
        n_against += not has_one
        text.append(f"{r['dataset']}: capacity {r['estimate']:.2f} [{r['t_low']:.2f}, {r['t_high']:.2f}] (n={r['n']})")
    return n_for, n_against, rows.height, text


def natural_errors(natural: pl.DataFrame) -> tuple[float, float, int]:
    """Median |log(law / observed)| of the thesis and bandwidth-only laws over like-for-like measured pairs."""
    errors: dict[str, list[float]] = {"thesis: size x bandwidth": [], "bandwidth only": []}
    pairs = 0
    for pair in natural["pair"].unique(maintain_order=True):
        observed = natural.filter((pl.col("pair") == pair) & (pl.col("kind") == "measured"))["ratio"].to_numpy()
        if not len(observed):
            continue
        pairs += 1
        for label, errs in errors.items():
            law = natural.filter((pl.col("pair") == pair) & (pl.col("label") == label))["ratio"][0]
            errs.append(float(np.median(np.abs(np.log(law / observed)))))
    thesis, bw = (float(np.median(e)) if e else float("nan") for e in errors.values())
    return thesis, bw, pairs


def law_claim(a: Analysis, seed: Seed, matrix_span: str, rack: RackLaw):
    """throughput = size x bandwidth, judged on measurements; the engine's regression and racks shown as modelled.

    Returns the verdict and its sensitivity row (the verdict if it rested on the modelled racks instead).
    """
    n_for, n_against, n, text = _measured_regressions(a)
    thesis_err, bw_err, pairs = natural_errors(a.natural)
    closer = None if not pairs else bool(thesis_err <= bw_err)
    confounded = a.natural.filter(pl.col("kind") == "confounded")["pair"].unique(maintain_order=True).to_list()
    model = a.elasticities.filter(
        pl.col("dataset").str.starts_with("(b)") & (pl.col("form") == "joint") & (pl.col("term") == "size")
    ).head(1)
    modelled = (
        f"modelled (the engine's own output, so it returns the closed form): all-vendor capacity elasticity "
        f"{model['estimate'][0]:.2f}; workload matrix {matrix_span}"
        if model.height
        else f"modelled: workload matrix {matrix_span}"
    )
    evidence = (
        f"MEASURED: {'; '.join(text) or 'no regression with enough points'}; like-for-like natural experiments "
        f"({pairs} pair(s), same round and power): median |log error| thesis {thesis_err:.2f} vs bandwidth-only "
        f"{bw_err:.2f}; excluded as not like for like: {', '.join(confounded) or 'none'}. {modelled}. {rack.evidence}"
    )
    verdict = grade_law(n_for, n_against, closer)
    flip = rack.flip(verdict)
    scope = f"measured: per GPU, MLPerf results ({n} regressions); {rack.scope or 'no rack point modelled'}"
    claim = judged(
        seed,
        verdict=verdict,
        scope=scope,
        evidence=evidence,
        evidence_kind="measured",
        threshold="capacity elasticity interval containing 1 and excluding 0 counts for, excluding 1 against; "
        "natural experiments closer to the size x bandwidth ratio than to bandwidth alone count for",
        sources="inference_benchmarks (MLPerf); accelerators; systems; llm_models; workloads; engine constants",
        would_change=would_change(
            [flip], "MLPerf results at long context or on large MoE models (same round, same power)"
        ),
    )
    return claim, flip


def tracks_claim(a: Analysis, seed: Seed):
    """The seed chart: size x bandwidth tracks throughput and grows faster (measured series decides)."""
    growth = {r["series"]: r for r in a.growth.iter_rows(named=True)}
    m = growth.get("measured")
    modelled = "; ".join(
        f"{k}: x{r['elasticity_vs_size_x_bw']:.2f}"
        for k, r in growth.items()
        if k.startswith("modelled") and r["elasticity_vs_size_x_bw"] is not None
    )
    if m is None or m["elasticity_vs_size_x_bw"] is None:
        verdict, detail = v.UNCHECKABLE, "no measured series with two generations"
    else:
        e = m["elasticity_vs_size_x_bw"]
        verdict = v.by_flags([bool(m["size_x_bw_grows_faster"]), abs(e - 1) <= ELASTICITY_NEAR])
        detail = (
            f"MLPerf {m['span']}: throughput x{m['throughput_growth_per_gen']:.2f}/gen vs size x bw "
            f"x{m['size_x_bw_growth_per_gen']:.2f}/gen (elasticity {e:.2f})"
        )
    claimed = growth.get("claimed_headline")
    extra = f"; vendor claims x{claimed['throughput_growth_per_gen']:.2f}/gen" if claimed else ""
    return judged(
        seed,
        verdict=verdict,
        scope="NVIDIA generations with MLPerf results, per GPU",
        evidence=f"MEASURED: {detail}{extra}. MODELLED elasticities vs size x bw: {modelled}",
        evidence_kind="measured",
        threshold=f"size x bw grows faster and the elasticity is within +-{ELASTICITY_NEAR} of 1",
        sources="inference_benchmarks; accelerators",
        would_change="measured results for Rubin and Rubin Ultra",
    )


def bottleneck_claims(a: Analysis, seeds: dict[str, Seed], matrix: pl.DataFrame) -> list:
    """Batch bounded by capacity; speed bounded by bandwidth (modelled, over the regime map and seed generations)."""
    capacity_share, bandwidth_share, points = feasible_shares(a)
    by_model = matrix.group_by("model_id", maintain_order=True).agg(
        (pl.col("regime").str.starts_with("capacity").mean()).alias("capacity"),
        (pl.col("regime").is_in(["capacity x bandwidth", "bandwidth"]).mean()).alias("bandwidth"),
    )
    spread = lambda col: ", ".join(f"{r['model_id']} {r[col]:.0%}" for r in by_model.iter_rows(named=True))
    out = []
    for claim_id, share, col, what in (
        ("hbm_size_linear_batch", capacity_share, "capacity", "the batch is capacity-limited"),
        ("speed_linear_hbm_bw", bandwidth_share, "bandwidth", "the decode step is memory-bound"),
    ):
        out.append(
            judged(
                seeds[claim_id],
                verdict=v.by_share(share, SHARE_HOLDS, SHARE_FAILS),
                scope=f"{a.config.model_id}, {a.config.weights}, regime map and seed generations; {RACK_GAP}",
                evidence=f"{what} at {share:.0%} of {points} feasible operating points; by workload "
                f"(matrix): {spread(col)}",
                evidence_kind="modelled",
                threshold=f">= {SHARE_HOLDS:.0%} of points holds, < {SHARE_FAILS:.0%} does not",
                sources="accelerators; llm_models; engine constants",
                would_change="the workload: see the per-model shares",
            )
        )
    return out


def seed_verdicts(
    a: Analysis, seeds: dict[str, Seed], matrix: pl.DataFrame, matrix_span: str, rubin: RubinInputs
) -> tuple[list, list[Flip]]:
    """Every thesis verdict on a seed claim, and the sensitivity rows behind them."""
    law, law_flip = law_claim(a, seeds["throughput_eq_size_x_bw"], matrix_span, rack_law(a.racks, ELASTICITY_NEAR))
    examples, example_flips = example_claims(rubin, seeds)
    claims = [law, tracks_claim(a, seeds["size_x_bw_tracks_throughput"])] + bottleneck_claims(a, seeds, matrix)
    return claims + examples, [law_flip, *example_flips]
