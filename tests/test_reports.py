"""Notebooks execute through papermill with non-default parameters and render offline."""

from __future__ import annotations

import re

import pytest

from hbmcycle import report

EXTERNAL_SCRIPT = re.compile(r"<script[^>]+src=[\"']?https?://", re.I)
EXTERNAL_IMPORT = re.compile(r"import\s*\(\s*[\"']https?://|<link[^>]+href=[\"']https?://[^\"']+\.(css|js)", re.I)


def assert_offline(html: str) -> None:
    assert not EXTERNAL_SCRIPT.search(html), "report loads a script from the network"
    assert not EXTERNAL_IMPORT.search(html), "report imports code or styles from the network"


def test_offline_check_catches_a_cdn_script():
    with pytest.raises(AssertionError):
        assert_offline('<html><script src="https://cdn.jsdelivr.net/npm/vega@5"></script></html>')


def test_atlas_renders_offline_with_parameters(use_shipped_db, tmp_path):
    notebook = next(n for n in report.notebooks() if n.stem == "data_atlas")
    html_path = report.render(
        notebook, {"min_year": 2022, "vendors": ["NVIDIA", "AMD"], "label_points": "none"}, out_dir=tmp_path
    )
    html = html_path.read_text(encoding="utf-8")
    assert_offline(html)
    assert html.count("image/svg+xml") >= 2  # both charts inline
    assert "min_year = 2022" in (tmp_path / "_build" / "data_atlas.ipynb").read_text()  # parameters injected
    assert "H100" in html and "MI300X" in html and "A100" not in html.split("Data atlas", 1)[1].split("sources", 1)[0]


def test_failed_notebook_keeps_previous_report(use_shipped_db, tmp_path):
    notebook = next(n for n in report.notebooks() if n.stem == "data_atlas")
    previous = tmp_path / "data_atlas.html"
    previous.write_text("previous report")
    with pytest.raises(report.ReportError, match="previous report left intact"):
        report.render(notebook, {"statuses": "not-a-list-so-filter-fails", "min_year": "nonsense"}, out_dir=tmp_path)
    assert previous.read_text() == "previous report"


def test_parameters_parse_yaml_scalars():
    assert report.parse_parameters(["a=1", "b=2.5", "c=[x, y]", "d=true"]) == {
        "a": 1,
        "b": 2.5,
        "c": ["x", "y"],
        "d": True,
    }
    with pytest.raises(report.ReportError):
        report.parse_parameters(["novalue"])
