import json

import numpy as np
import polars as pl
import pytest

from hbmcycle.inference import calibration
from hbmcycle.inference.step_time import Efficiency

from inference_toys import accelerators, models, toy_measurements


def test_fit_reproduces_measurements_generated_by_the_model():
    frame = toy_measurements()
    inputs = calibration.Inputs(frame, models(), accelerators())
    everything = np.ones(frame.height, dtype=bool)
    fitted = calibration.fit(inputs, everything)
    predicted = inputs.predict(fitted)[0]
    np.testing.assert_allclose(predicted, inputs.measured, rtol=2e-3)


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
