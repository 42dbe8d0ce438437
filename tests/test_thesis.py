"""hbmcycle.thesis: closed forms agree with the engine, claims chain correctly, verdicts follow thresholds."""

import dataclasses
import math

import numpy as np
import polars as pl
import pytest

from hbmcycle import thesis
from hbmcycle.data import db
from hbmcycle.inference import constants, operating
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.thesis import claims, closed_form, evidence, experiments, measured, settings, subclaims

from inference_toys import accelerators as toy_accelerators
from inference_toys import models as toy_models

NO_OVERHEAD = Efficiency(
    bandwidth=1.0,
    kv_bandwidth=1.0,
    compute=1.0,
    step_overhead_s=0.0,
    layer_overhead_s=0.0,
    sequence_overhead_s=0.0,
    allreduce_latency_s=0.0,
    reserve_fraction=0.0,
)
CALIBRATED_LIKE = Efficiency(
    bandwidth=0.8, kv_bandwidth=0.6, compute=0.5, step_overhead_s=2e-3, layer_overhead_s=20e-6, sequence_overhead_s=5e-6
)


def dense_setup(eff=NO_OVERHEAD, context=1000.0):
    accel = toy_accelerators().head(2)
    workload = operating.Workload(model_id="toy-dense", context=context, weights="bf16", kv="bf16", group_sizes=(1,))
    return accel, workload, eff


def test_ideal_forms_by_hand():
    # 100 GB, 1 TB/s, 20 GB of weights, 1 GB per sequence: T* = 1e12 * 80e9 / (1e9 * 100e9) = 800 tok/s
    assert closed_form.ideal_max_batch_throughput(100e9, 1e12, 20e9, 1e9) == pytest.approx(800.0)
    # at 10 tok/s: (1e12 - 10 * 20e9) / 1e9 = 800 tok/s; at 50 tok/s nothing is left
    assert closed_form.ideal_throughput_at_speed(10.0, 1e12, 20e9, 1e9) == pytest.approx(800.0)
    assert np.isnan(closed_form.ideal_throughput_at_speed(50.0, 1e12, 20e9, 1e9))


@pytest.mark.parametrize("eff", [NO_OVERHEAD, CALIBRATED_LIKE])
@pytest.mark.parametrize("target", [None, 5.0, 20.0])
def test_closed_form_matches_engine_for_a_dense_model(eff, target):
    accel, workload, _ = dense_setup()
    check = closed_form.closed_form_check(accel, toy_models(), workload, [target], eff).drop_nulls("engine")
    assert check.height >= 1
    # the engine floors the batch; the closed form is continuous: they differ by at most one sequence's share
    assert check["closed_vs_engine"].abs().max() < 0.05
    assert (check["engine_regime"] == check["closed_regime"]).all()


def test_ideal_matches_engine_without_efficiencies_or_overheads():
    accel, workload, eff = dense_setup(context=16000.0)  # long context: memory-bound at the largest batch
    check = closed_form.closed_form_check(accel, toy_models(), workload, [None], eff)
    assert ((check["ideal"] / check["engine"]) - 1).abs().max() < 0.02


def test_operating_point_batch_is_the_largest_meeting_the_speed_target():
    accel, workload, eff = dense_setup(CALIBRATED_LIKE)
    model, hw, wb, kvb, _ = operating.prepare(accel, toy_models(), workload)
    target = 20.0
    points = operating.operating_points(model, hw, wb, kvb, workload.context, target, (1.0,), eff)
    from hbmcycle.inference.step_time import decode_step

    for i in range(len(hw)):
        b = points.batch[i]
        one = hw.take(i)
        assert decode_step(model, one, b, workload.context, 1.0, wb[i], kvb, eff).per_user_tokens_per_s[0] >= target
        if b < points.max_batch[i]:
            assert (
                decode_step(model, one, b + 1, workload.context, 1.0, wb[i], kvb, eff).per_user_tokens_per_s[0] < target
            )


def test_local_elasticities_match_theory_in_the_ideal_regime():
    # max batch, memory-bound, no overheads: e_BW = 1 and e_C = W / (C - W) = 20 / 80 for 100 GB and 20 GB of bf16 weights
    accel, workload, eff = dense_setup(context=16000.0)
    model, hw, wb, kvb, _ = operating.prepare(accel, toy_models(), workload)
    e_size, e_bw = operating.local_elasticities(model, hw, wb, kvb, workload.context, None, (1.0,), eff, step=0.02)
    assert e_bw[0] == pytest.approx(1.0, abs=0.02)
    assert e_size[0] == pytest.approx(20 / 80, abs=0.05)
    # at a speed target below the capacity limit, capacity drops out entirely
    e_size, e_bw = operating.local_elasticities(model, hw, wb, kvb, workload.context, 40.0, (1.0,), eff, step=0.02)
    assert e_size[0] == pytest.approx(0.0, abs=0.05)
    assert e_bw[0] > 1.0  # weights are a fixed cost per step: bandwidth elasticity above 1


def test_gqa_counterfactual_sets_the_cache_size():
    model = model_arrays(toy_models().filter(pl.col("model_id") == "toy-moe"))
    assert experiments.gqa_counterfactual(model, kv_heads=8, head_dim=128).kv_elements_per_token[0] == 10 * 2 * 8 * 128


CLAIMS = pl.DataFrame(
    {
        "result_id": ["c1", "c2", "c3", "c4", "c5"],
        "kind": ["claimed"] * 5,
        "accelerator_id": ["b", "c", "c", "d", "b"],
        "baseline_accelerator_id": ["a", "b", "b", "a", "b"],
        "claimed_speedup_x": [2.0, 3.0, 5.0, 10.0, 1.5],
        "confidence": ["high", "medium", "medium", "medium", "high"],
        "notes": [
            "LLM throughput",
            "inference",
            "up to 5x real-time LLM inference",
            "10x throughput per megawatt",
            "software",
        ],
        "benchmark_model": [None] * 5,
    }
)


def test_claim_metrics_are_classified_by_rule_order():
    assert (
        claims.claim_metric("Up to 50x higher throughput per megawatt and 35x lower cost per million tokens", "x", "y")
        == "per_power"
    )
    assert claims.claim_metric("10x lower inference cost per token (not throughput)", "x", "y") == "cost"
    assert claims.claim_metric("7.5x AI performance (8 EF NVFP4); $5B token revenue", "x", "y") == "peak_compute"
    assert claims.claim_metric("anything", "x", "x") == "software"
    assert claims.claim_metric("Up to 1.9x LLM throughput", "x", "y") == "throughput"


def test_claimed_chain_multiplies_ratios_and_picks_by_confidence_then_size():
    classified = claims.classify_claims(CLAIMS)
    headline = dict(
        claims.claimed_chain(classified, ["a", "b", "c", "d"], anchor="a", pick="max").drop("via").iter_rows()
    )
    conservative = dict(
        claims.claimed_chain(classified, ["a", "b", "c", "d"], anchor="a", pick="min").drop("via").iter_rows()
    )
    assert headline["b"] == 2.0  # the software claim (b vs b) is not a generation link
    assert headline["c"] == 10.0 and conservative["c"] == 6.0
    assert "d" not in headline  # per-MW claims are not throughput


def test_claimed_chain_inverts_a_claim_about_the_anchor():
    classified = claims.classify_claims(CLAIMS)
    chain = dict(claims.claimed_chain(classified, ["a", "b"], anchor="b").drop("via").iter_rows())
    assert chain["a"] == pytest.approx(0.5)


def measured_rows(rows):
    return pl.DataFrame(
        rows, schema=["accelerator_id", "family", "scenario", "round", "tokens_per_s_per_accelerator"], orient="row"
    )


def test_measured_ratio_prefers_the_latest_common_round():
    rows = measured_rows(
        [
            ("a", "m", "offline", "v1", 100.0),
            ("b", "m", "offline", "v1", 150.0),
            ("a", "m", "offline", "v2", 120.0),
            ("b", "m", "offline", "v2", 240.0),
            ("b", "m", "offline", "v3", 999.0),
        ]
    )
    out = measured.measured_ratio(rows, "a", "b")
    assert out["ratio"][0] == pytest.approx(2.0) and out["same_round"][0] and out["round"][0] == "v2"
    apart = measured.measured_ratio(
        measured_rows([("a", "m", "server", "v1", 100.0), ("b", "m", "server", "v2", 130.0)]), "a", "b"
    )
    assert apart["ratio"][0] == pytest.approx(1.3) and not apart["same_round"][0]


def test_ratio_via_a_common_baseline():
    rows = pl.DataFrame(
        {
            "result_id": ["x_vs_a_offline", "x_vs_b_offline"],
            "accelerator_id": ["x", "x"],
            "baseline_accelerator_id": ["a", "b"],
            "benchmark_model": ["m", "m"],
            "claimed_speedup_x": [1.2, 0.8],
            "claim_metric": ["throughput", "throughput"],
        }
    )
    out = claims.ratio_via_common_baseline(rows, "a", "b")
    assert out["ratio"][0] == pytest.approx(1.5) and out["scenario"][0] == "offline"


def test_growth_table_compares_over_the_same_generations():
    series = pl.DataFrame(
        {
            "accelerator_id": ["g0", "g1", "g2"],
            "generation": [0, 1, 2],
            "size_x_bw": [1.0, 4.0, 16.0],
            "measured": [None, 2.0, 4.0],
        }
    )
    row = evidence.growth_table(series).row(0, named=True)
    assert row["points"] == 2
    assert row["throughput_growth_per_gen"] == pytest.approx(2.0)
    assert row["size_x_bw_growth_per_gen"] == pytest.approx(4.0)
    assert row["elasticity_vs_size_x_bw"] == pytest.approx(0.5)
    assert row["size_x_bw_grows_faster"]


def test_grades_follow_the_stated_thresholds():
    assert subclaims._grade(settings.SHARE_HOLDS) == "holds"
    assert subclaims._grade(0.5) == "partly holds"
    assert subclaims._grade(settings.SHARE_FAILS - 0.01) == "does not hold"
    assert subclaims._grade(float("nan")) == "cannot be checked"
    assert (
        subclaims._share(["capacity x bandwidth", "bandwidth", "infeasible"], lambda r: r.startswith("capacity")) == 0.5
    )


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        operating.prepare(toy_accelerators(), toy_models(), operating.Workload(model_id="nope", context=10.0))


def test_precision_falls_back_to_a_supported_wider_format():
    hw, used = operating.hardware_with_fallback(toy_accelerators(), "fp4")
    assert list(used) == ["fp8", "fp4", "bf16"]
    assert hw.peak_flops_s[0] == pytest.approx(200e12)


@pytest.mark.usefixtures("use_shipped_db")
def test_analysis_on_the_shipped_data():
    """Integration: the whole analysis runs on the shipped database and yields computed verdicts."""
    tables = db.read_tables(thesis.TABLES)
    engine = constants.current()
    config = thesis.Config(
        interactivity=(25.0,),
        sensitivity_contexts=(1024, 32768),
        regime_contexts=(1024, 32768),
        regime_speeds=(10, 100),
    )
    result = thesis.analyse(tables, config, engine.efficiency, engine.maturity)
    allowed = {"holds", "partly holds", "does not hold", "cannot be checked"}
    assert result.verdicts.height == 6 and set(result.verdicts["verdict"]) <= allowed
    assert result.seed_series.height == len(config.generations)
    h100_h200 = result.natural.filter(
        (pl.col("base") == "nvidia_h100_sxm") & (pl.col("label") == "thesis: size x bandwidth")
    )
    assert h100_h200["ratio"][0] == pytest.approx((141 * 4.8) / (80 * 3.35))
    text = thesis.headline(result)
    assert "Verdict" in text and "%" in text
    assert math.isclose(result.seed_example["arithmetic_tok_s_per_mw"], 1.6e6)

    # The per-MW part of the Rubin example stands only at a rack power near the seed's 120 kW.
    def rubin_verdict(rack_kw):
        changed = dataclasses.replace(result, seed_example={**result.seed_example, "rack_power_in_data_kw": rack_kw})
        row = thesis.verdicts(changed).filter(pl.col("claim").str.starts_with("Rubin NVL72")).row(0, named=True)
        return row["verdict"], row["evidence"]

    verdict, evidence = rubin_verdict(225.0)
    assert verdict != "holds" and "outside" in evidence and "0.85M tok/s/MW" in evidence
    assert "within" in rubin_verdict(125.0)[1]
