"""Hetero claim helpers branch by branch, and the chart claims' scope on the shipped data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from hbmcycle import verdicts as v
from hbmcycle.hetero import claims_cerebras as cc
from hbmcycle.hetero.claims_chart import SERVING_GAP, scope_gaps

IN_SCOPE = {"in_scope_min_total_params_b": 1000.0, "in_scope_min_context": 32768.0, "in_scope_weights": "fp4"}


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


def context(params: float, context_tokens: float, weight_bytes: float):
    model = SimpleNamespace(total_params=np.array([params]), model_id=np.array(["m"]))
    return SimpleNamespace(s=SimpleNamespace(model=model, context=context_tokens, weight_bytes=weight_bytes))


@pytest.mark.parametrize(
    "requests, expected", [(0.0, v.HOLDS), (16.0, v.HOLDS), (17.0, v.PARTLY), (64.0, v.PARTLY), (65.0, v.FAILS)]
)
def test_grade_handful(requests, expected):
    from hbmcycle.hetero.claims_rack import grade_handful

    assert grade_handful(requests, 16.0) == expected


def test_scope_gaps_name_every_missing_condition():
    gaps = scope_gaps(context(70e9, 8192, 1.0), IN_SCOPE)
    assert len(gaps) == 4 and gaps[-1] == SERVING_GAP
    assert "70B" in gaps[0] and "8,192" in gaps[1] and "fp4" in gaps[2]
    # a trillion-parameter model at 128k in FP4 (0.5625 B per weight with scales) misses only the serving model
    assert scope_gaps(context(1.0e12, 131072, 0.5625), IN_SCOPE) == [SERVING_GAP]


def test_chart_claims_are_not_tested_in_scope_on_shipped_data(use_shipped_db):
    from hbmcycle.claims.registry import hetero_claims
    from hbmcycle.data import db
    from hbmcycle.hetero.scenario import read_tables

    claims, flips = hetero_claims(read_tables(), db.read_table("seed_claims"))
    rows = {r["claim_id"]: r for r in claims.iter_rows(named=True)}
    for claim_id in ("rubin_lpx_35x_at_400", "rubin_lpx_peak_1000_zh"):
        assert rows[claim_id]["verdict"] == v.OUT_OF_SCOPE
        assert "attention-FFN disaggregation onto LPX" in rows[claim_id]["scope"]
    # the GPU-only Blackwell claim is judged at the chart's scope with the rack-scale serving model
    blackwell = rows["blackwell_400_500_small_batch"]
    assert blackwell["verdict"] != v.OUT_OF_SCOPE and "rack-scale serving model" in blackwell["scope"]
    # the AFD gain is judged at the default scenario and carries its hop-latency sensitivity
    assert rows["afd_peak_speedup"]["verdict"] in (v.HOLDS, v.PARTLY, v.FAILS)
    assert "hop latency" in rows["afd_peak_speedup"]["would_change"]
    assert set(flips["claim_id"]) <= set(rows)
