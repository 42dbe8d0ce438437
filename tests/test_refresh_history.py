"""Database history: the `vintages` and `refresh_changes` tables, `data show --as-of` and `data diff --since`.

The round trip is the test: a table rebuilt after refreshes, taken back to a date before
them, equals the table built before them (cells, added rows and dropped rows alike).
"""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal
from refresh_server import FIXTURES, Server, make_tree
from typer.testing import CliRunner

from hbmcycle.cli import app
from hbmcycle.data import db, refresh
from hbmcycle.data.build import build
from hbmcycle.data.refresh import history, vintages

runner = CliRunner()
Q3_DAY, Q4_DAY = dt.date(2026, 8, 3), dt.date(2026, 11, 26)
HF_8B = "huggingface.co/NousResearch/Meta-Llama-3.1-8B/raw/main/config.json"
AZURE = "prices.azure.com/api/retail/prices"


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """Build, refresh in 2026Q3 (Azure rows added), refresh in 2026Q4 (a cell changed, a row dropped), rebuild.

    Returns (root, tables before any refresh, tables after the Q3 refresh).
    """
    tmp = tmp_path_factory.mktemp("history")
    root = make_tree(tmp / "project")
    remote = tmp / "remote"
    shutil.copytree(FIXTURES, remote)
    mp = pytest.MonkeyPatch()
    mp.setenv("HBMCYCLE_ROOT", str(root))
    names = ["llm_models", "rental_prices"]
    try:
        with Server(remote) as server:
            mp.setenv("HBMCYCLE_REFRESH_MIRROR", server.base)
            build()
            before = db.read_tables(names)
            pipes = {p.id: p for p in refresh.pipelines()}
            assert refresh.run(pipes["azure_gpu_prices"], today=Q3_DAY).applied
            build()
            after_q3 = db.read_tables(names)
            (remote / HF_8B).write_text(
                (remote / HF_8B).read_text().replace('"num_hidden_layers": 32', '"num_hidden_layers": 33')
            )
            (remote / AZURE).write_text(
                (remote / AZURE).read_text().replace("MI300X", "MI300Y")
            )  # MI300X gone upstream
            azure = yaml.safe_load((root / "pipelines/azure_gpu_prices.yaml").read_text()) | {"removed_rows": "drop"}
            assert refresh.run(pipes["hf_model_configs"], today=Q4_DAY).applied
            assert refresh.run(refresh.Pipeline.from_dict(azure), today=Q4_DAY).applied
            build()
        yield root, before, after_q3
    finally:
        mp.undo()


@pytest.fixture
def at_root(refreshed, monkeypatch):
    monkeypatch.setenv("HBMCYCLE_ROOT", str(refreshed[0]))
    return refreshed


@pytest.mark.parametrize("table", ["llm_models", "rental_prices"])
def test_as_of_a_past_quarter_equals_the_table_built_then(at_root, table):
    _, before, after_q3 = at_root
    now = db.read_table(table)
    assert not now.equals(after_q3[table])  # the Q4 refresh changed it
    assert_frame_equal(history.table_as_of(table, dt.date(2026, 9, 30)), after_q3[table], check_row_order=False)
    assert_frame_equal(history.table_as_of(table, dt.date(2026, 6, 30)), before[table], check_row_order=False)
    assert_frame_equal(history.table_as_of(table, dt.date(2026, 12, 31)), now)


def test_vintages_table_lists_each_refresh(at_root):
    frame = db.read_table("vintages").sort("vintage_date", "pipeline")
    assert frame.select("pipeline", "quarter").rows() == [
        ("azure_gpu_prices", "2026Q3"),
        ("azure_gpu_prices", "2026Q4"),
        ("hf_model_configs", "2026Q4"),
    ]
    assert frame["items_fetched"].to_list() == [1, 1, 14] and (frame["edits"] > 0).all()


def test_diff_since_lists_exactly_the_later_edits(at_root):
    frame = history.changes_since(dt.date(2026, 9, 30))
    kinds = {(r["table_name"], r["kind"], r["column_name"]) for r in frame.iter_rows(named=True)}
    assert ("llm_models", "changed", "layers") in kinds and ("rental_prices", "removed", None) in kinds
    assert not any(k == "added" for _, k, _ in kinds)  # the Q3 additions are not "since Q3"
    result = runner.invoke(app, ["data", "diff", "--since", "2026Q3"])
    assert result.exit_code == 0 and "llama-3.1-8b" in result.output and "layers" in result.output


def test_show_as_of_prints_the_old_value(at_root):
    old = runner.invoke(
        app, ["data", "show", "llm_models", "--as-of", "2026Q3", "--csv", "--columns", "model_id,layers"]
    )
    new = runner.invoke(app, ["data", "show", "llm_models", "--csv", "--columns", "model_id,layers"])
    assert old.exit_code == 0 and "llama-3.1-8b,32" in old.output.splitlines()
    assert "llama-3.1-8b,33" in new.output.splitlines()


@pytest.mark.parametrize(
    "args", [["data", "show", "llm_models", "--as-of", "Q3"], ["data", "diff", "--since", "2026-13-01"]]
)
def test_bad_dates_are_one_line_errors_with_exit_2(at_root, args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.output.startswith("error:") and "2026Q3" in result.output
    assert "Traceback" not in result.output


def test_parse_when_quarter_ends():
    assert [vintages.parse_when(q) for q in ("2026Q1", "2026Q2", "2026Q3", "2026Q4")] == [
        dt.date(2026, 3, 31),
        dt.date(2026, 6, 30),
        dt.date(2026, 9, 30),
        dt.date(2026, 12, 31),
    ]


def test_changelog_has_an_entry_per_applied_vintage(at_root):
    text = (at_root[0] / "CHANGELOG.md").read_text()
    assert text.count("## 2026Q") == 3 and "azure_gpu_prices/2026-08-03" in text
    assert "llama-3.1-8b: layers 32 → 33" in text and "https://huggingface.co/" in text
    assert pl.Series([text.index("2026-11-26"), text.index("2026-08-03")]).is_sorted()  # newest first
