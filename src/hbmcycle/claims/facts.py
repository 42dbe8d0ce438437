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
from hbmcycle.cycle import claims as cycle_claims
from hbmcycle.cycle import history
from hbmcycle.cycle.backtest import annual_industry_revenue
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.verdicts import ClaimVerdict

ASSUMPTIONS_PATH = Path(__file__).with_name("assumptions.yaml")
FACT_TABLES = (
    "accelerators",
    "systems",
    "llm_models",
    "hbm_vendors",
    "dram_market",
    "ddr_generations",
    "pc_dram",
    "seed_claims",
)


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
    gb = models.kv_bytes_per_sequence(contexts[:, None], BYTES_PER_ELEMENT["fp8"]) / 1e9
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
    """Three HBM suppliers (the DRAM-history claims are judged by :mod:`hbmcycle.cycle.claims`)."""
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
    return out


def all_facts(seeds: dict[str, Seed], t: dict[str, pl.DataFrame], generations) -> list:
    return (
        spec_claims(seeds, t)
        + rubin_arithmetic(seeds, t)
        + hbm_growth_claims(seeds, t, generations)
        + kv_claims(seeds, t)
        + industry_claims(seeds, t)
        + dram_history_claims(seeds, t)
    )


def dram_history_claims(seeds: dict[str, Seed], t: dict[str, pl.DataFrame]) -> list:
    """The DRAM-history verdicts of :mod:`hbmcycle.cycle.claims` (the memory_cycle report's), on the same filter.

    pc_dram holds notebooks only, so the two PC claims that module does not return (today's
    level, the decade's multiple) share its "not tested in scope" verdict and evidence.
    """
    revenue = annual_industry_revenue(t["dram_market"])
    turns = history.turning_points(
        revenue["year"].to_numpy(), revenue["dram_revenue_usd_b"].to_numpy(), settings()["min_swing"]
    )
    growth = (
        t["dram_market"]
        .filter((pl.col("company") == "industry") & pl.col("quarter").is_null() & ~pl.col("is_forecast"))
        .select("year", "bit_demand_growth_pct")
        .drop_nulls()
    )
    phase_growth = history.phase_mean(
        history.phases(turns), growth["year"].to_numpy(), growth["bit_demand_growth_pct"].to_numpy()
    )
    frame = cycle_claims.all_claims(t, turns, phase_growth)
    found = [ClaimVerdict(**row) for row in frame.iter_rows(named=True)]
    pc = next((c for c in found if c.claim_id == "pc_dram_decade_start"), None)
    if pc is not None:
        found += [
            judged(seeds[cid], verdict=pc.verdict, scope=pc.scope, evidence=pc.evidence, evidence_kind=pc.evidence_kind,
                   threshold=pc.threshold, sources=pc.sources, would_change=pc.would_change)
            for cid in ("pc_dram_now", "pc_dram_3x_decade")
        ]  # fmt: skip
    return found
