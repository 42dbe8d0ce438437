"""The data that ships in data/raw passes every check and builds a usable database."""

from __future__ import annotations

import duckdb
import polars as pl

from hbmcycle.data import db
from hbmcycle.data.schema import discover, load_meta
from hbmcycle.data.validate import load_all

from conftest import RAW


def test_shipped_data_passes_every_check():
    tables, problems = load_all(RAW)
    assert not problems, "\n".join(map(str, problems))
    assert "accelerators" in tables


def test_accelerators_cover_the_products_the_analysis_needs():
    tables, _ = load_all(RAW, only=["accelerators"])
    acc = tables["accelerators"].frame
    assert acc.height >= 40
    needed = {
        "nvidia_a100_40gb_sxm",
        "nvidia_a100_80gb_sxm",
        "nvidia_h100_sxm",
        "nvidia_h200",
        "nvidia_b200",
        "nvidia_gb200",
        "nvidia_b300",
        "nvidia_gb300",
        "nvidia_rubin",
        "nvidia_rubin_ultra",
        "amd_mi300x",
        "amd_mi325x",
        "amd_mi355x",
        "google_tpu_v7",
        "cerebras_wse3",
        "groq_lpu_v1",
    }
    assert needed <= set(acc["accelerator_id"])


def test_every_table_documents_every_column_and_cites_sources():
    for sidecar in discover(RAW):
        meta = load_meta(sidecar)
        assert meta.sources, f"{sidecar.name} lists no sources"
        undocumented = [c.name for c in meta.columns if not c.description]
        assert not undocumented, f"{sidecar.name}: columns without description: {undocumented}"


def test_database_has_tables_views_and_catalog(use_shipped_db):
    catalog = db.tables()
    assert set(catalog["table_name"]) >= {"accelerators", "hbm_generations"}
    metrics = db.read_table("accelerator_metrics")
    h100 = metrics.filter(pl.col("accelerator_id") == "nvidia_h100_sxm").row(0, named=True)
    assert abs(h100["hbm_size_x_bw_gib_tb_s"] - h100["memory_gib"] * h100["memory_bw_tb_s"]) < 1e-9
    sources = db.read_table("sources")
    for url in sources["url"]:  # a web address, or a committed file for the project's own measurements
        assert url.startswith(("http://", "https://")) or (RAW.parents[1] / url).exists(), url


def test_parquet_copies_match_tables(use_shipped_db):
    parquet = use_shipped_db / "data" / "processed" / "parquet" / "accelerators.parquet"
    assert pl.read_parquet(parquet).equals(db.read_table("accelerators"))


def test_readers_are_not_blocked_by_a_rebuild(use_shipped_db):
    """A read-only connection held open survives a rebuild swapping the file."""
    from hbmcycle.data.build import build

    path = use_shipped_db / "data" / "processed" / "hbmcycle.duckdb"
    with duckdb.connect(str(path), read_only=True) as reader:
        before = reader.execute("SELECT count(*) FROM accelerators").fetchone()[0]
        build(raw=use_shipped_db / "data" / "raw", db=path, parquet=path.parent / "parquet")
        assert reader.execute("SELECT count(*) FROM accelerators").fetchone()[0] == before


def test_dram_market_forecasts_are_never_actual_rows():
    """kind and is_forecast agree, and a row whose notes open with 'forecast:' is a forecast row."""
    tables, _ = load_all(RAW)
    m = tables["dram_market"].frame
    assert m.filter((pl.col("kind") == "forecast") != pl.col("is_forecast")).height == 0
    assert m.filter(pl.col("notes").str.starts_with("forecast:") & (pl.col("kind") != "forecast")).height == 0
