"""Integration tests on the shipped data (built into a temporary root)."""

import json

from typer.testing import CliRunner

from hbmcycle.hetero.cli import app

runner = CliRunner()


def test_compare_json(use_shipped_db):
    result = runner.invoke(app, ["compare", "--model", "llama-3.3-70b", "--context", "8192", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    options = {p["option"] for p in data["points"]}
    assert {"gpu_only", "gpu_lpx_afd", "sram_only_groq"} <= options
    assert all(p["per_user_tokens_per_s"] > 0 for p in data["points"])


def test_compare_unknown_model(use_shipped_db):
    result = runner.invoke(app, ["compare", "--model", "no-such-model", "--context", "8192"])
    assert result.exit_code == 2
    assert "valid:" in result.output
