"""One source of engine constants: the calibration is fitted once per input state, saved atomically, reused."""

from __future__ import annotations

import json

import polars as pl
import pytest

from hbmcycle.inference import constants
from hbmcycle.inference.step_time import Efficiency

from inference_toys import accelerators, models, toy_measurements


@pytest.fixture
def toy(project):
    return {"decode_measurements": toy_measurements(), "llm_models": models(), "accelerators": accelerators()}


def test_first_call_fits_and_saves_then_reuses(toy, project):
    first = constants.current(toy)
    path = project / "data" / "processed" / "calibration.json"
    assert json.loads(path.read_text())["inputs_sha256"] == first.inputs_sha256
    again = constants.current(toy)
    assert again.fitted_at == first.fitted_at and again.efficiency == first.efficiency
    assert first.efficiency != Efficiency()  # fitted, not the defaults
    assert first.inputs_sha256[:12] in first.label


def test_changed_measurements_refit(toy):
    first = constants.current(toy)
    toy["decode_measurements"] = toy["decode_measurements"].with_columns(pl.col("tokens_per_s") * 1.2)
    second = constants.current(toy)
    assert second.inputs_sha256 != first.inputs_sha256
    assert second.efficiency != first.efficiency


@pytest.mark.parametrize("content", ["", '{"parameters": ', "[1, 2]", '{"created": "x"}'])
def test_truncated_or_foreign_file_is_refitted_not_a_crash(toy, project, content):
    path = project / "data" / "processed" / "calibration.json"
    path.write_text(content)
    fitted = constants.current(toy)
    assert json.loads(path.read_text())["inputs_sha256"] == fitted.inputs_sha256


def test_no_temporary_files_are_left(toy, project):
    constants.current(toy)
    assert [p.name for p in (project / "data" / "processed").iterdir()] == ["calibration.json"]
