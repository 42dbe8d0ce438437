import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle.hetero import speculative
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.step_time import Efficiency, decode_step

from inference_toys import accelerators, models


def test_expected_tokens_hand_computed():
    assert speculative.expected_tokens(0.0, 4) == pytest.approx(1.0)
    assert speculative.expected_tokens(1.0, 4) == pytest.approx(5.0)
    assert speculative.expected_tokens(0.5, 2) == pytest.approx(1 + 0.5 + 0.25)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="alpha"):
        speculative.expected_tokens(1.2, 3)
    with pytest.raises(ValueError, match="gamma"):
        speculative.expected_tokens(0.5, -1)


@settings(max_examples=100, deadline=None)
@given(a=st.floats(0, 1), b=st.floats(0, 1), gamma=st.integers(0, 16))
def test_expected_tokens_monotone_and_bounded(a, b, gamma):
    lo, hi = sorted((a, b))
    e_lo, e_hi = speculative.expected_tokens(lo, gamma), speculative.expected_tokens(hi, gamma)
    assert 1.0 - 1e-12 <= e_lo <= e_hi + 1e-9 <= gamma + 1 + 1e-9
    assert speculative.expected_tokens(hi, gamma + 1) >= e_hi - 1e-12


def test_speedup_hand_computed():
    # alpha 0.5, gamma 2: 1.75 tokens per cycle; cycle = 2 x 1 ms + 12 ms = 14 ms vs 10 ms per token
    assert speculative.speedup(0.5, 2, 1e-3, 10e-3, 12e-3) == pytest.approx(1.75 * 10 / 14)


def test_verify_of_zero_drafts_is_a_decode_step():
    m = model_arrays(models().head(1))
    hw = hardware_arrays(accelerators().head(1), "bf16")
    eff = Efficiency()
    verify = speculative.verify_seconds(m, hw, 4.0, 1000.0, 0, 1.0, 2.0, 2.0, eff)
    step = decode_step(m, hw, 4.0, 1000.0, 1.0, 2.0, 2.0, eff).step_s
    np.testing.assert_allclose(verify, step)


def test_verify_costs_at_least_a_step_and_grows_with_gamma():
    m = model_arrays(models().head(1))
    hw = hardware_arrays(accelerators().head(1), "bf16")
    times = [
        float(np.ravel(speculative.verify_seconds(m, hw, 8.0, 2000.0, g, 1.0, 2.0, 2.0, Efficiency()))[0])
        for g in (0, 2, 8, 64)
    ]
    assert times == sorted(times)


def test_draft_that_does_not_fit_is_nan():
    m = model_arrays(models().head(1))  # 10 B params, 20 GB in bf16
    hw = hardware_arrays(accelerators().tail(1), "bf16")  # 50 GB
    assert np.isnan(speculative.draft_step_seconds(m, hw, 10_000.0, 100_000.0, 1.0, 2.0, 2.0, Efficiency())).all()
