"""hbmcycle.stats: known elasticities are recovered, intervals cover, degenerate inputs are refused."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbmcycle import stats


def synthetic(n=12, e_size=0.3, e_bw=1.2, noise=0.0, seed=1):
    rng = np.random.default_rng(seed)
    size = np.exp(rng.uniform(3, 6, n))
    bandwidth = np.exp(rng.uniform(0, 3, n))
    throughput = 7.0 * size**e_size * bandwidth**e_bw * np.exp(noise * rng.standard_normal(n))
    return throughput, size, bandwidth


def test_exact_data_recovers_elasticities_with_zero_width_intervals():
    t, s, b = synthetic()
    table = stats.elasticities(t, s, b, forms=("joint",))
    got = dict(zip(table["term"], table["estimate"]))
    assert got["size"] == pytest.approx(0.3, abs=1e-9)
    assert got["bandwidth"] == pytest.approx(1.2, abs=1e-9)
    assert table["t_high"].max() - table["t_low"].min() < 1.0  # both near-degenerate intervals


def test_hand_computed_slope_and_standard_error():
    # y = x + e with e = (+1, -1, -1, +1) over x = 0..3, e orthogonal to x:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = x + np.array([1.0, -1.0, -1.0, 1.0])
    fit = stats.ols(y, {"x": x})
    # slope = cov(x, y) / var(x): sum((x - 1.5)(y - 1.5)) / sum((x - 1.5)^2) = 5 / 5 = 1
    assert fit.coef[1] == pytest.approx(1.0)
    # residuals (1, -1, -1, 1), RSS 4, s^2 = 4 / 2 = 2, se = sqrt(2 / 5)
    assert fit.se[1] == pytest.approx(np.sqrt(2 / 5))
    assert fit.dof == 2


def test_product_form_of_thesis_data_is_one():
    t, s, b = synthetic(e_size=1.0, e_bw=1.0)
    table = stats.elasticities(t, s, b, forms=("product",))
    assert table["estimate"][0] == pytest.approx(1.0)


def test_intervals_cover_true_value_at_about_nominal_rate():
    covered_t, covered_boot, trials = 0, 0, 200
    for seed in range(trials):
        t, s, b = synthetic(n=15, noise=0.2, seed=seed)
        table = stats.elasticities(t, s, b, forms=("joint",), n_resamples=300, seed=seed)
        row = table.filter(table["term"] == "bandwidth").row(0, named=True)
        covered_t += row["t_low"] <= 1.2 <= row["t_high"]
        covered_boot += row["boot_low"] <= 1.2 <= row["boot_high"]
    assert 0.83 <= covered_t / trials <= 0.97  # nominal 90 %
    assert covered_boot / trials >= 0.75  # percentile bootstrap under-covers in small samples


@settings(max_examples=30, deadline=None)
@given(st.floats(-1.5, 2.5), st.floats(-1.5, 2.5))
def test_any_elasticity_pair_is_recovered(e_size, e_bw):
    t, s, b = synthetic(e_size=e_size, e_bw=e_bw, noise=0.01)
    table = stats.elasticities(t, s, b, forms=("joint",), n_resamples=50)
    got = dict(zip(table["term"], table["estimate"]))
    assert got["size"] == pytest.approx(e_size, abs=0.05)
    assert got["bandwidth"] == pytest.approx(e_bw, abs=0.05)


def test_leave_one_out_flags_an_influential_point():
    t, _s, b = synthetic(n=8, noise=0.01)
    t = t.copy()
    t[0] *= 50.0
    loo = stats.leave_one_out(np.log(t), {"bw": np.log(b)})
    assert loo.shape == (8, 2)
    assert np.ptp(loo[:, 1]) > 0.1


def test_controls_enter_unlogged():
    t, s, b = synthetic(noise=0.0)
    flag = np.array([0.0, 1.0] * 6)
    table = stats.elasticities(t * np.exp(0.7 * flag), s, b, forms=("joint",), controls={"fp4": flag})
    got = dict(zip(table["term"], table["estimate"]))
    assert got["fp4"] == pytest.approx(0.7)
    assert got["size"] == pytest.approx(0.3)


def test_collinearity_of_proportional_regressors_is_extreme():
    x = np.log(np.array([1.0, 2.0, 4.0, 8.0, 16.0]))
    nearly = x * 1.5 + np.array([0.0, 1e-3, -1e-3, 0.0, 1e-3])
    out = stats.collinearity({"a": x, "b": nearly})
    assert out["correlation"] > 0.999
    assert out["vif_a"] > 1e4
    assert out["condition_number"] > 100
    independent = stats.collinearity({"a": np.array([0.0, 1, 0, 1, 0.5]), "b": np.array([0.0, 0, 1, 1, 0.5])})
    assert independent["vif_a"] == pytest.approx(1.0)


def test_growth_per_step():
    assert stats.growth_per_step([1.0, 2.0, 4.0, 8.0]) == pytest.approx(2.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"throughput": [1.0, np.nan, 3.0, 4.0, 5.0]}, "throughput: 1 NaN"),
        ({"throughput": [1.0, 0.0, 3.0, 4.0, 5.0]}, "throughput: log needs positive values"),
        ({"size": [1.0, -2.0, 3.0, 4.0, 5.0]}, "size: log needs positive values"),
        ({"size": [2.0, 2.0, 2.0, 2.0, 2.0]}, "size has zero variance"),
        ({"bandwidth": [1.0, 2.0, 3.0, 4.0]}, "bandwidth has 4 values but the response has 5"),
        ({"throughput": [1.0, 2.0], "size": [1.0, 2.0], "bandwidth": [1.0, 3.0]}, "too few for any of the forms"),
    ],
)
def test_degenerate_inputs_are_refused_with_clear_messages(kwargs, message):
    data = {
        "throughput": [1.0, 2.0, 3.0, 4.0, 5.0],
        "size": [1.0, 2.0, 4.0, 3.0, 5.0],
        "bandwidth": [2.0, 1.0, 3.0, 5.0, 4.0],
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        stats.elasticities(data["throughput"], data["size"], data["bandwidth"], n_resamples=10)


def test_too_few_points_for_the_joint_form_still_gives_the_product_form():
    table = stats.elasticities([1.0, 2.0, 4.0], [1.0, 2.0, 3.0], [1.0, 3.0, 2.0], n_resamples=10)
    assert set(table["form"]) == {"product", "bandwidth_only"}


def test_ols_needs_a_spare_degree_of_freedom():
    with pytest.raises(ValueError, match="3 points for 3 parameters"):
        stats.ols([1.0, 2.0, 3.0], {"a": [1.0, 2.0, 4.0], "b": [1.0, 3.0, 2.0]})


def test_exactly_collinear_design_is_refused():
    x = np.log(np.array([1.0, 2.0, 4.0, 8.0, 16.0]))
    with pytest.raises(ValueError, match="exactly collinear"):
        stats.ols(x, {"a": x, "b": 2 * x})


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="unknown form"):
        stats.elasticity_regressors([1.0, 2.0], [1.0, 2.0], "cubic")


def test_batched_bootstrap_matches_one_lstsq_per_resample():
    """The vectorised bootstrap and leave-one-out agree with numpy's lstsq run resample by resample."""
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(size=9), rng.normal(size=9)
    y = 1 + 0.5 * x1 - 0.3 * x2 + rng.normal(scale=0.2, size=9)
    X = np.column_stack([np.ones(9), x1, x2])
    draws = np.random.default_rng(3).integers(0, 9, size=(300, 9))
    expected = []
    for d in draws:
        if np.linalg.matrix_rank(X[d]) == 3:
            expected.append(np.linalg.lstsq(X[d], y[d], rcond=None)[0])
    low, high, used = stats.bootstrap(y, {"a": x1, "b": x2}, n_resamples=300, level=0.8, seed=3)
    assert used == len(expected)
    np.testing.assert_allclose(low, np.percentile(expected, 10, axis=0), rtol=1e-9)
    np.testing.assert_allclose(high, np.percentile(expected, 90, axis=0), rtol=1e-9)
    loo = stats.leave_one_out(y, {"a": x1, "b": x2})
    for i in range(9):
        keep = np.arange(9) != i
        np.testing.assert_allclose(loo[i], np.linalg.lstsq(X[keep], y[keep], rcond=None)[0], rtol=1e-9)


def test_batched_bootstrap_drops_rank_deficient_resamples():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 2.0, 4.0])
    *_, used = stats.bootstrap(y, {"x": x}, n_resamples=200, seed=0)
    # a resample is degenerate when all its rows share one x (probability 3/27 each)
    draws = np.random.default_rng(0).integers(0, 3, size=(200, 3))
    assert used == sum(len(set(d)) > 1 for d in draws)
