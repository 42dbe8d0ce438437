"""Seed claims checked directly against the tables or by arithmetic on the claim's own numbers.

Specs (GB of SRAM, GPUs per rack, rack power), the Rubin example's arithmetic, HBM growth per
NVIDIA generation, suppliers, DRAM history and PC DRAM content. Thresholds are in
``claims/assumptions.yaml``. Each function returns ClaimVerdicts for the seed ids it judges.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl

from hbmcycle import assumptions
from hbmcycle import verdicts as v
from hbmcycle.claims.seed import Seed, judged
from hbmcycle.cycle.history import turning_points
from hbmcycle.inference.architecture import model_arrays

ASSUMPTIONS_PATH = Path(__file__).with_name("assumptions.yaml")
FACT_TABLES = ("accelerators", "systems", "llm_models", "hbm_vendors", "dram_market", "ddr_generations", "pc_dram")


def settings() -> dict:
    return assumptions.values(ASSUMPTIONS_PATH)


def close(stated: float, actual: float, tolerance: float) -> bool:
    """``|stated - actual| <= tolerance * |actual|`` (NaN actual: False)."""
    return math.isfinite(actual) and abs(stated - actual) <= tolerance * abs(actual)


def _value(frame: pl.DataFrame, key: str, key_value: str, column: str) -> float:
    rows = frame.filter(pl.col(key) == key_value)
    return float(rows[column][0]) if rows.height and rows[column][0] is not None else float("nan")


def spec_claims(seeds: dict[str, Seed], t: dict[str, pl.DataFrame]) -> list:
    """Stated specs against the accelerators and systems tables."""
    tol = settings()["spec_tolerance"]
    acc, systems = t["accelerators"], t["systems"]
    specs = [
        (
            "wse3_sram_44gb",
            "accelerators cerebras_wse3 memory_gib",
            _value(acc, "accelerator_id", "cerebras_wse3", "memory_gib"),
        ),
        (
            "cerebras_sram_40gb",
            "accelerators cerebras_wse3 memory_gib",
            _value(acc, "accelerator_id", "cerebras_wse3", "memory_gib"),
        ),
        (
            "lpx_sram_128gb",
            "systems nvidia_groq3_lpx total_fast_memory_gib",
            _value(systems, "system_id", "nvidia_groq3_lpx", "total_fast_memory_gib"),
        ),
        (
            "rubin_nvl72_power_120kw",
            "systems rack_power_kw of the Rubin NVL72 rack",
            _value(systems, "accelerator_id", "nvidia_rubin", "rack_power_kw"),
        ),
    ]
    out = []
    for claim_id, where, actual in specs:
        seed = seeds[claim_id]
        verdict = v.by_flags([close(seed.value, actual, tol)]) if math.isfinite(actual) else v.UNCHECKABLE
        out.append(
            judged(
                seed,
                verdict=verdict,
                scope=seed.scope,
                evidence=f"stated {seed.value:g} vs {where} {actual:g}",
                evidence_kind="data",
                threshold=f"within +-{tol:.0%} of the table",
                sources=where.split()[0],
                would_change="a corrected table figure",
            )
        )
    racks = systems.filter(pl.col("name").str.contains("NVL72"))
    counts = racks["accelerator_count"].to_list()
    seed = seeds["nvl72_72_gpus_36_cpus"]
    out.append(
        judged(
            seed,
            verdict=v.by_flags([close(seed.value, c, tol) for c in counts]),
            scope="every systems row named NVL72",
            evidence=", ".join(f"{n}: {c}" for n, c in zip(racks["system_id"], counts)),
            evidence_kind="data",
            threshold="every NVL72 rack holds the stated GPUs",
            sources="systems",
            would_change="a rack row with another count",
        )
    )
    return out


def rubin_arithmetic(seeds: dict[str, Seed], t: dict[str, pl.DataFrame]) -> list:
    """1,920 x 100 tokens/s = 192,000 tokens/s; per MW at the stated 120 kW and at the table's rack power."""
    tol = settings()["spec_tolerance"]
    batch, speed = seeds["rubin_example_batch"].value, seeds["rubin_example_speed"].value
    total, kw = batch * speed, seeds["rubin_nvl72_power_120kw"].value
    seed = seeds["rubin_example_throughput"]
    out = [
        judged(
            seed,
            verdict=v.by_flags([close(seed.value, total, tol)]),
            scope=seed.scope,
            evidence=f"{batch:,.0f} x {speed:g} = {total:,.0f} tokens/s",
            evidence_kind="arithmetic",
            threshold=f"the product within +-{tol:.0%}",
            sources="seed_claims",
            would_change="none: arithmetic",
        )
    ]
    seed = seeds["rubin_tokens_per_mw"]
    table_kw = _value(t["systems"], "accelerator_id", "nvidia_rubin", "rack_power_kw")
    per_mw = total / (kw / 1000)
    at_table = total / (table_kw / 1000)
    out.append(
        judged(
            seed,
            verdict=v.by_flags([close(seed.value, per_mw, tol), close(seed.value, at_table, tol)]),
            scope="the Rubin example's rack",
            evidence=f"{total:,.0f} / {kw:g} kW = {per_mw / 1e6:.2f}M tokens/s per MW "
            f"(the post's arithmetic); at the systems table's {table_kw:g} kW: {at_table / 1e6:.2f}M",
            evidence_kind="arithmetic",
            threshold=f"within +-{tol:.0%} at the stated power and at the table's",
            sources="seed_claims; systems",
            would_change=f"a Rubin NVL72 rack power near {kw:g} kW",
        )
    )
    return out


def hbm_growth_claims(seeds: dict[str, Seed], t: dict[str, pl.DataFrame], generations) -> list:
    """HBM per GPU and HBM size x bandwidth per NVIDIA generation step: do they double?"""
    cfg = settings()
    acc = t["accelerators"].filter(pl.col("accelerator_id").is_in(list(generations)))
    order = {g: i for i, g in enumerate(generations)}
    acc = acc.with_columns(order=pl.col("accelerator_id").replace_strict(order, return_dtype=pl.Int64)).sort("order")
    memory = acc["memory_gib"].to_numpy().astype(float)
    product = memory * acc["memory_bw_tb_s"].to_numpy().astype(float)
    ids = acc["accelerator_id"].to_list()
    out = []
    for claim_id, series, what in (
        ("hbm_must_double", memory, "HBM per GPU"),
        ("size_x_bw_2x_per_generation", product, "size x bandwidth"),
    ):
        seed = seeds[claim_id]
        steps = series[1:] / series[:-1]
        share = float(np.mean(steps >= seed.value * (1 - cfg["count_tolerance"])))
        detail = ", ".join(f"{a}->{b} x{r:.2f}" for a, b, r in zip(ids, ids[1:], steps))
        out.append(
            judged(
                seed,
                verdict=v.by_share(share, cfg["share_holds"], cfg["share_fails"]),
                scope="NVIDIA per-GPU packages, A100 to Rubin Ultra (the seed's line-up)",
                evidence=f"{what} per step: {detail}; {share:.0%} of steps reach x{seed.value:g}",
                evidence_kind="data",
                threshold=f"x{seed.value:g} (-{cfg['count_tolerance']:.0%}) at >= "
                f"{cfg['share_holds']:.0%} of steps holds, < {cfg['share_fails']:.0%} does not",
                sources="accelerators",
                would_change="counting only flagship steps (GB200/GB300 share a generation)",
            )
        )
    return out


def kv_claims(seeds: dict[str, Seed], t: dict[str, pl.DataFrame]) -> list:
    """KV cache per request (a few GB to tens of GB) and one KV read per layer per step."""
    contexts = np.array(settings()["kv_contexts"])
    models = model_arrays(t["llm_models"])
    gb = models.kv_elements_per_token[None, :] * models.cached_tokens(contexts[:, None]) * 1.0 / 1e9  # fp8 KV
    seed = seeds["kv_per_request_gb"]
    low, high = float(gb.min()), float(gb.max())
    out = [
        judged(
            seed,
            verdict=v.by_flags([low <= 10 and high >= 1, high >= 10]),
            scope=f"llm_models at {', '.join(f'{c:,.0f}' for c in contexts)} tokens, fp8 KV",
            evidence=f"KV per request {low:.2f} to {high:.1f} GB",
            evidence_kind="arithmetic",
            threshold="the range reaches from a few GB (<= 10) to tens of GB (>= 10)",
            sources="llm_models",
            would_change="only short contexts or MLA models (below 1 GB)",
        )
    ]
    seed = seeds["kv_read_80_times"]
    eighty = [m for m, layers in zip(models.model_id, models.layers) if layers == seed.value]
    out.append(
        judged(
            seed,
            verdict=v.by_flags([bool(eighty)]),
            scope="decode step of the inference engine",
            evidence=f"the engine reads each layer's KV once per step; {seed.value:g}-layer models in llm_models: "
            f"{', '.join(eighty) or 'none'}",
            evidence_kind="arithmetic",
            threshold="an 80-layer model reads its KV 80 times",
            sources="llm_models",
            would_change="none: arithmetic",
        )
    )
    return out


def industry_claims(seeds: dict[str, Seed], t: dict[str, pl.DataFrame]) -> list:
    """Three HBM suppliers, thirty years of DRAM cycles, DDR3 to DDR5, 20 %+ bit growth in up-cycles."""
    cfg = settings()
    vendors = sorted(set(t["hbm_vendors"]["vendor"]) - {"industry", "vendor", "other"})
    seed = seeds["hbm_three_suppliers"]
    out = [
        judged(
            seed,
            verdict=v.by_flags([len(vendors) == seed.value]),
            scope="hbm_vendors",
            evidence=", ".join(vendors),
            evidence_kind="data",
            threshold="the stated number of vendors",
            sources="hbm_vendors",
            would_change="CXMT or another vendor entering the table",
        )
    ]
    return [
        *out,
        _cycle_claim(seeds["dram_cycle_thirty_years"], t["dram_market"], cfg),
        _ddr_claim(seeds["ddr3_to_ddr5_15_years"], t["ddr_generations"], cfg),
        _upcycle_claim(seeds["prior_upcycles_20pct"], t["dram_market"], cfg),
    ]


def _cycle_claim(seed: Seed, market: pl.DataFrame, cfg: dict):
    revenue = market.filter(
        (pl.col("company") == "industry") & (pl.col("kind") == "actual") & pl.col("quarter").is_null()
    )
    revenue = revenue.drop_nulls("dram_revenue_usd_b").sort("year")
    years, values = revenue["year"].to_numpy(), revenue["dram_revenue_usd_b"].to_numpy().astype(float)
    troughs = turning_points(years, values).filter(pl.col("kind") == "trough") if len(years) > 2 else pl.DataFrame()
    span = cfg["post_year"] - float(years.min()) if len(years) else float("nan")
    return judged(
        seed,
        verdict=v.by_flags([span >= seed.value * (1 - cfg["count_tolerance"]), troughs.height >= 3]),
        scope="DRAM industry revenue, actuals",
        evidence=f"series from {years.min()} ({span:g} years before "
        f"{cfg['post_year']}), {troughs.height} troughs: {', '.join(str(y) for y in troughs['year'].to_list())}",
        evidence_kind="data",
        threshold=f"a span of about {seed.value:g} years with at least three troughs",
        sources="dram_market",
        would_change="revenue before 1995 (missing) or a different swing threshold",
    )


def _ddr_claim(seed: Seed, gen: pl.DataFrame, cfg: dict):
    gaps = {
        col: _value(gen, "generation", "DDR5", col) - _value(gen, "generation", "DDR3", col)
        for col in ("first_mass_production_year",)
    }
    jedec = (
        gen.filter(pl.col("generation") == "DDR5")["jedec_date"][0]
        - gen.filter(pl.col("generation") == "DDR3")["jedec_date"][0]
    ).days / 365.25
    gaps["jedec_date"] = jedec
    return judged(
        seed,
        verdict=v.by_flags([close(seed.value, g, cfg["count_tolerance"]) for g in gaps.values()]),
        scope="DDR3 to DDR5",
        evidence="; ".join(f"{k}: {g:.1f} years" for k, g in gaps.items()),
        evidence_kind="data",
        threshold=f"within +-{cfg['count_tolerance']:.0%}",
        sources="ddr_generations",
        would_change="counting to DDR5's mainstream year rather than its launch",
    )


def _upcycle_claim(seed: Seed, market: pl.DataFrame, cfg: dict):
    rows = market.filter((pl.col("company") == "industry") & pl.col("quarter").is_null()).sort("year")
    revenue = (
        rows.filter(pl.col("kind") == "actual").drop_nulls("dram_revenue_usd_b").select("year", "dram_revenue_usd_b")
    )
    revenue = revenue.with_columns(growth=pl.col("dram_revenue_usd_b").pct_change())
    bits = (
        rows.filter(pl.col("kind") == "actual")
        .drop_nulls("bit_demand_growth_pct")
        .select("year", "bit_demand_growth_pct")
    )
    up = revenue.filter(pl.col("growth") > 0).join(bits, on="year")
    share = float((up["bit_demand_growth_pct"] >= seed.value * 100).mean()) if up.height else float("nan")
    return judged(
        seed,
        verdict=v.by_share(share, cfg["share_holds"], cfg["share_fails"]),
        scope="DRAM up-cycle years (industry revenue rising) with a bit-demand growth figure",
        evidence=f"{up.height} years: "
        + ", ".join(f"{y} {g:.0f}%" for y, g in zip(up["year"], up["bit_demand_growth_pct"])),
        evidence_kind="data",
        threshold=f">= {seed.value:.0%} in >= {cfg['share_holds']:.0%} of them holds",
        sources="dram_market",
        would_change="bit-growth figures for earlier up-cycles (about ten years are covered)",
    )


def pc_dram_claims(seeds: dict[str, Seed], t: dict[str, pl.DataFrame]) -> list:
    """Average PC DRAM: 7-8 GB a decade ago, about 23 GB now, 3x in ten years (pc rows are notebooks only)."""
    cfg = settings()
    pc = t["pc_dram"].filter(pl.col("device") == "pc")
    at = lambda year: _value(pc.with_columns(pl.col("year").cast(pl.Utf8)), "year", str(year), "avg_dram_gb")
    now_year = int(pc["year"].max())
    start_year = cfg["post_year"] - 10
    now, start = at(now_year), at(start_year)
    note = f"notebook PCs only; latest {now_year}: {now:g} GB; {start_year}: " + (
        f"{start:g} GB" if math.isfinite(start) else "no row (2013-2022 hole)"
    )
    out = []
    for claim_id, ok in (
        ("pc_dram_now", close(seeds["pc_dram_now"].value, now, cfg["count_tolerance"]) if math.isfinite(now) else None),
        (
            "pc_dram_decade_start",
            (
                seeds["pc_dram_decade_start"].value * (1 - cfg["count_tolerance"])
                <= start
                <= seeds["pc_dram_decade_start"].high * (1 + cfg["count_tolerance"])
            )
            if math.isfinite(start)
            else None,
        ),
        (
            "pc_dram_3x_decade",
            close(seeds["pc_dram_3x_decade"].value, now / start, cfg["count_tolerance"])
            if math.isfinite(start)
            else None,
        ),
    ):
        seed = seeds[claim_id]
        out.append(
            judged(
                seed,
                verdict=v.UNCHECKABLE if ok is None else v.by_flags([ok]),
                scope="average notebook PC DRAM",
                evidence=note,
                evidence_kind="data",
                threshold=f"within +-{cfg['count_tolerance']:.0%}",
                sources="pc_dram",
                would_change="desktop PCs in the table, or the 2013-2022 years",
            )
        )
    return out


def all_facts(seeds: dict[str, Seed], t: dict[str, pl.DataFrame], generations) -> list:
    return (
        spec_claims(seeds, t)
        + rubin_arithmetic(seeds, t)
        + hbm_growth_claims(seeds, t, generations)
        + kv_claims(seeds, t)
        + industry_claims(seeds, t)
        + pc_dram_claims(seeds, t)
    )
