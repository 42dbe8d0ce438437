import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.frontier import (
    default_group_sizes,
    evaluate_grid,
    frontier_table,
    pareto_mask,
    throughput_at_speed,
)
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.step_time import Efficiency, decode_step

from inference_toys import accelerators, models

EFF = Efficiency()


def brute_force_frontier(speed, rate, feasible):
    keep = np.zeros(speed.shape, dtype=bool)
    for i in np.ndindex(speed.shape):
        if not feasible[i]:
            continue
        dominated = feasible & (speed >= speed[i]) & (rate >= rate[i]) & ((speed > speed[i]) | (rate > rate[i]))
        # among exact duplicates keep one (the pareto mask keeps the first in sort order)
        keep[i] = not dominated.any()
    return keep


def test_pareto_mask_hand_case():
    speed = np.array([[[100.0, 50.0], [80.0, 10.0]]])
    rate = np.array([[[1.0, 5.0], [0.5, 9.0]]])
    feasible = np.ones_like(speed, dtype=bool)
    # (80, 0.5) is dominated by (100, 1)
    np.testing.assert_array_equal(pareto_mask(speed, rate, feasible), [[[True, True], [False, True]]])
    feasible[0, 1, 1] = False  # the fastest-throughput point no longer counts
    np.testing.assert_array_equal(pareto_mask(speed, rate, feasible), [[[True, True], [False, False]]])


@settings(max_examples=100, deadline=None)
@given(
    arrays(float, (3, 4), elements=st.integers(1, 6).map(float)),
    arrays(float, (3, 4), elements=st.integers(1, 6).map(float)),
    arrays(bool, (3, 4)),
)
def test_pareto_mask_matches_brute_force(speed, rate, feasible):
    mask = pareto_mask(speed[None], rate[None], feasible[None])[0]
    expected = brute_force_frontier(speed, rate, feasible)
    # identical points: exactly one of each duplicate group survives
    for i in np.ndindex(speed.shape):
        same = feasible & (speed == speed[i]) & (rate == rate[i])
        if expected[i]:
            assert mask[same].sum() == 1
        else:
            assert not mask[i]


def test_grid_agrees_with_pointwise_decode_step():
    model = model_arrays(models())
    hw = hardware_arrays(accelerators().head(2), "bf16")
    batches, contexts, groups = np.array([1.0, 7.0, 300.0]), np.array([10.0, 5000.0]), np.array([1.0, 4.0])
    grid = evaluate_grid(model, hw, contexts, batches, groups, 2.0, 2.0, EFF)
    for a, m, c, b, g in [(0, 0, 0, 0, 0), (1, 1, 1, 2, 1), (0, 2, 1, 1, 1)]:
        point = decode_step(model.take(m), hw.take(a), batches[b], contexts[c], groups[g], 2.0, 2.0, EFF)
        assert grid.step_s[a, m, c, b, g] == pytest.approx(point.step_s[0])


def test_groups_beyond_the_domain_are_infeasible():
    model = model_arrays(models()).take(0)
    lonely = hardware_arrays(accelerators().filter(accelerators()["accelerator_id"] == "toy_lonely"), "bf16")
    grid = evaluate_grid(model, lonely, [100.0], [1.0], [1.0, 2.0], 2.0, 2.0, EFF)
    np.testing.assert_array_equal(grid.feasible.ravel(), [True, False])
    np.testing.assert_array_equal(default_group_sizes(np.nan), [1.0])
    np.testing.assert_array_equal(default_group_sizes(72), [1, 2, 4, 8, 16, 32, 64, 72])


def test_frontier_table_trades_speed_for_throughput():
    model = model_arrays(models()).take(1)
    hw = hardware_arrays(accelerators().head(1), "bf16")
    table = frontier_table(model, hw, 2000, 2.0, 2.0, EFF)
    assert table.height >= 3
    assert (table["per_user_tokens_per_s"].diff().drop_nulls() < 0).all()
    assert (table["tokens_per_s_per_accelerator"].diff().drop_nulls() > 0).all()
    best = throughput_at_speed(table, 20.0)
    assert best.height == 1 and best["per_user_tokens_per_s"][0] >= 20.0
    assert throughput_at_speed(table, 1e9).is_empty()


def _sorted_oracle(speed: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Frontier of one cell by lexsort on (speed desc, rate desc) and a running maximum (all points feasible)."""
    order = np.lexsort((-rate.ravel(), -speed.ravel()))
    best, keep = -np.inf, np.zeros(speed.size, dtype=bool)
    for i in order:
        if rate.ravel()[i] > best:
            keep[i], best = True, rate.ravel()[i]
    return keep.reshape(speed.shape)


def test_near_ties_below_the_packed_key_resolution_are_sorted_exactly():
    """Speeds 1e-15 apart share a packed key; the row is re-sorted on the exact values."""
    rng = np.random.default_rng(3)
    speed = 1.0 + rng.integers(0, 5, (6, 8)) * 1e-15
    rate = rng.uniform(1, 2, (6, 8))
    feasible = np.ones_like(speed, dtype=bool)
    np.testing.assert_array_equal(pareto_mask(speed[None], rate[None], feasible[None])[0], _sorted_oracle(speed, rate))


def test_cells_too_large_to_pack_fall_back_to_argsort():
    rng = np.random.default_rng(4)
    speed, rate = rng.uniform(1, 100, (300, 300)), rng.uniform(1, 100, (300, 300))
    feasible = np.ones_like(speed, dtype=bool)
    np.testing.assert_array_equal(pareto_mask(speed[None], rate[None], feasible[None])[0], _sorted_oracle(speed, rate))
