"""The serving model: continuous batching with chunked prefill, its latencies, disaggregation, best points."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hbmcycle.inference import assumptions
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.disaggregation import best_disaggregated
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.serving import Traffic, serve
from hbmcycle.inference.step_time import decode_step
from hbmcycle.inference.system import Limits, best_point
from hbmcycle.inference.workloads import custom

from inference_toys import TRUE, accelerators, models

ASSUMED = assumptions.load()


def _setup(model_id="toy-dense", accel="toy_chip_fast", precision="fp8"):
    m = models()
    a = accelerators()
    return model_arrays(m.filter(m["model_id"] == model_id)), hardware_arrays(
        a.filter(a["accelerator_id"] == accel), precision
    )


def _traffic(i=1000.0, o=200.0, p90=None, hit=0.0):
    return Traffic(*(np.array(x, dtype=float) for x in (i, o, p90 or i, hit)))


def test_decode_only_iteration_matches_the_step_engine():
    """With every prompt token cached (no prefill work) an iteration is a decode step at the mean context."""
    model, hw = _setup()
    batches = np.array([1.0, 8.0, 64.0])
    point = serve(model, hw, _traffic(hit=1.0), batches, 2.0, 1.0, 1.0, TRUE)
    step = decode_step(model, hw, batches, 1000.0 + 200.0 / 2.0, 2.0, 1.0, 1.0, TRUE)
    np.testing.assert_allclose(point.iteration_s, step.step_s, rtol=1e-12)
    np.testing.assert_allclose(point.output_tokens_per_s, step.tokens_per_s, rtol=1e-12)


def test_more_concurrency_trades_per_user_speed_for_throughput():
    model, hw = _setup()
    c = np.array([1.0, 4.0, 16.0, 64.0, 256.0])
    point = serve(model, hw, _traffic(), c, 1.0, 1.0, 1.0, TRUE)
    assert np.all(np.diff(point.output_tokens_per_s) > 0)
    assert np.all(np.diff(point.tpot_s) > 0)


def test_prefill_work_slows_iterations_and_a_prefix_cache_wins_it_back():
    model, hw = _setup()
    no_cache = serve(model, hw, _traffic(hit=0.0), 32.0, 1.0, 1.0, 1.0, TRUE)
    cached = serve(model, hw, _traffic(hit=0.5), 32.0, 1.0, 1.0, 1.0, TRUE)
    decode_only = serve(model, hw, _traffic(hit=1.0), 32.0, 1.0, 1.0, 1.0, TRUE)
    assert decode_only.iteration_s < cached.iteration_s < no_cache.iteration_s
    assert cached.ttft_s < no_cache.ttft_s
    assert no_cache.ttft_p90_s >= no_cache.ttft_s


def test_ttft_is_unbounded_when_prompts_outrun_the_chunk_budget():
    """P = C I / O prompt tokens per iteration; a budget T with T - C < P cannot keep up."""
    model, hw = _setup()
    stable = serve(model, hw, _traffic(i=1000.0, o=200.0), 100.0, 1.0, 1.0, 1.0, TRUE, chunk_tokens=1000.0)
    unstable = serve(model, hw, _traffic(i=1000.0, o=200.0), 200.0, 1.0, 1.0, 1.0, TRUE, chunk_tokens=1000.0)
    assert np.isfinite(stable.ttft_s).all() and np.isinf(unstable.ttft_s).all()


def test_maturity_scales_a_compute_bound_iteration():
    model, hw = _setup()
    slow = serve(model, hw, _traffic(i=4000.0, o=100.0), 256.0, 1.0, 1.0, 1.0, TRUE, maturity=1.0)
    fast = serve(model, hw, _traffic(i=4000.0, o=100.0), 256.0, 1.0, 1.0, 1.0, TRUE, maturity=2.0)
    assert slow.compute_bound.all()
    assert fast.iteration_s < slow.iteration_s


def test_best_point_meets_its_limits_and_offline_is_the_ceiling():
    model, hw = _setup()
    spec = custom(1000, 200)
    offline = best_point(model, hw, spec, Limits(), 8, 1.0, 1.0, TRUE, ASSUMED)
    tight = best_point(
        model, hw, spec, Limits(ttft_ms=math.inf, tpot_ms=offline["tpot_ms"] / 2), 8, 1.0, 1.0, TRUE, ASSUMED
    )
    assert tight["tpot_p90_ms"] <= offline["tpot_ms"] / 2
    assert tight["tokens_per_s_per_accelerator"] < offline["tokens_per_s_per_accelerator"]
    assert tight["bound"] == "latency"
    assert best_point(model, hw, spec, Limits(tpot_ms=1e-3), 8, 1.0, 1.0, TRUE, ASSUMED) is None


def test_memory_utilisation_limits_concurrency():
    model, hw = _setup()
    spec = custom(8000, 2000)
    roomy = best_point(model, hw, spec, Limits(), 1, 1.0, 1.0, TRUE, ASSUMED)
    from dataclasses import replace

    tight = best_point(model, hw, spec, Limits(), 1, 1.0, 1.0, replace(TRUE, reserve_fraction=0.5), ASSUMED)
    assert tight["max_concurrency"] < roomy["max_concurrency"]


def test_disaggregation_sizes_a_prefill_pool_and_pays_the_kv_transfer():
    model, hw = _setup()
    spec = custom(4000, 200)
    fast_link = best_disaggregated(model, hw, spec, Limits(), 8, 1.0, 1.0, TRUE, ASSUMED)
    slow_link = best_disaggregated(
        model, hw, spec, Limits(), 8, 1.0, 1.0, TRUE, ASSUMED.replace(kv_transfer_bytes_s=1e9)
    )
    assert fast_link["prefill_per_decode_accelerator"] > 0
    assert slow_link["ttft_ms"] > fast_link["ttft_ms"]
    # decode pool has no prefill chunks in its iterations: TPOT below the colocated one at the same concurrency
    colocated = best_point(model, hw, spec, Limits(), 8, 1.0, 1.0, TRUE, ASSUMED, concurrency=fast_link["concurrency"])
    assert fast_link["tpot_ms"] < colocated["tpot_ms"]


@pytest.mark.parametrize("field", ["memory_utilization", "engine_batch_cap"])
def test_assumptions_reject_values_outside_their_range(field):
    with pytest.raises(assumptions.AssumptionError, match=field):
        ASSUMED.replace(**{field: 1e9})


def test_assumptions_file_and_record_agree_and_every_entry_has_a_basis():
    from hbmcycle import assumptions as house

    rows = house.table(assumptions.ASSUMPTIONS_FILE)
    assert [r["name"] for r in rows] == list(ASSUMED.as_dict())
    assert all(r["basis"].strip() and r["unit"] for r in rows)
    with pytest.raises(assumptions.AssumptionError, match="valid: memory_utilization"):
        ASSUMED.replace(memory_utilisation=0.8)


def test_expert_parallelism_pays_all_to_all_and_load_imbalance_only_for_moe_groups():
    moe_model, hw = _setup("toy-moe", "toy_chip_fast", "fp8")
    dense, _ = _setup("toy-dense", "toy_chip_fast", "fp8")
    args = (_traffic(), 64.0)
    even = serve(moe_model, hw, *args, 8.0, 1.0, 1.0, TRUE, moe=(1.0, 0.0))
    skewed = serve(moe_model, hw, *args, 8.0, 1.0, 1.0, TRUE, moe=(1.5, 0.0))
    assert (skewed.iteration_s > even.iteration_s).all()
    one = serve(moe_model, hw, *args, 1.0, 1.0, 1.0, TRUE, moe=(1.5, 0.0))
    np.testing.assert_allclose(one.iteration_s, serve(moe_model, hw, *args, 1.0, 1.0, 1.0, TRUE).iteration_s)
    np.testing.assert_allclose(
        serve(dense, hw, *args, 8.0, 1.0, 1.0, TRUE, moe=(1.5, 0.0)).iteration_s,
        serve(dense, hw, *args, 8.0, 1.0, 1.0, TRUE).iteration_s,
    )


def test_all_to_all_volume_by_hand():
    """64 tokens on 4 devices, k = 2, hidden 4096, 2-byte activations, 10 layers, 1e11 B/s, no latency.

    Per device and direction: 16 x 2 x 4096 x 2 x 3/4 = 196,608 B -> 1.96608 us; x 2 (dispatch, combine) x 10 layers.
    """
    from hbmcycle.inference.expert_parallel import all_to_all_seconds

    moe_model, _ = _setup("toy-moe", "toy_chip_fast", "fp8")
    seconds = all_to_all_seconds(64.0, moe_model, 4.0, 1e11, 0.0, 2.0)
    assert seconds[0] == pytest.approx(10 * 2 * 196_608 / 1e11)


@pytest.mark.parametrize("disaggregated", [False, True])
def test_serving_frontier_trades_speed_for_throughput(disaggregated):
    from hbmcycle.inference.serving_frontier import serving_frontier

    model, hw = _setup()
    frontier = serving_frontier(model, hw, custom(1000, 200), 8, 1.0, 1.0, TRUE, ASSUMED, disaggregated=disaggregated)
    ordered = frontier.sort("per_user_tokens_per_s")
    assert ordered.height >= 3
    assert (ordered["tokens_per_s_per_accelerator"].diff().drop_nulls() <= 1e-9).all()
