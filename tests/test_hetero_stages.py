import numpy as np
import polars as pl
import pytest
from hetero_toys import models
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle.hetero import stages
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.step_time import Efficiency

from inference_toys import accelerators


@pytest.fixture
def toy():
    frame = models()
    return stages.stage_params(frame), model_arrays(frame)


def test_parameter_split_hand_computed(toy):
    sp, _ = toy
    assert sp.attention[0] == pytest.approx(20e6)
    assert sp.head[0] == pytest.approx(1e6)
    assert sp.ffn_active[0] == pytest.approx(120e6)
    assert sp.ffn_total[0] == pytest.approx(120e6)
    # MLA: attention is the remainder active - FFN(shapes) - head
    assert sp.attention[1] == pytest.approx(60e6 - 45e6 - 1e6)
    assert sp.ffn_total[1] == pytest.approx(150e6 - 14e6 - 1e6)


def test_split_sums_to_table_totals(toy):
    sp, m = toy
    np.testing.assert_allclose(sp.attention + sp.ffn_active + sp.head, m.active_params)
    np.testing.assert_allclose(sp.attention + sp.ffn_total + sp.head, m.total_params)


def test_inconsistent_row_raises():
    frame = models().head(1).with_columns(active_params_b=pl.lit(0.01), total_params_b=pl.lit(0.01))
    with pytest.raises(ValueError, match="toy-dense"):
        stages.stage_params(frame)


def test_decode_ffn_intensity_is_two_flops_per_weight_byte_per_sequence(toy):
    sp, m = toy
    work = stages.decode_ffn_work(sp.take(0), m.take(0), batch=4.0, weight_bytes=2.0)
    # bytes per layer = (141 M - 20 M attention - 1 M input embedding) x 2 / 10; FLOPs = 2 x 120 M x 4 / 10
    assert work.bytes[0] == pytest.approx(120e6 * 2 / 10)
    assert work.intensity[0] == pytest.approx(4.0)


def test_decode_attention_hand_computed(toy):
    sp, m = toy
    # KV per token: 10 layers x 2 x 2 heads x 100 = 4000 elements; 3 sequences x 50 tokens x 1 byte
    work = stages.decode_attention_work(sp.take(0), m.take(0), batch=3.0, context=50.0, weight_bytes=1.0, kv_bytes=1.0)
    assert work.bytes[0] == pytest.approx((20e6 + 3 * 50 * 4000) / 10)
    # FLOPs: 2 x 20 M x 3 + 4 x 10 x 8 x 100 x 3 x 50
    assert work.flops[0] == pytest.approx((2 * 20e6 * 3 + 32000 * 150) / 10)


def test_ridge_point():
    hw = hardware_arrays(accelerators().head(1), "bf16")
    assert stages.ridge_point(hw)[0] == pytest.approx(100e12 / 1e12)


def test_prefill_is_far_above_decode_intensity(toy):
    sp, m = toy
    table = stages.stage_table(sp.take(0), m.take(0), 8, 1000, 1000, 2.0, 2.0)
    intensity = dict(zip(table["stage"], table["flop_per_byte"]))
    assert intensity["prefill"] > 50 * intensity["decode_ffn"] > intensity["decode_attention"]


@settings(max_examples=50, deadline=None)
@given(batch=st.integers(1, 512), short=st.integers(1, 10_000), extra=st.integers(1, 100_000))
def test_ffn_share_never_grows_with_context(batch, short, extra):
    sp, m = stages.stage_params(models()), model_arrays(models())
    hw = hardware_arrays(accelerators().head(1), "bf16")
    a, f = stages.decode_split(
        sp.take(0), m.take(0), hw, batch, np.array([short, short + extra]), 1.0, 2.0, 2.0, Efficiency()
    )
    share = np.ravel(f / (a + f))
    assert share[1] <= share[0] + 1e-12
