"""Refresh failure modes (hardening issue items 3, 4 and 7), each against a loopback server.

Unsafe keys, cross-host redirects, oversized and dripping bodies, short bodies, deep
JSON, bodies without the mapped fields, a BOM in the CSV, and an apply on the real tree
that must keep every untouched byte, the line endings and the file mode.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest
from refresh_server import Server, body, drip, make_tree, redirect, short_body, snapshot

from hbmcycle.data import refresh

DAY = dt.date(2026, 11, 26)
CONFIG = {"num_hidden_layers": 33, "num_key_value_heads": 8, "vocab_size": 128256}


@pytest.fixture
def env(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "project")
    remote = tmp_path / "remote"
    remote.mkdir()
    monkeypatch.setenv("HBMCYCLE_ROOT", str(root))
    monkeypatch.delenv("HBMCYCLE_REFRESH_MIRROR", raising=False)
    with Server(remote) as server:
        yield root, remote, server


def pipeline(base: str, keys=("llama-3.1-8b",), **extra) -> refresh.Pipeline:
    doc = {
        "id": "fixture_configs",
        "title": "fixture",
        "table": "llm_models",
        "source_id": "hf_model_configs",
        "owns_sources": ["hf_*"],
        "url_template": base + "/{key}.json",
        "items": [{"key": k} for k in keys],
        "match": ["model_id"],
        "required_fields": ["num_hidden_layers"],
        "columns": {"model_id": {"from": "_item"}, "layers": "num_hidden_layers", "kv_heads": "num_key_value_heads"},
        "default_rule": "update",
        "new_rows": "ignore",
        **extra,
    }
    return refresh.Pipeline.from_dict(doc)


def vintages(root):
    folder = root / "data" / "raw" / "vintages" / "fixture_configs"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("key", ["../escape", "a/b", "..", "/etc/passwd", "x\\y", ".hidden", ""])
def test_unsafe_item_keys_are_refused_at_load(key):
    with pytest.raises(ValueError, match="unsafe item key"):
        pipeline("http://127.0.0.1:9", keys=(key,))


def test_cross_host_redirect_is_refused_and_nothing_is_kept(env):
    root, _, server = env
    server.routes["/llama-3.1-8b.json"] = redirect(f"http://localhost:{server.port}/elsewhere.json")
    before = snapshot(root / "data" / "raw")
    outcome = refresh.run(pipeline(server.base), today=DAY)
    assert "redirect to another host refused" in outcome.failures[0]
    assert "/elsewhere.json" not in server.hits and vintages(root) == []
    assert snapshot(root / "data" / "raw") == before


def test_same_host_redirect_is_followed_and_the_final_url_recorded(env):
    _root, remote, server = env
    (remote / "moved.json").write_text(json.dumps(CONFIG))
    server.routes["/llama-3.1-8b.json"] = redirect("/moved.json")
    outcome = refresh.run(pipeline(server.base), today=DAY)
    assert outcome.applied and not outcome.failures
    [item] = json.loads((outcome.vintage / "manifest.json").read_text())["items"]
    assert item["url"].endswith("/llama-3.1-8b.json") and item["final_url"] == f"{server.base}/moved.json"


def test_body_over_the_cap_is_refused(env):
    root, remote, server = env
    (remote / "llama-3.1-8b.json").write_text(json.dumps({**CONFIG, "pad": "x" * 5000}))
    outcome = refresh.run(pipeline(server.base, limits={"max_bytes": 1000}), today=DAY)
    assert "exceeds the cap of 1000 bytes" in outcome.failures[0] and vintages(root) == []


def test_a_dripping_server_is_cut_off_at_the_item_deadline(env):
    root, _, server = env
    server.routes["/llama-3.1-8b.json"] = drip(every_s=0.2, total=100)
    start = time.monotonic()
    outcome = refresh.run(pipeline(server.base, limits={"item_s": 1.0}), today=DAY)
    assert time.monotonic() - start < 4
    assert "item deadline of 1 s passed" in outcome.failures[0] and vintages(root) == []


def test_the_whole_run_deadline_bounds_every_item(env):
    _root, _, server = env
    keys = ("llama-3.1-8b", "llama-3.1-70b", "llama-2-70b", "qwen3-32b")
    for key in keys:
        server.routes[f"/{key}.json"] = drip(every_s=0.2, total=100)
    start = time.monotonic()
    outcome = refresh.run(pipeline(server.base, keys=keys, limits={"item_s": 30}), deadline=refresh.Deadline(1.5))
    assert time.monotonic() - start < 5
    assert len(outcome.failures) == 4 and any("whole-run deadline" in f for f in outcome.failures)


def test_a_short_body_is_a_failure(env):
    root, _, server = env
    server.routes["/llama-3.1-8b.json"] = short_body(500, b'{"num_hidden_layers": 3')
    outcome = refresh.run(pipeline(server.base), today=DAY)
    assert outcome.failures and vintages(root) == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"[]", "expected a JSON object, got list"),
        (b'{"error": "rate limited"}', "field 'num_hidden_layers' is missing"),
        (b"<html>Service unavailable</html>", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_bodies_without_the_mapped_fields_are_errors_not_no_changes(env, payload, message):
    root, _, server = env
    server.routes["/llama-3.1-8b.json"] = body(payload)
    outcome = refresh.run(pipeline(server.base), today=DAY)
    assert message in outcome.failures[0] and "pipeline fixture_configs" in outcome.failures[0]
    assert outcome.vintage is None and vintages(root) == []


def test_apply_on_the_real_tree_keeps_untouched_bytes_line_endings_and_mode(env):
    """One changed field in CRLF, BOM-prefixed llm_models.csv with mode 0640: only that row's line changes."""
    root, remote, server = env
    csv_path = root / "data" / "raw" / "llm_models.csv"
    original = csv_path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    csv_path.write_bytes(b"\xef\xbb\xbf" + original)
    os.chmod(csv_path, 0o640)
    before = csv_path.read_bytes().split(b"\r\n")
    (remote / "llama-3.1-8b.json").write_text(json.dumps(CONFIG))
    outcome = refresh.run(pipeline(server.base), today=DAY)
    assert outcome.applied, outcome.problems
    after = csv_path.read_bytes().split(b"\r\n")
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert after[changed[0]].startswith(b"llama-3.1-8b,") and b",33," in after[changed[0]]
    assert after[0].startswith(b"\xef\xbb\xbf") and (os.stat(csv_path).st_mode & 0o777) == 0o640
    assert b"\n" not in csv_path.read_bytes().replace(b"\r\n", b"")  # no bare LF introduced


def test_a_change_that_fails_validation_is_not_written(env):
    root, remote, server = env
    csv_path = root / "data" / "raw" / "llm_models.csv"
    before = csv_path.read_bytes()
    (remote / "llama-3.1-8b.json").write_text(json.dumps({**CONFIG, "num_hidden_layers": 32.5}))
    outcome = refresh.run(pipeline(server.base), today=DAY)
    assert outcome.changes and not outcome.applied
    assert any(p.column == "layers" for p in outcome.problems)
    assert csv_path.read_bytes() == before and not (outcome.vintage / "changes.json").exists()
    assert not list((root / "data").glob(".refresh-*"))  # the staged copy is cleaned up


def test_second_run_keeps_the_first_vintage(env):
    _root, remote, server = env
    (remote / "llama-3.1-8b.json").write_text(json.dumps(CONFIG))
    first = refresh.run(pipeline(server.base), today=DAY)
    second = refresh.run(pipeline(server.base), today=DAY)
    assert first.vintage != second.vintage and first.vintage.exists() and second.vintage.exists()
    assert first.applied and not second.changes  # already applied: nothing left to do
