"""The data catalog: coverage per table and its Markdown rendering."""

from __future__ import annotations

import datetime as dt

import polars as pl

from hbmcycle.data.coverage import coverage, load_coverage, markdown_catalog

from conftest import RAW

TABLES = {
    "market": pl.DataFrame(
        {
            "year": [2021, 2019, 2020, 2021],
            "company": ["a", "b", "a", None],
            "source": ["s1", "s1;s2", " s3 ; s1", "https://x.org"],
            "confidence": ["high", "low", "low", "medium"],
        }
    ),
    "prices": pl.DataFrame(
        {
            "date": [dt.date(1997, 12, 15), dt.date(2024, 1, 2)],
            "product": ["ddr4", "ddr4"],
            "source": ["p", "p"],
            "confidence": ["medium", "medium"],
        }
    ),
    "models": pl.DataFrame(
        {"model_id": ["m1"], "as_of": [dt.date(2024, 7, 23)], "source": ["q"], "confidence": ["high"]}
    ),
}


def test_coverage_by_hand():
    cover = coverage(TABLES)
    assert cover["table"].to_list() == ["market", "models", "prices"]
    market = cover.row(0, named=True)
    assert (market["rows"], market["year_column"], market["year_min"], market["year_max"]) == (4, "year", 2019, 2021)
    assert (market["entity_column"], market["entities"]) == ("company", 2)  # null company is not an entity
    assert market["sources"] == 4  # s1, s2, s3 and the URL; ';' lists split and trimmed
    assert (market["high_share"], market["medium_share"], market["low_share"]) == (0.25, 0.25, 0.5)
    prices = cover.row(2, named=True)
    assert (prices["year_column"], prices["year_min"], prices["year_max"]) == ("date", 1997, 2024)
    assert (prices["entities"], prices["sources"], prices["medium_share"]) == (1, 1, 1.0)
    models = cover.row(1, named=True)
    assert (models["year_column"], models["year_min"]) == ("as_of", 2024)  # fallback: publication date


def test_coverage_of_an_empty_table_has_no_shares():
    empty = pl.DataFrame(
        {"year": [], "source": [], "confidence": []},
        schema={"year": pl.Int64, "source": pl.Utf8, "confidence": pl.Utf8},
    )
    row = coverage({"empty": empty}).row(0, named=True)
    assert row["rows"] == 0 and row["year_min"] is None and row["high_share"] is None and row["entity_column"] is None


def test_markdown_catalog_renders_one_line_per_table():
    text = markdown_catalog(coverage(TABLES), titles={"market": "Market | revenue"})
    lines = text.strip().split("\n")
    assert len(lines) == 2 + len(TABLES)
    assert lines[2] == "| `market` | Market \\| revenue | 4 | 2019–2021 | 2 company | 4 | 25% / 25% / 50% |"
    assert "| `models` |  | 1 | 2024 (as of) | 1 model_id | 1 | 100% / 0% / 0% |" in lines
    assert all(line.count("|") - line.count("\\|") == 8 for line in lines)


def test_shipped_catalog_covers_every_table():
    cover, titles = load_coverage(RAW)
    assert {
        "systems",
        "hbm_generations",
        "hbm_products",
        "pc_dram",
        "dram_market",
        "accelerator_shipments",
        "rental_prices",
        "llm_models",
        "inference_benchmarks",
    } <= set(cover["table"])
    assert (cover["rows"] > 0).all()
    shares = cover["high_share"] + cover["medium_share"] + cover["low_share"]
    assert ((shares - 1).abs() < 1e-9).all()
    assert all(titles[t] for t in cover["table"])
