import datetime as dt

import polars as pl
import pytest

from hbmcycle import verdicts
from hbmcycle.cycle import claims

SEED = pl.DataFrame(
    {
        "claim_id": ["pc_dram_decade_start", "pc_dram_now", "ddr3_to_ddr5_15_years", "prior_upcycles_20pct",
                     "dram_cycle_thirty_years"],
        "post": ["p"] * 5,
        "quote": ["q"] * 5,
        "claimed_value": [7.0, 23.0, 15.0, 0.2, 30.0],
        "claimed_value_high": [8.0, None, None, None, None],
    }
)  # fmt: skip


def ddr(d3=(dt.date(2007, 6, 26), 2007), d5=(dt.date(2020, 7, 14), 2020)):
    return pl.DataFrame(
        {
            "generation": ["DDR3", "DDR5"],
            "jedec_date": [d3[0], d5[0]],
            "first_mass_production_year": [d3[1], d5[1]],
        }
    )


def test_ddr_gap_three_ways_and_grade():
    gaps = claims.ddr3_to_ddr5_gaps(ddr())
    assert gaps["standard_publication"] == pytest.approx(4767 / 365.25)
    assert gaps["first_production"] == 13.0 and gaps["mainstream_crossover"] is None
    assert claims.grade_gap(15, gaps, 1, 3) == verdicts.PARTLY
    assert claims.grade_gap(13, gaps, 1, 3) == verdicts.HOLDS
    assert claims.grade_gap(20, gaps, 1, 3) == verdicts.FAILS
    assert claims.grade_gap(15, {"a": None}, 1, 3) == verdicts.UNCHECKABLE


def test_ddr_record_shows_every_measure():
    rec = claims.ddr3_to_ddr5(ddr(), SEED)
    assert rec.verdict == verdicts.PARTLY
    assert "standard publication: 13.1 years" in rec.evidence and "mainstream crossover: no data" in rec.evidence


def test_pc_claim_is_out_of_scope_on_notebook_data_whatever_the_numbers():
    # notebook figures that even match the claim do not confirm an all-PC claim
    pc = pl.DataFrame(
        {"year": [2014, 2024, 2025], "device": ["notebook"] * 3, "avg_dram_gb": [7.5, 23.0, 30.0],
         "notes": ["", "", "forecast: later"]}
    )  # fmt: skip
    rec = claims.pc_dram_decade(pc, SEED)
    assert rec.verdict == verdicts.OUT_OF_SCOPE
    assert "23 GB in 2024" in rec.evidence  # the forecast row is left out
    assert "x3.1 per decade" in rec.evidence


def test_upcycle_growth_by_share_of_phases():
    phases = pl.DataFrame({"phase": ["up", "up", "down"], "start_year": [1, 5, 3], "end_year": [3, 7, 5],
                           "mean_value": [25.0, 15.0, 40.0]})  # fmt: skip
    rec = claims.upcycle_growth(phases, SEED)
    assert rec.verdict == verdicts.PARTLY  # one of two up-phases at >= 20 %
    allup = phases.with_columns(mean_value=pl.lit(30.0))
    assert claims.upcycle_growth(allup, SEED).verdict == verdicts.HOLDS


def test_thirty_years_needs_enough_peaks():
    turns = pl.DataFrame({"year": [1995, 1998, 2000, 2002], "value": [1.0] * 4, "kind": ["peak", "trough"] * 2})
    assert claims.thirty_years_of_cycles(turns, SEED).verdict == verdicts.FAILS  # 2 peaks < 3
    more = pl.concat([turns, pl.DataFrame({"year": [2006], "value": [1.0], "kind": ["peak"]})])
    assert claims.thirty_years_of_cycles(more, SEED).verdict == verdicts.HOLDS


def test_claims_on_the_shipped_tables(use_shipped_db):
    from hbmcycle.cycle import backtest, history
    from hbmcycle.data import db

    t = db.read_tables(["pc_dram", "ddr_generations", "seed_claims", "dram_market"])
    rev = backtest.annual_industry_revenue(t["dram_market"])
    turns = history.turning_points(rev["year"].to_numpy(), rev["dram_revenue_usd_b"].to_numpy())
    phases = history.phase_mean(history.phases(turns), [], [])
    frame = claims.all_claims(t, turns, phases)
    assert set(frame["verdict"]) <= set(verdicts.VERDICTS) and frame.height == 4
    assert frame.filter(pl.col("claim_id") == "pc_dram_decade_start")["verdict"][0] == verdicts.OUT_OF_SCOPE
