from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.hardware import UnsupportedError, hardware_arrays
from hbmcycle.inference.parallel import allreduce_seconds, tensor_parallel_seconds
from hbmcycle.inference.step_time import (
    BANDWIDTH,
    CAPACITY,
    COMPUTE,
    Efficiency,
    decode_step,
    max_batch,
    offline_throughput,
    prefill_seconds,
)

from inference_toys import accelerators, models

MODELS = model_arrays(models())
DENSE, MOE = MODELS.take(0), MODELS.take(1)
CHIP = hardware_arrays(accelerators().head(1), "bf16")  # 100 GB, 1 TB/s, 100 TFLOPS
EFF = Efficiency(
    bandwidth=0.5,
    kv_bandwidth=0.25,
    compute=0.5,
    prefill_compute=0.5,
    step_overhead_s=1e-3,
    layer_overhead_s=10e-6,
    sequence_overhead_s=1e-6,
    allreduce_latency_s=0.0,
)


def test_decode_step_hand_computed():
    step = decode_step(DENSE, CHIP, 4, 1000, 1, 2.0, 2.0, EFF)
    weights = 10e9 * 2 / 0.5  # bytes / efficiency
    kv = 4 * 1000 * (10 * 2 * 8 * 128) * 2 / 0.25
    assert step.memory_s[0] == pytest.approx((weights + kv) / 1e12)
    flops = 4 * (2 * 10e9 + 4 * 10 * 32 * 128 * 1000)
    assert step.compute_s[0] == pytest.approx(flops / (100e12 * 0.5))
    overhead = 1e-3 + 10 * 10e-6 + 4 * 1e-6
    assert step.step_s[0] == pytest.approx(0.04065536 + overhead)
    assert step.per_user_tokens_per_s[0] == pytest.approx(1 / step.step_s[0])
    assert step.tokens_per_s[0] == pytest.approx(4 / step.step_s[0])
    # (100 GiB x 0.9 - 20 GB) / (20480 elements x 1000 tokens x 2 B) = (96.64e9 - 20e9) / 40.96e6 = 1871.0
    assert step.max_batch[0] == 1871
    assert step.bound[0] == BANDWIDTH


def test_capacity_and_compute_bounds():
    assert decode_step(DENSE, CHIP, 1872, 1000, 1, 2.0, 2.0, EFF).bound[0] == CAPACITY
    # a short context and a big batch make the FLOPs win: 2 x 10e9 x 1024 / 50e12 = 0.41 s > 20e9 / 0.5e12 = 0.04 s
    assert decode_step(DENSE, CHIP, 1024, 1, 1, 2.0, 2.0, EFF).bound[0] == COMPUTE


def test_moe_decode_reads_active_weights_at_batch_one():
    step = decode_step(MOE, CHIP, 1, 1, 1, 1.0, 1.0, EFF)
    kv = 10 * 576 / 0.25
    assert step.memory_s[0] == pytest.approx((25e9 / 0.5 + kv) / 1e12)


def test_model_that_does_not_fit_has_zero_max_batch():
    assert max_batch(MOE, CHIP, 100, 1, 2.0, 2.0, 0.1)[0] == 0  # 170 GB of weights on a 100 GB chip
    assert max_batch(MOE, CHIP, 100, 2, 2.0, 2.0, 0.1)[0] > 0  # sharded over two


def test_prefill_hand_computed():
    t = prefill_seconds(DENSE, CHIP, 1000, 1, 1, 2.0, 2.0, EFF)
    flops = 2 * 10e9 * 1000 + 4 * 10 * 32 * 128 * 1000**2 / 2
    assert t[0] == pytest.approx(flops / 50e12 + 1e-3 + 10 * 10e-6)


def test_prefill_grows_quadratically_at_long_prompts():
    eff = replace(EFF, step_overhead_s=0.0, layer_overhead_s=0.0)
    short, long_ = prefill_seconds(DENSE, CHIP, np.array([100_000.0, 200_000.0]), 1, 1, 2.0, 2.0, eff)
    assert long_ / short > 2.5  # linear term alone would give 2


def test_offline_throughput_is_batch_over_wave_time():
    b, i, o = 8, 100, 50
    step = decode_step(DENSE, CHIP, b, i + o / 2, 1, 2.0, 2.0, EFF).step_s[0]
    prefill = prefill_seconds(DENSE, CHIP, i, b, 1, 2.0, 2.0, EFF)[0]
    assert offline_throughput(DENSE, CHIP, i, o, b, 1, 2.0, 2.0, EFF)[0] == pytest.approx(b * o / (o * step + prefill))


def test_allreduce_formula_and_single_accelerator():
    assert allreduce_seconds(1e6, 4, 100e9, 5e-6) == pytest.approx(5e-6 + 2 * 3 / 4 * 1e6 / 100e9)
    assert allreduce_seconds(1e6, 1, np.nan, 5e-6) == 0.0
    # 10 layers x 2 all-reduces of 8 tokens x 4096 x 2 bytes
    expected = 10 * 2 * allreduce_seconds(8 * 4096 * 2, 2, 100e9, 1e-6)
    assert tensor_parallel_seconds(8, 4096, 10, 2, 100e9, 1e-6, 2.0) == pytest.approx(expected)


def test_sharding_divides_memory_time():
    one = decode_step(DENSE, CHIP, 16, 1000, 1, 2.0, 2.0, EFF)
    two = decode_step(DENSE, CHIP, 16, 1000, 2, 2.0, 2.0, EFF)
    assert two.memory_s[0] == pytest.approx(one.memory_s[0] / 2)
    assert two.comm_s[0] > 0 == one.comm_s[0]


def test_missing_precision_is_a_clear_error():
    with pytest.raises(UnsupportedError, match="precision fp4 not supported by Toy Chip"):
        hardware_arrays(accelerators().head(1), "fp4")
    lenient = hardware_arrays(accelerators(), "fp4", strict=False)
    assert np.isnan(lenient.peak_flops_s[0]) and lenient.peak_flops_s[1] == 400e12


efficiencies = st.builds(
    Efficiency,
    bandwidth=st.floats(0.05, 1.0),
    kv_bandwidth=st.floats(0.05, 1.0),
    compute=st.floats(0.05, 1.0),
    step_overhead_s=st.floats(0, 1e-2),
    layer_overhead_s=st.floats(0, 1e-4),
    sequence_overhead_s=st.floats(0, 1e-5),
)
batches = st.integers(1, 4096)
contexts = st.integers(1, 200_000)
model_index = st.integers(0, len(MODELS) - 1)


@settings(max_examples=200, deadline=None)
@given(
    model_index,
    batches,
    contexts,
    st.sampled_from([1, 2, 4, 8]),
    st.floats(0.1, 10),
    st.floats(1.0, 10.0),
    efficiencies,
)
def test_more_bandwidth_never_slows_a_step(m, batch, context, group, bw_tb_s, factor, eff):
    model = MODELS.take(m)
    slow = hardware_arrays(accelerators().head(1).with_columns(memory_bw_tb_s=bw_tb_s), "bf16")
    fast = hardware_arrays(accelerators().head(1).with_columns(memory_bw_tb_s=bw_tb_s * factor), "bf16")
    t_slow = decode_step(model, slow, batch, context, group, 2.0, 2.0, eff).step_s[0]
    t_fast = decode_step(model, fast, batch, context, group, 2.0, 2.0, eff).step_s[0]
    assert t_fast <= t_slow * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(model_index, contexts, st.integers(1, 100_000), st.sampled_from([1, 2, 8]), st.floats(0.0, 0.5))
def test_longer_context_never_raises_max_batch(m, context, extra, group, reserve):
    model = MODELS.take(m)
    short = max_batch(model, CHIP, context, group, 1.0, 1.0, reserve)[0]
    long_ = max_batch(model, CHIP, context + extra, group, 1.0, 1.0, reserve)[0]
    assert long_ <= short


@settings(max_examples=200, deadline=None)
@given(model_index, batches, contexts, st.sampled_from([1, 2, 4, 8]), efficiencies)
def test_throughput_never_exceeds_the_compute_roofline(m, batch, context, group, eff):
    model = MODELS.take(m)
    step = decode_step(model, CHIP, batch, context, group, 2.0, 2.0, eff)
    roofline = group * CHIP.peak_flops_s[0] / (2 * model.active_params[0])  # tokens/s at datasheet peak
    assert step.tokens_per_s[0] <= roofline * (1 + 1e-12)
    # and per-user speed never beats streaming the active weights at datasheet bandwidth
    assert step.per_user_tokens_per_s[0] <= group * CHIP.bandwidth_bytes_s[0] / (2.0 * model.active_params[0]) * (
        1 + 1e-12
    )
