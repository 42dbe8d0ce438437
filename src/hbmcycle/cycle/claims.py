"""The seed's DRAM-history claims re-judged on the tables, as `hbmcycle.verdicts.ClaimVerdict` records.

Claimed values are read from `seed_claims`; thresholds from `claims.yaml`. Each function takes
the tables it needs and returns one record; `all_claims` returns them all for a claims table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from hbmcycle import assumptions, verdicts
from hbmcycle.cycle import history

THRESHOLD_FILE = Path(__file__).with_name("claims.yaml")


def thresholds() -> dict:
    return assumptions.values(THRESHOLD_FILE)


def _seed(seed_claims: pl.DataFrame, claim_id: str) -> dict:
    rows = seed_claims.filter(pl.col("claim_id") == claim_id)
    if rows.is_empty():
        raise KeyError(f"seed_claims has no claim {claim_id!r}")
    return rows.row(0, named=True)


def _record(seed: dict, **fields) -> verdicts.ClaimVerdict:
    return verdicts.ClaimVerdict(claim_id=seed["claim_id"], claim=seed["quote"], post=seed["post"], **fields)


def measured_notebook_dram(pc_dram: pl.DataFrame) -> pl.DataFrame:
    """Notebook DRAM per device (year, avg_dram_gb), rows published as forecasts (notes starting
    'forecast:') left out."""
    return (
        pc_dram.filter((pl.col("device") == "notebook") & ~pl.col("notes").fill_null("").str.starts_with("forecast:"))
        .select("year", "avg_dram_gb")
        .sort("year")
    )


def pc_dram_decade(pc_dram: pl.DataFrame, seed_claims: pl.DataFrame) -> verdicts.ClaimVerdict:
    """'The average PC went from 7-8 GB to about 23 GB in a decade': the table holds notebook
    content only (no all-PC series), so the claim is not tested in its scope whatever the
    notebook numbers say; they are reported as evidence (not confirmed is not refuted)."""
    start, now = _seed(seed_claims, "pc_dram_decade_start"), _seed(seed_claims, "pc_dram_now")
    nb = measured_notebook_dram(pc_dram)
    tol = thresholds()["pc_dram_level_tolerance"]
    if nb.height < 2:
        evidence = f"{nb.height} measured notebook year(s) in pc_dram"
    else:
        years, gb = nb["year"].to_numpy(), nb["avg_dram_gb"].to_numpy()
        decade = (1.0 + history.loglinear_cagr(years, gb)) ** 10
        evidence = (
            f"notebooks only: {gb[-1]:g} GB in {years[-1]} ({gb[-1] / now['claimed_value']:.0%} of the claimed "
            f"{now['claimed_value']:g} GB); x{decade:.1f} per decade on the log-linear trend of "
            f"{years.min()}-{years.max()} (claimed x{now['claimed_value'] / start['claimed_value_high']:.1f}-"
            f"{now['claimed_value'] / start['claimed_value']:.1f}); the 2013-2022 years are missing"
        )
    return _record(
        start,
        scope="notebook PCs (the only PC series in pc_dram); desktops, which run higher, are not in the data",
        verdict=verdicts.OUT_OF_SCOPE,
        evidence=evidence,
        evidence_kind="data",
        threshold=f"holds if an all-PC average within {tol:.0%} of {start['claimed_value']:g}-"
        f"{start['claimed_value_high']:g} GB about ten years before the post and of {now['claimed_value']:g} GB at it",
        sources="pc_dram (device notebook); seed_claims pc_dram_decade_start, pc_dram_now",
        would_change="an all-PC (desktop + notebook) average DRAM series for the decade before the post",
    )


def ddr3_to_ddr5_gaps(ddr: pl.DataFrame) -> dict[str, float | None]:
    """DDR3 -> DDR5 in years, three ways: JEDEC standard publication, first mass production, and
    mainstream crossover (None: no dated crossover for both generations in the data)."""
    rows = {r["generation"]: r for r in ddr.iter_rows(named=True)}
    d3, d5 = rows.get("DDR3"), rows.get("DDR5")
    if d3 is None or d5 is None:
        return {"standard_publication": None, "first_production": None, "mainstream_crossover": None}
    days = (d5["jedec_date"] - d3["jedec_date"]).days if d3["jedec_date"] and d5["jedec_date"] else None
    p3, p5 = d3["first_mass_production_year"], d5["first_mass_production_year"]
    c3, c5 = d3.get("mainstream_crossover_year"), d5.get("mainstream_crossover_year")
    return {
        "standard_publication": days / 365.25 if days is not None else None,
        "first_production": float(p5 - p3) if p3 is not None and p5 is not None else None,
        "mainstream_crossover": float(c5 - c3) if c3 is not None and c5 is not None else None,
    }


def grade_gap(claimed: float, measured: Mapping[str, float | None], holds_within: float, partly_within: float) -> str:
    """holds if every available measure is within `holds_within` years of the claim, partly within
    `partly_within`, else does not hold; no measure: cannot be checked."""
    off = [abs(v - claimed) for v in measured.values() if v is not None]
    if not off:
        return verdicts.UNCHECKABLE
    worst = max(off)
    return verdicts.HOLDS if worst <= holds_within else (verdicts.PARTLY if worst <= partly_within else verdicts.FAILS)


def ddr3_to_ddr5(ddr: pl.DataFrame, seed_claims: pl.DataFrame) -> verdicts.ClaimVerdict:
    """'DDR3 to DDR5 took a full 15 years', measured three ways and all shown."""
    seed = _seed(seed_claims, "ddr3_to_ddr5_15_years")
    t = thresholds()
    gaps = ddr3_to_ddr5_gaps(ddr)
    shown = "; ".join(
        f"{k.replace('_', ' ')}: " + (f"{v:.1f} years" if v is not None else "no data") for k, v in gaps.items()
    )
    return _record(
        seed,
        scope="DDR3 -> DDR5 (desktop/server DDR, not LPDDR)",
        verdict=grade_gap(
            seed["claimed_value"], gaps, t["ddr_gap_holds_within_years"], t["ddr_gap_partly_within_years"]
        ),
        evidence=shown,
        evidence_kind="data",
        threshold=f"holds within {t['ddr_gap_holds_within_years']:g} year(s) of {seed['claimed_value']:g} on every "
        f"measure with data, partly within {t['ddr_gap_partly_within_years']:g}",
        sources="ddr_generations (jedec_date, first_mass_production_year); seed_claims ddr3_to_ddr5_15_years",
        would_change="a mainstream-crossover date for DDR3 and DDR5 (bit-share crossover) that differs by about 15 years",
    )


def upcycle_growth(phase_growth: pl.DataFrame, seed_claims: pl.DataFrame) -> verdicts.ClaimVerdict:
    """'Previous up-cycles also saw 20 %+ demand growth': `phase_growth` is `history.phase_mean` of
    bit-demand growth (%) over the revenue phases."""
    seed = _seed(seed_claims, "prior_upcycles_20pct")
    claimed_pct = 100.0 * seed["claimed_value"]
    up = phase_growth.filter((pl.col("phase") == "up") & pl.col("mean_value").is_not_null())
    share = float((up["mean_value"] >= claimed_pct).mean()) if up.height else float("nan")
    holds_at, fails_below = thresholds()["upcycle_share_holds"], thresholds()["upcycle_share_fails_below"]
    listed = ", ".join(
        f"{a}-{b}: {v:.0f}%" for a, b, v in up.select("start_year", "end_year", "mean_value").iter_rows()
    )
    return _record(
        seed,
        scope=f"DRAM up-phases with bit-demand growth data ({up.height} of them)",
        verdict=verdicts.by_share(share, holds_at, fails_below),
        evidence=f"mean bit-demand growth per up-phase: {listed or 'none with data'}",
        evidence_kind="data",
        threshold=f"holds if at least {holds_at:.0%} of up-phases averaged >= {claimed_pct:.0f}%/yr; "
        f"below {fails_below:.0%} of them, does not hold",
        sources="dram_market bit_demand_growth_pct (industry, forecasts excluded); seed_claims prior_upcycles_20pct",
        would_change="bit-demand growth figures for the up-phases that have none",
    )


def thirty_years_of_cycles(turns: pl.DataFrame, seed_claims: pl.DataFrame) -> verdicts.ClaimVerdict:
    """'Like they have for the past thirty years': confirmed peaks in the revenue history."""
    seed = _seed(seed_claims, "dram_cycle_thirty_years")
    peaks = turns.filter(pl.col("kind") == history.PEAK)["year"].to_list()
    need = thresholds()["cycle_min_peaks"]
    years = turns["year"].to_numpy()
    span = f"{years.min()}-{years.max()}" if turns.height else "none"
    return _record(
        seed,
        scope=f"annual DRAM industry revenue, turns {span} (1990-94 missing from the data)",
        verdict=verdicts.by_threshold(float(len(peaks)), need),
        evidence=f"{len(peaks)} confirmed peaks ({', '.join(map(str, peaks))}) and {turns.height - len(peaks)} troughs",
        evidence_kind="data",
        threshold=f"holds with at least {need} confirmed revenue peaks",
        sources="dram_market dram_revenue_usd_b (industry, forecasts excluded); seed_claims dram_cycle_thirty_years",
        would_change="a revenue history without reversals of the zigzag threshold",
    )


def all_claims(tables: Mapping[str, pl.DataFrame], turns: pl.DataFrame, phase_growth: pl.DataFrame) -> pl.DataFrame:
    """Every DRAM-history claim as a claims table (hbmcycle.verdicts.to_frame)."""
    seed = tables["seed_claims"]
    return verdicts.to_frame(
        [
            pc_dram_decade(tables["pc_dram"], seed),
            ddr3_to_ddr5(tables["ddr_generations"], seed),
            upcycle_growth(phase_growth, seed),
            thirty_years_of_cycles(turns, seed),
        ]
    )
