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


def test_claims_all_have_verdicts(use_shipped_db):
    from dataclasses import replace

    from hbmcycle.hetero import claims, disaggregation
    from hbmcycle.hetero.scenario import Choice, load_scenario, read_tables

    tables = read_tables()
    choice = Choice()
    s = load_scenario(choice, tables)
    draft = load_scenario(replace(choice, model="llama-3.1-8b"), tables)
    points, _ = disaggregation.all_points(s)
    table = claims.all_claims(s, draft, tables, points, [100.0, 400.0])
    assert set(table["verdict"]) <= set(claims.VERDICTS)
    assert table["claim_id"].n_unique() == table.height >= 12
