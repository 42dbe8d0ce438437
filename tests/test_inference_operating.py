"""Shared engine queries: operating points and local elasticities, computed in one vectorised pass.

`local_elasticities` and `modelled_throughput` put every hardware variant and speed target
through the engine together; these tests hold them to their definitions, one `operating_points`
call per variant and target, on the shipped accelerators (mixed memory, precisions, domains).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from hbmcycle.data import db
from hbmcycle.inference import constants
from hbmcycle.inference.operating import Workload, local_elasticities, modelled_throughput, operating_points, prepare

pytestmark = pytest.mark.usefixtures("use_shipped_db")
TARGETS = (None, 10.0, 50.0, 70.0, 400.0)


@pytest.fixture
def engine():
    tables = db.read_tables(("accelerators", "llm_models"))
    workload = Workload(model_id="llama-3.1-70b", context=8192.0, weights="fp8", kv="fp8")
    return (
        tables,
        workload,
        prepare(tables["accelerators"], tables["llm_models"], workload),
        constants.current().efficiency,
    )


def _one_by_one(args, target, eff, step=0.1):
    model, hw, wb, kvb, context = args

    def throughput(**scaled):
        bumped = replace(hw, **{k: getattr(hw, k) * v for k, v in scaled.items()})
        return operating_points(
            model, bumped, wb, kvb, context, target, (1.0, 2.0, 4.0, 8.0), eff
        ).throughput_per_accelerator

    up, down = math.exp(step), math.exp(-step)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_size = (np.log(throughput(memory_bytes=up)) - np.log(throughput(memory_bytes=down))) / (2 * step)
        e_bw = (np.log(throughput(bandwidth_bytes_s=up)) - np.log(throughput(bandwidth_bytes_s=down))) / (2 * step)
    return e_size, e_bw


@pytest.mark.parametrize("target", TARGETS)
def test_local_elasticities_are_the_central_differences_of_operating_points(engine, target):
    _, workload, (model, hw, wb, kvb, _), eff = engine
    args = (model, hw, wb, kvb, workload.context)
    e_size, e_bw = local_elasticities(*args, target, (1.0, 2.0, 4.0, 8.0), eff, step=0.1)
    want_size, want_bw = _one_by_one(args, target, eff)
    assert np.isfinite(want_size).sum() >= (0 if target == 400.0 else 10)  # 400 tok/s/user: infeasible everywhere
    np.testing.assert_allclose(e_size, want_size, rtol=1e-12, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(e_bw, want_bw, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_modelled_throughput_rows_are_the_operating_points_of_each_target(engine):
    tables, workload, (model, hw, wb, kvb, _), eff = engine
    table = modelled_throughput(tables["accelerators"], tables["llm_models"], workload, TARGETS, eff)
    assert table.height == len(TARGETS) * len(hw)
    for i, target in enumerate(TARGETS):
        rows = table.slice(i * len(hw), len(hw))
        points = operating_points(model, hw, wb, kvb, workload.context, target, workload.group_sizes, eff)
        assert rows["accelerator_id"].to_list() == list(hw.accelerator_id)
        assert rows["regime"].to_list() == list(points.regime)
        for column in ("throughput_per_accelerator", "batch", "group_size", "max_batch"):
            got = rows[column].fill_null(float("nan")).to_numpy()
            np.testing.assert_allclose(got, getattr(points, column), rtol=1e-12, equal_nan=True)
        e_size, e_bw = local_elasticities(model, hw, wb, kvb, workload.context, target, workload.group_sizes, eff)
        np.testing.assert_allclose(
            rows["e_size"].fill_null(float("nan")).to_numpy(), e_size, rtol=1e-12, equal_nan=True
        )
        np.testing.assert_allclose(rows["e_bw"].fill_null(float("nan")).to_numpy(), e_bw, rtol=1e-12, equal_nan=True)
