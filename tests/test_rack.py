"""hbmcycle.inference.rack: rack throughput at speed floors and its elasticities, against closed forms and best_point."""

import math

import numpy as np
import polars as pl
import pytest

from hbmcycle.inference import workloads as wl
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.assumptions import load
from hbmcycle.inference.disaggregation import best_disaggregated
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.rack import RackStack, rack_elasticities, rack_grid, rack_power_mw
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.inference.system import Limits, best_point

from inference_toys import ACCELERATOR_COLUMNS, TRUE
from inference_toys import accelerators as toy_accelerators
from inference_toys import models as toy_models

IDEAL = Efficiency(
    bandwidth=1.0,
    kv_bandwidth=1.0,
    compute=1.0,
    prefill_compute=1.0,
    step_overhead_s=0.0,
    layer_overhead_s=0.0,
    sequence_overhead_s=0.0,
    allreduce_latency_s=0.0,
    reserve_fraction=0.0,
)
GIB = 2.0**30
WEIGHTS = 10e9 * 2  # toy-dense, bf16
KV_PER_TOKEN = 10 * 2 * 8 * 128 * 2  # layers x (K and V) x KV heads x head dim x bf16 bytes


def memory_bound_chip(gib=100.0, tb_s=1.0) -> pl.DataFrame:
    """100 GiB, 1 TB/s, compute far beyond the memory time, no scale-up domain (groups of one)."""
    row = ("ideal", "Toy", "Ideal", gib, tb_s, 1e6, 1e6, 1e6, 1000.0, None, None)
    return pl.DataFrame([row], schema=ACCELERATOR_COLUMNS, orient="row")


def dense_grid(floors, input_tokens=1000.0, output_tokens=1000.0, chip=None):
    """toy-dense on 8 ideal chips, every prompt token already cached (pure decode)."""
    stack = RackStack(
        hw=hardware_arrays(memory_bound_chip() if chip is None else chip, "bf16"),
        gpus=8,
        eff=IDEAL,
        maturity=1.0,
        assumptions=load().replace(engine_batch_cap=100000),
    )
    model = model_arrays(toy_models().filter(pl.col("model_id") == "toy-dense"))
    traffic = wl.custom(input_tokens, output_tokens, prefix_hit_rate=1.0).traffic()
    return rack_grid(model, traffic, floors, stack, 2.0, 2.0)


def decode_throughput(capacity_bytes, bandwidth_bytes_s, floor, input_tokens=1000.0, output_tokens=1000.0):
    """Closed form of one memory-bound chip: C = min(capacity limit, speed limit), T = C / t, t = (W + C kv) / BW."""
    admitted = KV_PER_TOKEN * (input_tokens + output_tokens)  # a sequence's KV at its longest
    average = KV_PER_TOKEN * (input_tokens + output_tokens / 2)  # read per step, on average
    by_capacity = math.floor((capacity_bytes - WEIGHTS) / admitted)
    by_speed = math.floor((bandwidth_bytes_s / floor - WEIGHTS) / average)
    c = min(by_capacity, by_speed)
    return c / ((WEIGHTS + c * average) / bandwidth_bytes_s)


def closed_elasticities(floor, step=0.1):
    up, down = math.exp(step), math.exp(-step)
    cap, bw = 100 * GIB, 1e12
    e_cap = math.log(decode_throughput(cap * up, bw, floor) / decode_throughput(cap * down, bw, floor)) / (2 * step)
    e_bw = math.log(decode_throughput(cap, bw * up, floor) / decode_throughput(cap, bw * down, floor)) / (2 * step)
    return e_cap, e_bw


def test_rack_throughput_matches_the_closed_form_per_chip_times_chips():
    points = dense_grid([1.0, 20.0])
    for f, floor in enumerate([1.0, 20.0]):
        expected = 8 * decode_throughput(100 * GIB, 1e12, floor)
        assert points["rack_tokens_per_s"][f, 0, 0, 0] == pytest.approx(expected, rel=1e-9)


def test_capacity_pays_only_where_the_batch_is_kv_bound():
    """Low floor: the batch fills memory, capacity elasticity W/(C'-W)-like and > 0; the bandwidth one is 1
    (memory-bound step). High floor: the speed limits the batch, capacity elasticity 0, bandwidth above 1."""
    floors = [1.0, 20.0]
    e_cap, e_bw = rack_elasticities(dense_grid(floors)["rack_tokens_per_s"])
    kv_bound, speed_bound = closed_elasticities(1.0), closed_elasticities(20.0)
    assert e_cap[0, 0, 0] == pytest.approx(kv_bound[0], rel=1e-6) and e_cap[0, 0, 0] > 0.1
    assert e_bw[0, 0, 0] == pytest.approx(1.0, abs=1e-9)
    assert e_cap[1, 0, 0] == 0.0
    assert e_bw[1, 0, 0] == pytest.approx(speed_bound[1], rel=1e-6) and e_bw[1, 0, 0] > 1.5  # BW/(BW - sW) = 5/3


def test_doubling_capacity_and_bandwidth_at_the_kv_bound_point_more_than_doubles_throughput():
    # Twice the bandwidth doubles it; twice the capacity adds more sequences than the weights took away.
    base = dense_grid([1.0])["rack_tokens_per_s"][0, 0, 0, 0]
    doubled = dense_grid([1.0], chip=memory_bound_chip(200.0, 2.0))["rack_tokens_per_s"][0, 0, 0, 0]
    closed = decode_throughput(200 * GIB, 2e12, 1.0) / decode_throughput(100 * GIB, 1e12, 1.0)
    assert doubled / base == pytest.approx(closed, rel=1e-9) and doubled / base > 2.0
    # with bandwidth alone, exactly double: the step is memory-bound and the batch is set by capacity
    faster = dense_grid([1.0], chip=memory_bound_chip(100.0, 2.0))["rack_tokens_per_s"][0, 0, 0, 0]
    assert faster / base == pytest.approx(2.0, rel=1e-12)


def test_a_floor_nothing_reaches_leaves_the_rack_empty():
    points = dense_grid([1e6])
    assert np.isnan(points["rack_tokens_per_s"][0, 0, 0, 0]) and points["requests"][0, 0, 0, 0] == 0.0


def test_rack_search_agrees_with_best_point_and_best_disaggregated():
    """Same serving model, an independent search: at least their best (it tries more concurrencies), within a grid step."""
    accel = toy_accelerators().filter(pl.col("accelerator_id") == "toy_chip")
    hw = hardware_arrays(accel, "bf16")
    model = model_arrays(toy_models().filter(pl.col("model_id") == "toy-moe"))
    spec = wl.custom(1000.0, 200.0)
    assumed = load()
    stack = RackStack(hw=hw, gpus=8, eff=TRUE, maturity=1.0, assumptions=assumed)
    rack = rack_grid(model, spec.traffic(), [5.0], stack, 2.0, 1.0)
    args = (model, hw, spec, Limits(min_per_user_tokens_per_s=5.0), 8, 2.0, 1.0, TRUE, assumed)
    best = max(p["output_tokens_per_s"] for p in (best_point(*args), best_disaggregated(*args)) if p)
    assert best * (1 - 1e-9) <= rack["rack_tokens_per_s"][0, 0, 0, 0] <= best * 1.1
    assert rack["per_user_tokens_per_s"][0, 0, 0, 0] >= 5.0


def test_rack_power_from_systems():
    systems = pl.DataFrame({"system_id": ["a", "b"], "rack_power_kw": [120.0, None]})
    assert rack_power_mw(systems, "a") == pytest.approx(0.12)
    assert math.isnan(rack_power_mw(systems, "b")) and math.isnan(rack_power_mw(systems, "c"))
