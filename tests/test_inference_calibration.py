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


def test_calibration_record_and_validation_table(tmp_path):
    record = calibration.calibrate(toy_measurements(), models(), accelerators())
    table = pl.DataFrame(record["validation"])
    assert set(table["split"]) == {"fit", "held_out"}
    assert table["error"].abs().max() < 0.01
    summary = {row["split"]: row for row in record["summary"]}
    assert summary["all"]["rows"] == table.height
    path = tmp_path / "calibration.json"
    calibration.write_calibration(record, path)
    eff, provenance = calibration.load_efficiency(path)
    assert eff.bandwidth == pytest.approx(record["parameters"]["bandwidth"])
    assert "calibrated" in provenance
    assert json.loads(path.read_text())["data"][0]["measurement_id"] == toy_measurements()["measurement_id"][0]


def test_defaults_without_a_calibration_file(tmp_path):
    eff, provenance = calibration.load_efficiency(tmp_path / "missing.json")
    assert eff == Efficiency() and "uncalibrated" in provenance


def test_measurements_naming_unknown_rows_are_rejected():
    frame = toy_measurements().with_columns(model_id=pl.lit("no-such-model"))
    with pytest.raises(ValueError, match="no-such-model"):
        calibration.Inputs(frame, models(), accelerators())


def test_saved_calibration_is_used_only_for_the_same_measurements(tmp_path):
    frame = toy_measurements()
    path = tmp_path / "calibration.json"
    record = calibration.calibrate(frame, models(), accelerators())
    calibration.write_calibration(record, path)
    assert calibration.current_calibration(path, frame, models(), accelerators())["created"] == record["created"]
    changed = frame.with_columns(tokens_per_s=pl.col("tokens_per_s") * 1.1)
    fresh = calibration.current_calibration(path, changed, models(), accelerators())
    assert "other measurements" in fresh["method"]


def test_parameters_at_bounds_are_flagged():
    assert calibration.parameters_at_bounds(Efficiency(bandwidth=0.9, compute=0.5)) == ["bandwidth"]
