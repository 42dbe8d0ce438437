"""The README states what the code computes: its catalog and accuracy figures are checked, not typed."""

from __future__ import annotations

import re

import polars as pl
import pytest

from hbmcycle.data.coverage import load_coverage, markdown_catalog
from hbmcycle.inference import constants, system_validation

from conftest import RAW, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _percent(pattern: str) -> list[int]:
    found = re.search(pattern, README, flags=re.S)
    assert found, f"README no longer states {pattern!r}"
    return [int(g) for g in found.groups()]


def test_catalog_table_is_the_generated_one():
    cover, titles = load_coverage(RAW)
    assert markdown_catalog(cover, titles).strip() in README, "regenerate: hbmcycle data catalog --markdown"


@pytest.mark.usefixtures("use_shipped_db")
def test_step_level_accuracy_figures_match_the_calibration():
    summary = {row["split"]: row for row in constants.current().record["summary"]}["held_out"]
    median, worst = _percent(r"held-out median ≈ (\d+) %, max ≈ (\d+) %")
    assert (median, worst) == (round(summary["median_abs_error"] * 100), round(summary["max_abs_error"] * 100))


@pytest.mark.usefixtures("use_shipped_db")
def test_system_level_accuracy_figures_match_the_validation():
    table = pl.DataFrame(constants.current().record["system"]["validation"], infer_schema_length=None)
    head = system_validation.headline(table)
    median = _percent(r"median \|error\| (\d+) %, Spearman")[0]
    spearman = float(re.search(r"Spearman\s+(\d\.\d\d)", README).group(1))
    assert median == round(head["median_abs_error"] * 100)
    assert spearman == pytest.approx(head["spearman"], abs=0.005)
    scored = table.filter(pl.col("split") == "validate", pl.col("error").is_not_null())
    all_median, all_max = _percent(r"All validation rows: median \|error\| (\d+) %, max (\d+) %")
    assert all_median == round(scored["error"].abs().median() * 100)
    assert all_max == round(scored["error"].abs().max() * 100)
