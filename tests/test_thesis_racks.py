"""The thesis per rack: graders branch by branch, the Rubin example judged on a reference row, the rack matrix on the data."""

import math

import numpy as np
import polars as pl
import pytest

from hbmcycle import verdicts as v
from hbmcycle.claims.seed import Seed
from hbmcycle.data import db
from hbmcycle.inference import constants
from hbmcycle.inference.assumptions import load
from hbmcycle.thesis import racks
from hbmcycle.thesis.rack_verdicts import RubinInputs, example_claims, grade_product_law, grade_requests, rack_law


@pytest.mark.parametrize(
    "requests, expected",
    [
        (1920.0, v.HOLDS),  # exactly the claim
        (5000.0, v.HOLDS),
        (960.0, v.PARTLY),  # half of it: the partly threshold
        (959.0, v.FAILS),
        (0.0, v.FAILS),  # nothing reaches the speed
        (math.nan, v.UNCHECKABLE),
    ],
)
def test_grade_requests(requests, expected):
    assert grade_requests(requests, 1920.0, 0.5) == expected


@pytest.mark.parametrize(
    "e_capacity, e_bandwidth, expected",
    [
        ([1.0, 0.9, 1.2], [1.0, 1.1, 0.8], v.HOLDS),  # every point within 0.25 of (1, 1)
        ([1.0, 0.0, 1.0], [1.0, 1.0, 1.0], v.HOLDS),  # 2 of 3 >= share_holds (0.6666)
        ([1.0, 0.0, 0.0], [1.0, 1.0, 1.0], v.PARTLY),  # 1 of 3 is not below share_fails (0.3333)
        ([1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], v.FAILS),  # 1 of 4
        ([0.0, 0.0], [1.0, 1.0], v.FAILS),  # bandwidth law, capacity does not pay
        ([math.nan], [1.0], v.UNCHECKABLE),
    ],
)
def test_grade_product_law(e_capacity, e_bandwidth, expected):
    assert grade_product_law(np.array(e_capacity), np.array(e_bandwidth)) == expected


def seed(claim_id, value):
    return Seed(claim_id, "hbm_thesis", "quote", "", value, math.nan, "", "", "", "", "src", "")


SEEDS = {
    "rubin_example_batch": seed("rubin_example_batch", 1920.0),
    "rubin_example_speed": seed("rubin_example_speed", 100.0),
}


def rubin_rows(requests_by_workload):
    rows = [
        {
            "system": "Rubin rack",
            "model_id": model,
            "weights": weights,
            "workload_id": workload,
            "requests_in_flight": requests,
            "rack_tokens_per_s": requests * 100.0,
            "per_user_tokens_per_s": 100.0,
            "group_size": 8.0,
            "mode": "colocated",
        }
        for (model, weights, workload), requests in requests_by_workload.items()
    ]
    return pl.DataFrame(rows)


def test_rubin_example_judged_on_the_reference_row_with_the_others_as_flips():
    rows = rubin_rows({("big", "fp4", "chat"): 1000.0, ("small", "fp8", "chat"): 3000.0})
    # a rack that serves 192,000 tokens/s at any floor: 1,920 requests exactly at 100 tokens/s
    rubin = RubinInputs(rows, ("big", "fp4", "chat"), 0.5, lambda floor: 192000.0 / floor)
    claims, flips = example_claims(rubin, SEEDS)
    assert [c.verdict for c in claims] == [v.PARTLY, v.PARTLY]  # 1,000 of 1,920
    assert all(c.evidence_kind == "modelled" and "big fp4 chat" in c.scope for c in claims)
    workload = next(f for f in flips if f.assumption.startswith("workload"))
    assert workload.flips_at == "small fp8 chat" and workload.verdict_after == v.HOLDS
    speed = next(f for f in flips if f.assumption == "per-user speed floor")
    # the rerun gives 1,920 at 100 and fewer above: below 100 it holds
    assert speed.verdict_at_base == v.HOLDS and float(speed.flips_at) > 100.0 and speed.verdict_after == v.PARTLY


def test_rubin_example_without_the_reference_row_cannot_be_checked():
    rubin = RubinInputs(rubin_rows({("small", "fp8", "chat"): 3000.0}), ("big", "fp4", "chat"), 0.5, lambda f: 0.0)
    claims, flips = example_claims(rubin, SEEDS)
    assert {c.verdict for c in claims} == {v.UNCHECKABLE} and flips == []


def test_rack_law_reports_each_floor_and_where_capacity_pays():
    matrix = pl.DataFrame(
        {
            "speed_floor_tokens_per_s": [20.0, 20.0, 100.0],
            "system": ["R", "R", "R"],
            "model_id": ["moe", "dense", "moe"],
            "weights": ["fp4", "fp4", "fp4"],
            "workload_id": ["long", "short", "long"],
            "e_capacity": [0.9, 0.0, 0.0],
            "e_bandwidth": [1.0, 0.5, 1.3],
        }
    )
    law = rack_law(matrix, 0.25)
    assert "at >= 20 tokens/s/user (2 points)" in law.evidence and "at >= 100 tokens/s/user (1 points)" in law.evidence
    assert "capacity pays (>= 0.25) at 1: moe long (1)" in law.evidence
    assert "MODELLED" in law.evidence and "racks R" in law.scope
    flip = law.flip(v.FAILS)
    assert flip.base == "measured (MLPerf)" and "modelled racks, moe: partly holds" in flip.tested


@pytest.mark.usefixtures("use_shipped_db")
def test_rack_matrix_on_the_shipped_data():
    tables = db.read_tables(("accelerators", "llm_models", "systems", "workloads"))
    engine = constants.current()
    inputs = racks.RackInputs(tables, engine.efficiency, engine.maturity, load())
    systems = ["nvidia_gb200_nvl72", "nvidia_gb300_nvl72", "nvidia_hgx_h200_8gpu", "amd_mi355x_platform"]
    matrix, skips = racks.rack_matrix(
        inputs, systems, ["kimi-k2"], ["fp8", "fp4"], ["chat", "isl131072-osl1024"], [20.0, 100.0]
    )
    # H200 has no FP4 and MI355X no recorded rack power: both said, neither silently dropped
    assert skips.filter((pl.col("system_id") == "nvidia_hgx_h200_8gpu") & (pl.col("weights") == "fp4")).height == 1
    assert "rack_power_kw" in skips.filter(pl.col("system_id") == "amd_mi355x_platform")["reason"][0]
    assert matrix.filter(pl.col("system_id") == "amd_mi355x_platform")["tokens_per_s_per_mw"].null_count() > 0
    served = matrix.drop_nulls("rack_tokens_per_s")
    assert served.height > 0 and (served["per_user_tokens_per_s"] >= served["speed_floor_tokens_per_s"]).all()
    # more memory or bandwidth never hurts: the search keeps every candidate, so no elasticity is negative
    assert (served["e_capacity"] >= 0).all() and (served["e_bandwidth"] >= 0).all()
    # GB300 has GB200's bandwidth and more memory (and FP4 compute): it never serves less
    pair = served.pivot(
        "system_id", index=["speed_floor_tokens_per_s", "weights", "workload_id"], values="rack_tokens_per_s"
    ).drop_nulls(["nvidia_gb200_nvl72", "nvidia_gb300_nvl72"])
    assert pair.height and (pair["nvidia_gb300_nvl72"] >= pair["nvidia_gb200_nvl72"] * (1 - 1e-12)).all()
    per_mw = served.drop_nulls("tokens_per_s_per_mw").filter(pl.col("system_id") == "nvidia_gb200_nvl72")
    # GB200 NVL72: 120 kW in systems
    assert per_mw.height and per_mw["tokens_per_s_per_mw"].to_list() == pytest.approx(
        (per_mw["rack_tokens_per_s"] / 0.120).to_list(), rel=1e-12
    )


def test_where_capacity_pays_names_often_and_never():
    pays = pl.DataFrame(
        {
            "speed_floor_tokens_per_s": [20.0, 20.0, 20.0, 100.0],
            "model_id": ["moe", "dense", "mid", "moe"],
            "workload_id": ["long", "short", "chat", "long"],
            "points_capacity_pays": [2, 0, 1, 0],
            "points": [4, 4, 4, 4],
        }
    )
    twenty, hundred = racks.where_capacity_pays(pays)
    assert "for moe long; at none for dense short." in twenty  # 2 of 4 is half; 1 of 4 is neither
    assert "for no model x workload; at none for moe long." in hundred
