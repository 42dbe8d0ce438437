"""`make refresh` as the scheduled workflow runs it, against the loopback fixtures and offline."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from refresh_server import FIXTURES, REPO, Server, make_tree, snapshot
from typer.testing import CliRunner

from hbmcycle.cli import app

WORKFLOW = REPO / ".github" / "workflows" / "refresh.yml"
TABLES = ["accelerators", "llm_models", "inference_benchmarks", "dram_market", "rental_prices"]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def workflow_command() -> str:
    doc = yaml.safe_load(WORKFLOW.read_text())
    steps = doc["jobs"]["refresh"]["steps"]
    return next(s["run"] for s in steps if "refresh" in s.get("id", ""))


def test_workflow_is_quarterly_and_runs_make_refresh():
    doc = yaml.safe_load(WORKFLOW.read_text())
    [schedule] = doc[True]["schedule"]  # YAML reads the key `on` as True
    _minute, _hour, day, months, weekday = schedule["cron"].split()
    assert months == "1,4,7,10" and day.isdigit() and weekday == "*"
    assert workflow_command().startswith("make refresh")
    uses = [s.get("uses", "") for s in doc["jobs"]["refresh"]["steps"]]
    assert any(u.startswith("peter-evans/create-pull-request") for u in uses)


def make_refresh(root: Path, mirror: str) -> subprocess.CompletedProcess:
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(REPO / name, root / name)
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "HBMCYCLE_ROOT": str(root), "HBMCYCLE_REFRESH_MIRROR": mirror}
    command = ["make", "-s", "refresh", f"BIN={venv_bin}", f"STAMP={REPO / '.venv' / '.installed'}"]
    if not (REPO / ".venv" / ".installed").exists():
        pytest.skip("needs the project environment made by `make install`")
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_make_refresh_applies_a_change_to_every_target_table(tmp_path):
    root = make_tree(tmp_path / "project")
    remote = tmp_path / "remote"
    shutil.copytree(FIXTURES, remote)
    hf = remote / "huggingface.co/Qwen/Qwen3-32B/raw/main/config.json"
    hf.write_text(hf.read_text().replace('"vocab_size": 151936', '"vocab_size": 152064'))
    epoch = remote / "epoch.ai/data/ml_hardware.csv"
    epoch.write_text(epoch.read_text().replace("1.836e+15,3.2e+10,1.64e+12,,", "1.836e+15,3.2e+10,1.64e+12,290,"))
    before = {t: (root / "data/raw" / f"{t}.csv").read_bytes() for t in TABLES}
    with Server(remote) as server:
        result = make_refresh(root, server.base)
    assert result.returncode == 0, result.stdout + result.stderr
    changed = [t for t in TABLES if (root / "data/raw" / f"{t}.csv").read_bytes() != before[t]]
    assert changed == TABLES, result.stdout
    assert sorted(p.name for p in (root / "data/raw/vintages").iterdir()) == sorted(
        [
            "gpu_decode_harness",
            "azure_gpu_prices",
            "epoch_ml_hardware",
            "hf_model_configs",
            "mlperf_inference",
            "sec_micron_capex",
        ]
    )
    assert (root / "CHANGELOG.md").read_text().count("\n## 2") == len(TABLES)  # one entry per applied vintage


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_offline_make_refresh_names_every_source_and_changes_nothing(tmp_path):
    root = make_tree(tmp_path / "project")
    before = snapshot(root / "data")
    result = make_refresh(root, f"http://127.0.0.1:{closed_port()}")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    for pipeline_id in (
        "azure_gpu_prices",
        "epoch_ml_hardware",
        "hf_model_configs",
        "mlperf_inference",
        "sec_micron_capex",
    ):
        assert f"error: {pipeline_id}:" in result.stderr
    assert "unreachable" in result.stderr
    assert snapshot(root / "data") == before and not (root / "CHANGELOG.md").exists()


def test_cli_offline_exit_1_and_unknown_pipeline_exit_2(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "project")
    monkeypatch.setenv("HBMCYCLE_ROOT", str(root))
    monkeypatch.setenv("HBMCYCLE_REFRESH_MIRROR", f"http://127.0.0.1:{closed_port()}")
    runner = CliRunner()
    offline = runner.invoke(app, ["data", "refresh", "--pipeline", "sec_micron_capex"])
    assert offline.exit_code == 1 and "sec_micron_capex" in offline.output
    unknown = runner.invoke(app, ["data", "refresh", "--pipeline", "nope"])
    assert unknown.exit_code == 2 and unknown.output.startswith("error: unknown pipeline nope; known: ")
    (root / "pipelines" / "bad.yaml").write_text("id: bad\nitems: [{key: ../x, url: http://x}]\n")
    bad = runner.invoke(app, ["data", "refresh"])
    assert bad.exit_code == 2 and bad.output.startswith("error: pipeline file bad.yaml:")
