"""Rack-scale attention-FFN disaggregation: the graders branch by branch, the physics against a scalar oracle."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from hbmcycle import verdicts as v
from hbmcycle.hetero import rack_afd
from hbmcycle.hetero.claims_chart import grade_35x, grade_1000
from hbmcycle.hetero.steps import Assumptions, settings


@pytest.mark.parametrize(
    "afd, base, expected",
    [
        (math.nan, 1.0, v.UNCHECKABLE),
        (1.0, math.nan, v.UNCHECKABLE),
        (0.0, 0.0, v.FAILS),  # AFD does not reach the speed
        (0.0, 5.0, v.FAILS),
        (7.0, 0.0, v.PARTLY),  # only AFD reaches the speed: the direction holds, the size is unbounded
        (35.0, 1.0, v.HOLDS),
        (24.0, 1.0, v.HOLDS),  # within x1.5 of 35
        (23.0, 1.0, v.PARTLY),
        (53.0, 1.0, v.PARTLY),  # above 35 x 1.5
        (1.0, 1.0, v.FAILS),
        (0.5, 1.0, v.FAILS),
    ],
)
def test_grade_35x(afd, base, expected):
    assert grade_35x(afd, base, 35.0, 1.5) == expected


@pytest.mark.parametrize(
    "peak, requests, expected",
    [
        (math.nan, 1.0, v.UNCHECKABLE),
        (999.0, 100.0, v.FAILS),
        (1000.0, 16.0, v.HOLDS),
        (1500.0, 15.0, v.PARTLY),  # fast, but not with a useful batch
        (1500.0, 0.0, v.PARTLY),
    ],
)
def test_grade_1000(peak, requests, expected):
    assert grade_1000(peak, requests, 1000.0, 16.0) == expected


@pytest.fixture
def system(use_shipped_db):
    from hbmcycle.hetero.scenario import read_tables

    cfg = settings()
    return rack_afd.afd_system(
        read_tables(), "nvidia_rubin", "groq_lp30", cfg, cfg["in_scope_context"], "lean", Assumptions()
    )


def test_fewest_lpus_hold_the_experts_and_one_fewer_does_not(system):
    m, r = system.gpu.model, system.gpu
    expert_bytes = m.experts[0] * m.expert_params[0] * r.weight_bytes
    usable = system.lpu_hw.memory_bytes[0] * (1.0 - system.hop.sram_reserve_fraction)
    assert system.min_lpus * usable >= expert_bytes > (system.min_lpus - 1) * usable
    # kimi-k2 in FP4: ~988 B routed-expert parameters at 0.5625 B each on 0.5 GiB chips -> over a thousand LP30
    assert 1000 < system.min_lpus < 1300


def test_lower_hop_latency_never_slows_a_point_and_raises_the_peak(system):
    slow = rack_afd.afd_points(replace(system, hop=replace(system.hop, hop_latency_s=20e-6)))
    fast = rack_afd.afd_points(replace(system, hop=replace(system.hop, hop_latency_s=0.0)))
    keys = ["decode_gpus", "lpus", "sequences", "microbatches"]
    both = fast.join(slow, on=keys, suffix="_slow")
    assert both.height == fast.height == slow.height  # the hop does not change what fits
    assert (both["step_ms"] <= both["step_ms_slow"] + 1e-12).all()
    assert fast["per_user_tokens_per_s"].max() > 1.5 * slow["per_user_tokens_per_s"].max()


def test_more_lpus_never_slow_a_point(system):
    points = rack_afd.afd_points(system)
    one, four = system.min_lpus, 4 * system.min_lpus
    keys = ["decode_gpus", "sequences", "microbatches"]
    few = points.filter(pl.col("lpus") == one).select(*keys, "step_ms")
    many = points.filter(pl.col("lpus") == four).select(*keys, "step_ms")
    both = few.join(many, on=keys, suffix="_many")
    assert both.height > 0 and (both["step_ms_many"] <= both["step_ms"] + 1e-12).all()


def test_prefill_pool_grows_with_the_output_rate(system):
    points = rack_afd.afd_points(system)
    per_rate = (points["prefill_gpus"] / points["tokens_per_s"]).to_numpy()
    assert np.allclose(per_rate, per_rate[0]) and per_rate[0] > 0


def _oracle_step_s(system, gpus: float, lpus: float, sequences: float, microbatches: float) -> float:
    """The module docstring's equations for one point, in plain floats."""
    r, m, eff = system.gpu, system.gpu.model, system.gpu.eff
    f = lambda a: float(np.ravel(a)[0])
    layers, hidden, k = f(m.layers), f(m.hidden_size), f(m.experts_per_token)
    experts, expert = f(m.experts), f(m.expert_params)
    b = sequences / microbatches
    per_gpu = b / gpus
    # attention side, one GPU, per layer: always-active weights and the KV cache of its sequences
    cached = r.spec.input_tokens + r.spec.output_tokens / 2.0  # MLA: no window
    weights = f(m.always_active_params) - f(m.input_embedding_params)
    mem_a = weights * r.weight_bytes / eff.bandwidth
    mem_a += per_gpu * cached * f(m.kv_elements_per_token) * r.kv_bytes / eff.kv_bandwidth
    mem_a /= f(r.hw.bandwidth_bytes_s) * r.maturity
    comp_a = (2.0 * weights * per_gpu + per_gpu * f(m.attention_flops_per_context_token) * cached) / eff.compute
    comp_a /= f(r.hw.peak_flops_s) * r.maturity
    t_a = max(mem_a, comp_a) / layers + eff.layer_overhead_s
    # expert side: distinct experts touched by b tokens, the busiest chip's load x imbalance
    u = r.assumed.moe_load_imbalance
    distinct = experts * (1.0 - (1.0 - k / experts) ** b)
    mat = system.lpu_maturity
    mem_f = u * distinct * expert * r.weight_bytes / eff.bandwidth / (lpus * f(system.lpu_hw.bandwidth_bytes_s) * mat)
    comp_f = u * 2.0 * k * expert * b / eff.compute / (lpus * f(system.lpu_hw.peak_flops_s) * mat)
    t_f = max(mem_f, comp_f) / layers + eff.layer_overhead_s
    t_h = system.hop.hop_latency_s + b * k * hidden * eff.activation_bytes / (gpus * system.hop.link_bytes_s_per_gpu)
    layer = max(microbatches * t_a, microbatches * t_f, t_a + t_f + 2.0 * t_h)
    return layers * layer + eff.step_overhead_s + sequences * eff.sequence_overhead_s


@pytest.mark.parametrize("gpus, multiple, microbatches", [(8.0, 1.0, 1.0), (72.0, 2.0, 4.0), (32.0, 4.0, 2.0)])
def test_points_match_a_scalar_oracle(system, gpus, multiple, microbatches):
    points = rack_afd.afd_points(system)
    pick = points.filter(
        (pl.col("decode_gpus") == gpus)
        & (pl.col("lpus") == multiple * system.min_lpus)
        & (pl.col("microbatches") == microbatches)
    )
    row = pick.row(pick.height // 2, named=True)  # a mid-grid concurrency
    expected = _oracle_step_s(system, gpus, row["lpus"], row["sequences"], microbatches)
    assert row["step_ms"] == pytest.approx(expected * 1e3, rel=1e-9)
    rate = row["sequences"] / expected
    power = (gpus + row["prefill_gpus"]) * system.gpu.kw_per_gpu + row["lpus"] * system.lpu_kw
    assert row["tokens_per_s_per_mw"] == pytest.approx(rate / power * 1e3, rel=1e-9)


def test_points_that_do_not_fit_the_gpus_are_left_out(system):
    r, m = system.gpu, system.gpu.model
    points = rack_afd.afd_points(system)
    per_sequence = float(m.kv_bytes_per_sequence(r.spec.input_tokens + r.spec.output_tokens, r.kv_bytes)[0])
    usable = (
        float(r.hw.memory_bytes[0]) * (1 - r.eff.reserve_fraction) - float(m.always_active_params[0]) * r.weight_bytes
    )
    most = (points["sequences"] / points["decode_gpus"]).max()
    assert most * per_sequence <= usable
    # one GPU's pool at the engine's batch cap would not fit the 131k-token KV caches: they were dropped
    assert points.filter(pl.col("decode_gpus") == 1.0)["sequences"].max() < 2048


def test_best_per_mw_says_when_nothing_reaches_the_speed(system):
    points = rack_afd.afd_points(system)
    value, how = rack_afd.best_per_mw(points, 1e9)
    assert value == 0.0 and "no AFD configuration reaches" in how
    value, how = rack_afd.best_per_mw(points, 50.0)
    assert value == points.filter(pl.col("per_user_tokens_per_s") >= 50.0)["tokens_per_s_per_mw"].max()


@pytest.fixture
def chart(use_shipped_db):
    from hbmcycle.hetero.claims_chart import ChartModel
    from hbmcycle.hetero.scenario import read_tables

    return ChartModel(read_tables(), settings(), Assumptions(), "nvidia_rubin", "groq_lp30")


def test_lpu_power_factor_scales_only_the_lpus_power(chart):
    context = settings()["in_scope_context"]
    base = chart.afd_points(context, "lean", 5.0)
    doubled = chart.afd_points(context, "lean", 5.0, power_factor=2.0)
    lpu_kw = chart._afd[(context, "lean", 5.0)][0].lpu_kw
    assert (doubled["power_kw"] - base["power_kw"] - base["lpus"] * lpu_kw).abs().max() < 1e-9
    assert (doubled["tokens_per_s_per_mw"] < base["tokens_per_s_per_mw"]).all()


def test_speed_curves_keep_only_systems_that_reach_each_speed(chart):
    from hbmcycle.hetero.claims_chart import speed_curves

    context = settings()["in_scope_context"]
    curves = speed_curves(chart, [50.0, 400.0, 1e6], context, "lean", 5.0)
    assert curves.filter(pl.col("level") == 1e6).height == 0  # nothing serves a million tokens/s per user
    afd = curves.filter((pl.col("system") == "Rubin + LPX (AFD)") & (pl.col("level") == 50.0))
    assert afd["tokens_per_s_per_mw"][0] == rack_afd.best_per_mw(chart.afd_points(context, "lean", 5.0), 50.0)[0]
    # throughput per MW can only fall as the speed floor rises
    for _, rows in curves.group_by("system"):
        per_mw = rows.sort("level")["tokens_per_s_per_mw"].to_numpy()
        assert (np.diff(per_mw) <= 1e-9).all()
