"""One rack-serving answer: the heterogeneous-inference GPU-only baseline is the thesis rack matrix's point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hbmcycle.data import db
from hbmcycle.hetero import rack as gpu_rack
from hbmcycle.hetero.steps import settings, stack_efficiency
from hbmcycle.inference import constants
from hbmcycle.inference.assumptions import load
from hbmcycle.inference.rack import rack_grid
from hbmcycle.thesis import racks

FLOORS = [20.0, 100.0]


@pytest.fixture
def tables(use_shipped_db):
    from hbmcycle.hetero.scenario import read_tables

    return read_tables()


@pytest.mark.parametrize(
    "system_id, accelerator_id, stack",
    [("nvidia_gb200_nvl72", "nvidia_gb200", "calibrated"), ("nvidia_gb300_nvl72", "nvidia_gb300", "lean")],
)
def test_hetero_baseline_and_thesis_rack_matrix_agree(tables, system_id, accelerator_id, stack):
    cfg = {**settings(), "in_scope_context": 32768.0, "in_scope_output_tokens": 1024.0}
    r = gpu_rack.rack(tables, accelerator_id, cfg, cfg["in_scope_context"], stack)
    assert r.system_id == system_id
    points = gpu_rack.best_points(r, FLOORS)
    per_mw = gpu_rack.best_per_mw(r, FLOORS)

    engine = constants.current()
    inputs = racks.RackInputs(
        db.read_tables(("accelerators", "llm_models", "systems", "workloads")),
        stack_efficiency(engine.efficiency, stack), engine.maturity, load(),
    )  # fmt: skip
    matrix, _ = racks.rack_matrix(
        inputs, [system_id], [cfg["in_scope_model"]], [cfg["in_scope_weights"]], ["isl32768-osl1024"], FLOORS
    )
    assert matrix.height == len(FLOORS)
    for floor, point, (mw, _) in zip(FLOORS, points, per_mw, strict=True):
        row = matrix.filter(matrix["speed_floor_tokens_per_s"] == floor).row(0, named=True)
        assert row["rack_tokens_per_s"] is not None  # served at both floors: the comparison is not NaN == NaN
        assert point["rack_tokens_per_s"] == pytest.approx(row["rack_tokens_per_s"], rel=1e-12)
        assert point["requests"] == pytest.approx(row["requests_in_flight"], rel=1e-12)
        assert mw == pytest.approx(row["tokens_per_s_per_mw"], rel=1e-12)


def test_kw_per_gpu_is_the_racks_power_over_its_accelerators(tables):
    r = gpu_rack.rack(tables, "nvidia_gb200", settings(), 8192.0)
    assert r.gpus == 72 and r.kw_per_gpu == pytest.approx(120.0 / 72)  # GB200 NVL72: 120 kW in systems


def test_rack_system_refuses_a_chip_without_a_rack(tables):
    with pytest.raises(ValueError, match="scale-up domain"):
        gpu_rack.rack_system(tables.systems, "nvidia_b300")  # its HGX row has no rack power


@pytest.mark.parametrize("stack", ["calibrated", "lean"])
def test_single_request_speed_is_the_fastest_any_rack_point_reaches(tables, stack):
    r = gpu_rack.rack(tables, "nvidia_gb200", settings(), 131072.0, stack)
    fastest = gpu_rack.single_request_speed(r)
    assert math.isfinite(fastest) and fastest > 0
    just_below, just_above = gpu_rack.best_points(r, [fastest * (1 - 1e-9), fastest * (1 + 1e-6)])
    assert just_below["per_user_tokens_per_s"] >= fastest * (1 - 1e-9)
    assert math.isnan(just_above["rack_tokens_per_s"])  # no point of the rack search is faster
    # one request alone: the fastest group need not be the one with the most tokens/s per GPU
    grid = rack_grid(r.model, r.spec.traffic(), [0.0], r.stack, r.weight_bytes, r.kv_bytes)
    assert grid["per_user_tokens_per_s"][0, 0, 0, 0] < fastest


def test_lean_stack_is_faster_than_the_calibrated_one(tables):
    speeds = [gpu_rack.single_request_speed(gpu_rack.rack(tables, "nvidia_rubin", settings(), 131072.0, s))
              for s in ("calibrated", "lean")]  # fmt: skip
    assert speeds[1] > 2 * speeds[0]  # 2 us vs tens of us per layer
    assert np.isfinite(speeds).all()


def test_a_rack_moved_to_another_stack_is_the_rack_built_on_it(tables):
    cfg = settings()
    lean = gpu_rack.rack(tables, "nvidia_gb300", cfg, 8192.0, "lean")
    moved = gpu_rack.rack(tables, "nvidia_gb300", cfg, 8192.0).on_stack("lean")
    assert (
        moved.eff == lean.eff and moved.eff.layer_overhead_s < gpu_rack.engine_efficiency("calibrated").layer_overhead_s
    )
