"""The refresh pipeline against fixture sources served on loopback (no outside network)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import shutil
import threading

import pytest
import yaml

from hbmcycle.data import refresh

from conftest import RAW

DAY = dt.date(2026, 11, 26)


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/remote; yields (folder, base URL)."""
    folder = tmp_path / "remote"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def make_pipeline(server, configs: dict[str, dict]) -> refresh.Pipeline:
    folder, base = server
    for key, doc in configs.items():
        (folder / f"{key}.json").write_text(json.dumps(doc))
    return refresh.Pipeline(
        id="fixture_configs",
        title="fixture",
        table="llm_models",
        key="model_id",
        url_template=base + "/{model_id}.json",
        items=tuple({"model_id": k} for k in [*configs, "missing-model"]),
        fields={
            "layers": ["num_hidden_layers"],
            "kv_heads": ["num_key_value_heads", "text_config.num_key_value_heads"],
        },
    )


def copy_models(project):
    for suffix in ("csv", "yaml"):
        shutil.copy(RAW / f"llm_models.{suffix}", project / "data" / "raw" / f"llm_models.{suffix}")
    return project / "data" / "raw" / "llm_models.csv"


def test_refresh_snapshots_diffs_validates_and_applies(project, server):
    csv_path = copy_models(project)
    pipeline = make_pipeline(server, {"llama-3.1-8b": {"num_hidden_layers": 33, "num_key_value_heads": 8}})
    outcome = refresh.run(pipeline, today=DAY)

    assert [(c.key, c.column, c.old, c.new) for c in outcome.changes] == [("llama-3.1-8b", "layers", "32", "33")]
    assert outcome.applied and not outcome.problems
    assert any("missing-model" in f for f in outcome.failures)
    text = csv_path.read_text()
    row = next(line for line in text.splitlines() if line.startswith("llama-3.1-8b,"))
    assert ",33," in row and "refreshed 2026-11-26: layers 32 -> 33" in row and "fixture_configs" in row
    manifest = json.loads((outcome.vintage / "manifest.json").read_text())
    assert manifest["items"][0]["sha256"] and (outcome.vintage / "llama-3.1-8b.json").exists()


def test_second_run_keeps_first_vintage(project, server):
    copy_models(project)
    pipeline = make_pipeline(server, {"llama-3.1-8b": {"num_hidden_layers": 32}})
    first = refresh.run(pipeline, today=DAY)
    second = refresh.run(pipeline, today=DAY)
    assert first.vintage != second.vintage and first.vintage.exists() and second.vintage.exists()
    assert (first.vintage / "llama-3.1-8b.json").exists()
    assert not second.changes  # unchanged upstream -> nothing to apply


def test_invalid_upstream_value_is_not_applied(project, server):
    csv_path = copy_models(project)
    before = csv_path.read_text()
    pipeline = make_pipeline(server, {"llama-3.1-8b": {"num_hidden_layers": 32.5}})
    outcome = refresh.run(pipeline, today=DAY)
    assert outcome.changes and not outcome.applied
    assert any(p.column == "layers" and "not an integer" in p.message for p in outcome.problems)
    assert csv_path.read_text() == before


def test_dry_run_changes_nothing(project, server):
    csv_path = copy_models(project)
    before = csv_path.read_text()
    outcome = refresh.run(make_pipeline(server, {"llama-3.1-8b": {"num_hidden_layers": 40}}), apply=False, today=DAY)
    assert outcome.changes and not outcome.applied and csv_path.read_text() == before


def test_shipped_pipelines_map_to_real_columns_and_keys():
    for pipeline in refresh.pipelines(RAW.parents[1] / "pipelines"):
        sidecar = yaml.safe_load((RAW / f"{pipeline.table}.yaml").read_text())
        assert set(pipeline.fields) <= set(sidecar["columns"]), pipeline.id
        keys = {line.split(",", 1)[0] for line in (RAW / f"{pipeline.table}.csv").read_text().splitlines()[1:]}
        assert {item[pipeline.key] for item in pipeline.items} <= keys


def test_offline_run_leaves_no_vintage_and_no_change(project, server):
    csv_path = copy_models(project)
    before = csv_path.read_text()
    _, _base = server
    pipeline = refresh.Pipeline(
        "down",
        "down",
        "llm_models",
        "model_id",
        "http://127.0.0.1:9/{model_id}.json",
        ({"model_id": "llama-3.1-8b"},),
        {"layers": ["num_hidden_layers"]},
    )
    outcome = refresh.run(pipeline, today=DAY)
    assert outcome.vintage is None and outcome.failures and csv_path.read_text() == before
    assert not (project / "data" / "raw" / "vintages" / "down").exists() or not any(
        (project / "data" / "raw" / "vintages" / "down").iterdir()
    )
