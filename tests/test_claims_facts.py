"""Table checks of seed claims, on toy tables with hand-computed verdicts."""

from __future__ import annotations

import polars as pl
import pytest

from hbmcycle import verdicts as v
from hbmcycle.claims import facts
from hbmcycle.claims.seed import Seed


def seed(claim_id: str, value: float, high: float = float("nan"), post: str = "hbm_thesis") -> Seed:
    return Seed(claim_id, post, f"quote {claim_id}", "", value, high, "unit", "scope", "topic", "", "src", "")


@pytest.mark.parametrize(
    "stated, actual, tolerance, expected",
    [(44, 44, 0.05, True), (40, 44, 0.05, False), (42, 44, 0.05, True), (1, float("nan"), 0.5, False)],
)
def test_close(stated, actual, tolerance, expected):
    assert facts.close(stated, actual, tolerance) is expected


def spec_tables(wse_gib=44.0, rubin_kw=225.0):
    accelerators = pl.DataFrame({"accelerator_id": ["cerebras_wse3"], "memory_gib": [wse_gib]})
    systems = pl.DataFrame(
        {
            "system_id": ["nvidia_groq3_lpx", "rubin_rack", "gb200_rack"],
            "name": ["LPX", "Rubin NVL72", "GB200 NVL72"],
            "accelerator_id": ["groq_lp30", "nvidia_rubin", "nvidia_gb200"],
            "accelerator_count": [256, 72, 72],
            "total_fast_memory_gib": [128.0, 20736.0, 13824.0],
            "rack_power_kw": [None, rubin_kw, 120.0],
        }
    )
    return {"accelerators": accelerators, "systems": systems}


SPEC_SEEDS = {
    "wse3_sram_44gb": seed("wse3_sram_44gb", 44),
    "cerebras_sram_40gb": seed("cerebras_sram_40gb", 40),
    "lpx_sram_128gb": seed("lpx_sram_128gb", 128),
    "rubin_nvl72_power_120kw": seed("rubin_nvl72_power_120kw", 120),
    "nvl72_72_gpus_36_cpus": seed("nvl72_72_gpus_36_cpus", 72),
}


def test_spec_claims_against_the_tables():
    out = {c.claim_id: c.verdict for c in facts.spec_claims(SPEC_SEEDS, spec_tables())}
    assert out == {
        "wse3_sram_44gb": v.HOLDS,
        "cerebras_sram_40gb": v.FAILS,  # 40 is 9 % off 44, outside the 5 % spec tolerance
        "lpx_sram_128gb": v.HOLDS,
        "rubin_nvl72_power_120kw": v.FAILS,  # 225 kW in the table
        "nvl72_72_gpus_36_cpus": v.HOLDS,
    }
    at_120 = {c.claim_id: c.verdict for c in facts.spec_claims(SPEC_SEEDS, spec_tables(rubin_kw=122.0))}
    assert at_120["rubin_nvl72_power_120kw"] == v.HOLDS


def test_missing_spec_cannot_be_checked():
    out = {c.claim_id: c.verdict for c in facts.spec_claims(SPEC_SEEDS, spec_tables(wse_gib=None))}
    assert out["wse3_sram_44gb"] == v.UNCHECKABLE


def test_rubin_arithmetic_at_stated_and_table_power():
    seeds = {
        **SPEC_SEEDS,
        "rubin_example_batch": seed("rubin_example_batch", 1920),
        "rubin_example_speed": seed("rubin_example_speed", 100),
        "rubin_example_throughput": seed("rubin_example_throughput", 192_000),
        "rubin_tokens_per_mw": seed("rubin_tokens_per_mw", 1.6e6),
    }
    out = {c.claim_id: c for c in facts.rubin_arithmetic(seeds, spec_tables())}
    assert out["rubin_example_throughput"].verdict == v.HOLDS  # 1920 x 100
    # 192,000 / 0.12 MW = 1.6M holds; at 225 kW it is 0.85M: one of two
    assert out["rubin_tokens_per_mw"].verdict == v.PARTLY
    assert "0.85M" in out["rubin_tokens_per_mw"].evidence
    out = {c.claim_id: c for c in facts.rubin_arithmetic(seeds, spec_tables(rubin_kw=120.0))}
    assert out["rubin_tokens_per_mw"].verdict == v.HOLDS


def test_hbm_growth_share_of_doubling_steps():
    accelerators = pl.DataFrame(
        {
            "accelerator_id": ["g1", "g2", "g3", "g4"],
            "memory_gib": [10.0, 20.0, 25.0, 50.0],  # steps x2, x1.25, x2: 2 of 3 double
            "memory_bw_tb_s": [1.0, 1.0, 1.0, 1.0],
        }
    )
    seeds = {
        "hbm_must_double": seed("hbm_must_double", 2),
        "size_x_bw_2x_per_generation": seed("size_x_bw_2x_per_generation", 2),
    }
    out = {
        c.claim_id: c.verdict
        for c in facts.hbm_growth_claims(seeds, {"accelerators": accelerators}, ["g1", "g2", "g3", "g4"])
    }
    assert out["hbm_must_double"] == v.HOLDS  # 2/3 of steps >= 2 x (1 - 0.1)
    out = {c.claim_id: c.verdict for c in facts.hbm_growth_claims(seeds, {"accelerators": accelerators}, ["g2", "g3"])}
    assert out["hbm_must_double"] == v.FAILS  # the one step is x1.25


def test_dram_history_verdicts_come_from_the_cycle_package(use_shipped_db):
    from hbmcycle.claims.seed import seeds
    from hbmcycle.data import db

    t = db.read_tables(facts.FACT_TABLES)
    out = {c.claim_id: c for c in facts.dram_history_claims(seeds(t["seed_claims"]), t)}
    assert {"ddr3_to_ddr5_15_years", "prior_upcycles_20pct", "dram_cycle_thirty_years"} <= set(out)
    # pc_dram holds notebooks only: the three PC claims share the cycle package's out-of-scope verdict
    pcs = [out[c] for c in ("pc_dram_decade_start", "pc_dram_now", "pc_dram_3x_decade")]
    assert {c.verdict for c in pcs} == {v.OUT_OF_SCOPE} and len({c.evidence for c in pcs}) == 1
