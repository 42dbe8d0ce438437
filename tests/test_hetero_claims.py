"""Hetero claim helpers branch by branch, and the chart claims' verdicts on the shipped data."""

from __future__ import annotations

import pytest

from hbmcycle import verdicts as v
from hbmcycle.hetero import claims_cerebras as cc


@pytest.mark.parametrize(
    "verdict, confidences, expected",
    [
        (v.HOLDS, ["low", "low"], v.PARTLY),  # only low-confidence figures: cannot fully hold
        (v.HOLDS, ["low", "medium"], v.HOLDS),
        (v.FAILS, ["low"], v.FAILS),  # the cap only lowers "holds"
        (v.PARTLY, ["low"], v.PARTLY),
    ],
)
def test_capped(verdict, confidences, expected):
    assert cc.capped(verdict, confidences) == expected


@pytest.mark.parametrize(
    "value, low, high, tolerance, expected",
    [(2.3e6, 2.0e6, 3.0e6, 0.0, True), (2.3e6, 2.5e6, None, 0.1, True), (2.3e6, 1.36e6, None, 0.25, False)],
)
def test_within(value, low, high, tolerance, expected):
    assert cc.within(value, low, high, tolerance) is expected


@pytest.mark.parametrize(
    "requests, expected", [(0.0, v.HOLDS), (16.0, v.HOLDS), (17.0, v.PARTLY), (64.0, v.PARTLY), (65.0, v.FAILS)]
)
def test_grade_handful(requests, expected):
    from hbmcycle.hetero.claims_rack import grade_handful

    assert grade_handful(requests, 16.0) == expected


def test_chart_claims_are_judged_in_scope_on_shipped_data(use_shipped_db):
    from hbmcycle.claims.registry import hetero_claims
    from hbmcycle.data import db
    from hbmcycle.hetero.scenario import read_tables

    claims, flips = hetero_claims(read_tables(), db.read_table("seed_claims"))
    rows = {r["claim_id"]: r for r in claims.iter_rows(named=True)}
    # the Rubin + LPX claims are judged at the chart's scope with attention-FFN disaggregation on the serving model
    for claim_id in (
        "rubin_lpx_35x_at_400",
        "rubin_lpx_35x_at_400_zh",
        "rubin_lpx_peak_1000",
        "rubin_lpx_peak_1000_zh",
    ):
        assert rows[claim_id]["verdict"] in (v.HOLDS, v.PARTLY, v.FAILS, v.UNCHECKABLE)
        assert "attention-FFN disaggregation" in rows[claim_id]["scope"] and "kimi-k2" in rows[claim_id]["scope"]
    sensitivities = set(flips.filter(flips["claim_id"] == "rubin_lpx_35x_at_400")["assumption"])
    for key in (
        "hop latency (one way)",
        "serving stack",
        "LPU power (x the proxy's mid)",
        "Blackwell baseline",
        "context",
        "all-to-all latency of the GPU-only racks, lean stack",
    ):
        assert key in sensitivities
    # the GPU-only Blackwell claim is judged at the chart's scope with the rack-scale serving model
    blackwell = rows["blackwell_400_500_small_batch"]
    assert blackwell["verdict"] != v.OUT_OF_SCOPE and "rack-scale serving model" in blackwell["scope"]
    # the AFD gain is judged at the default scenario and carries its hop-latency sensitivity
    assert rows["afd_peak_speedup"]["verdict"] in (v.HOLDS, v.PARTLY, v.FAILS)
    assert "hop latency" in rows["afd_peak_speedup"]["would_change"]
    assert set(flips["claim_id"]) <= set(rows)
