"""`hbmcycle claims`: bad input, JSON records on a fresh clone, and one row per seed claim."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from hbmcycle import verdicts as v
from hbmcycle.cli import app

runner = CliRunner()


def test_unknown_post_is_one_line_exit_2():
    result = runner.invoke(app, ["claims", "--post", "nope"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: unknown post 'nope'; valid choices: hbm_thesis, heterogeneous_inference, gtc2026_review"
    ]


def test_json_on_a_fresh_clone_builds_the_database(project):
    from conftest import RAW

    shutil.copytree(RAW, project / "data" / "raw", dirs_exist_ok=True)
    assert not (project / "data" / "processed" / "hbmcycle.duckdb").exists()
    result = runner.invoke(app, ["claims", "--post", "hbm_thesis", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    seeds = [line.split(",", 2)[:2] for line in (RAW / "seed_claims.csv").read_text(encoding="utf-8").splitlines()[1:]]
    thesis_ids = {cid for cid, post in seeds if post == "hbm_thesis"}
    assert {r["id"] for r in records} == thesis_ids and len(records) == len(thesis_ids)
    for r in records:
        assert {"id", "claim", "post", "verdict", "scope", "evidence", "would_change", "evidence_kind"} <= set(r)
        assert r["verdict"] in v.VERDICTS and r["post"] == "hbm_thesis"
    law = next(r for r in records if r["id"] == "throughput_eq_size_x_bw")
    assert law["evidence_kind"] == "measured" and "MEASURED" in law["evidence"]


def test_unjudged_claims_still_get_a_row(use_shipped_db):
    from hbmcycle.claims.registry import POSTS, assemble
    from hbmcycle.claims.seed import seeds
    from hbmcycle.data import db

    rows = seeds(db.read_table("seed_claims"))
    claims, flips = assemble(rows, [], POSTS)
    assert claims.height == len(rows) and flips.is_empty()
    assert set(claims["verdict"]) == {v.UNCHECKABLE}
