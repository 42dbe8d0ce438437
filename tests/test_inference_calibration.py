import json

import numpy as np
import polars as pl
import pytest

from hbmcycle.inference import calibration
from hbmcycle.inference.step_time import Efficiency

from inference_toys import TRUE, accelerators, models, toy_measurements


def test_engine_agrees_with_the_independent_oracle():
    """The vectorised engine and a scalar re-statement of its documented equations give the same figures."""
    frame = toy_measurements()
    inputs = calibration.Inputs(frame, models(), accelerators())
    np.testing.assert_allclose(inputs.predict(TRUE)[0], inputs.measured, rtol=1e-9)


def test_fit_recovers_the_efficiencies_behind_oracle_measurements():
    frame = toy_measurements()
    inputs = calibration.Inputs(frame, models(), accelerators())
    fitted = calibration.fit(inputs, np.ones(frame.height, dtype=bool))
    np.testing.assert_allclose(inputs.predict(fitted)[0], inputs.measured, rtol=2e-3)
    # The parameters the rows identify come back (starting from the defaults, not from TRUE) ...
    for name in (
        "bandwidth",
        "kv_bandwidth",
        "compute",
        "prefill_compute",
        "sequence_overhead_s",
        "allreduce_latency_s",
    ):
        assert getattr(fitted, name) == pytest.approx(getattr(TRUE, name), rel=0.01), name
    # ... and the per-step and per-layer overheads only as the sum the rows see (every toy model has 10 layers).
    fixed = fitted.step_overhead_s + 10 * fitted.layer_overhead_s
    assert fixed == pytest.approx(TRUE.step_overhead_s + 10 * TRUE.layer_overhead_s, rel=0.01)


def test_holdout_split_is_deterministic_and_near_the_fraction():
    ids = [f"row{i}" for i in range(2000)]
    first = [calibration.is_held_out(i) for i in ids]
    assert first == [calibration.is_held_out(i) for i in ids]
    assert 0.25 < np.mean(first) < 0.35


def test_calibration_record_and_validation_table():
    record = calibration.calibrate(toy_measurements(), models(), accelerators())
    table = pl.DataFrame(record["validation"])
    assert set(table["split"]) == {"fit", "held_out"}
    assert table["error"].abs().max() < 0.01
    summary = {row["split"]: row for row in record["summary"]}
    assert summary["all"]["rows"] == table.height
    assert json.loads(json.dumps(record, default=str))["parameters"] == record["parameters"]


def test_measurements_naming_unknown_rows_are_rejected():
    frame = toy_measurements().with_columns(model_id=pl.lit("no-such-model"))
    with pytest.raises(ValueError, match="no-such-model"):
        calibration.Inputs(frame, models(), accelerators())


def test_parameters_at_bounds_are_flagged():
    assert calibration.parameters_at_bounds(Efficiency(bandwidth=0.9, compute=0.5)) == ["bandwidth"]
