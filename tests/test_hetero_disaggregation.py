import polars as pl
import pytest
from hetero_toys import models
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.stages import stage_params
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.step_time import Efficiency

from inference_toys import ACCELERATOR_COLUMNS, accelerators

EFF = Efficiency(step_overhead_s=1e-4, layer_overhead_s=2e-6, sequence_overhead_s=0.0, allreduce_latency_s=5e-6)


def sram_frame() -> pl.DataFrame:
    # 0.1 GB at 50 TB/s, 200 TFLOP/s bf16, fabric 200 GB/s bidirectional, 64 per domain
    row = ("toy_sram", "Toy", "Toy SRAM", 0.1, 50.0, 200.0, 400.0, None, 100.0, 64, 200.0)
    return pl.DataFrame([row], schema=ACCELERATOR_COLUMNS, orient="row")


def chip(frame, power, price, per_rack) -> dis.Chip:
    return dis.Chip(
        hw=hardware_arrays(frame, "bf16", strict=False),
        power_kw=(power, power),
        usd_per_hour=(price, price),
        chips_per_rack=per_rack,
        basis="toy",
    )


@pytest.fixture
def scenario() -> dis.Scenario:
    frame = models().head(1)
    return dis.Scenario(
        sp=stage_params(frame),
        model=model_arrays(frame),
        context=1000.0,
        output_tokens=100.0,
        weight_bytes=2.0,
        kv_bytes=2.0,
        gpu_eff=EFF,
        sram_eff=EFF,
        assumptions=dis.Assumptions(microbatches=(1, 2)),
        gpu=chip(accelerators().head(1), 1.0, 2.0, 8),
        lpu=chip(sram_frame(), 0.2, 0.5, 64),
        wafer=chip(sram_frame().with_columns(memory_gib=pl.lit(10.0)), 20.0, 40.0, 1),
        baseline_gpu=chip(accelerators().head(1), 1.0, 2.0, 8),
    )


def test_chips_to_hold_hand_computed():
    assert dis.chips_to_hold(10e9, 1e9, 0.5) == 20
    assert dis.chips_to_hold(10e9 + 1, 1e9, 0.0) == 11


def afd(s, batch, gpus, lpus, m, hop):
    a = dis.Assumptions(hop_latency_s=hop)
    return dis.afd_step(
        s.sp,
        s.model,
        s.gpu.hw,
        gpus,
        s.lpu.hw,
        lpus,
        batch,
        s.context,
        m,
        s.weight_bytes,
        s.kv_bytes,
        s.gpu_eff,
        s.sram_eff,
        a,
    )


def test_afd_step_without_microbatches_is_the_round_trip(scenario):
    step = afd(scenario, 4.0, 1.0, 8.0, 1.0, 5e-6)
    layer = step.attention_s + step.ffn_s + 2 * step.hop_s
    assert step.step_s == pytest.approx(10 * layer + EFF.step_overhead_s)
    # one way: 5 us + 4 x 1000 x 2 bytes / 100 GB/s
    assert step.hop_s == pytest.approx(5e-6 + 8000 / 100e9)


def test_afd_fits_only_with_enough_sram(scenario):
    ffn_bytes = (121e6) * 2  # FFN + head in bf16 = 242 MB; 0.1 GB chips keep 90 MB each
    assert not afd(scenario, 1.0, 1.0, 2.0, 1.0, 0.0).fits
    assert afd(scenario, 1.0, 1.0, float(dis.chips_to_hold(ffn_bytes, 0.1e9, 0.1)), 1.0, 0.0).fits


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 4096),
    m=st.sampled_from([1, 2, 4, 8]),
    hop=st.floats(0, 1e-4),
    extra=st.floats(0, 1e-4),
    gpus=st.sampled_from([1, 2, 8]),
)
def test_adding_hop_latency_never_speeds_decode(batch, m, hop, extra, gpus):
    frame = models().head(1)
    s = dis.Scenario(
        stage_params(frame),
        model_arrays(frame),
        1000.0,
        100.0,
        2.0,
        2.0,
        EFF,
        EFF,
        dis.Assumptions(),
        chip(accelerators().head(1), 1, 1, 8),
        chip(sram_frame(), 1, 1, 64),
        chip(sram_frame(), 1, 1, 1),
    )
    fast = afd(s, float(batch), float(gpus), 8.0, float(m), hop)
    slow = afd(s, float(batch), float(gpus), 8.0, float(m), hop + extra)
    assert slow.step_s >= fast.step_s


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 1024), m=st.sampled_from([1, 2, 4]))
def test_microbatched_layer_never_beats_one_round_trip(batch, m):
    frame = models().head(1)
    s = dis.Scenario(
        stage_params(frame),
        model_arrays(frame),
        1000.0,
        100.0,
        2.0,
        2.0,
        EFF,
        EFF,
        dis.Assumptions(),
        chip(accelerators().head(1), 1, 1, 8),
        chip(sram_frame(), 1, 1, 64),
        chip(sram_frame(), 1, 1, 1),
    )
    step = afd(s, float(batch), 1.0, 8.0, float(m), 5e-6)
    chain = step.attention_s + step.ffn_s + 2 * step.hop_s
    assert (step.step_s - EFF.step_overhead_s) / 10 >= chain - 1e-15


def test_wafer_pipeline_latency_grows_with_wafers(scenario):
    args = (scenario.sp, scenario.model, scenario.wafer.hw)
    one = dis.wafer_pipeline_step(*args, 1.0, 1.0, 1000.0, 1.0, 2.0, 2.0, EFF, scenario.assumptions)
    four = dis.wafer_pipeline_step(*args, 4.0, 1.0, 1000.0, 1.0, 2.0, 2.0, EFF, scenario.assumptions)
    assert four.step_s == pytest.approx(one.step_s + 3 * scenario.assumptions.wafer_hop_latency_s)


def test_model_too_big_for_the_gpu_domain_raises(scenario):
    huge = dis.Scenario(**{**scenario.__dict__, "context": 1e9})
    with pytest.raises(dis.DoesNotFitError, match="toy-dense"):
        dis.option_points("gpu_only", huge)


def test_unknown_option_raises(scenario):
    with pytest.raises(ValueError, match="valid"):
        dis.option_points("tpu_magic", scenario)


def test_frontier_points_are_not_dominated(scenario):
    points, skipped = dis.all_points(scenario, batches=[1, 4, 16, 64, 256])
    assert not skipped
    assert set(points["option"]) == set(dis.OPTIONS) | {"gpu_baseline"}
    front = dis.frontier(points)
    for option, group in front.group_by("option"):
        everyone = points.filter(pl.col("option") == option[0])
        for row in group.iter_rows(named=True):
            better = everyone.filter(
                (pl.col("per_user_tokens_per_s") > row["per_user_tokens_per_s"])
                & (pl.col("tokens_per_s_per_mw") > row["tokens_per_s_per_mw"])
            )
            assert better.height == 0


def test_rates_hand_computed(scenario):
    points = dis.with_rates(dis.option_points("gpu_only", scenario, batches=[1]))
    row = points.row(0, named=True)
    # prefill runs on the same GPU type: chips = gpus + prefill chips; 1 kW and $2/h per chip
    assert row["tokens_per_s_per_mw"] == pytest.approx(row["tokens_per_s"] / (row["chips"] * 1.0 / 1000))
    assert row["usd_per_mtok"] == pytest.approx(row["chips"] * 2.0 / (row["tokens_per_s"] * 3600) * 1e6)


def test_stack_presets():
    assert dis.stack_efficiency(EFF, "calibrated") is EFF
    assert dis.stack_efficiency(EFF, "lean").step_overhead_s == dis.LEAN_OVERHEADS["step_overhead_s"]
    with pytest.raises(ValueError, match="lean"):
        dis.stack_efficiency(EFF, "fast")
