"""Thin loaders: read the tables the cycle analysis needs from the built database."""

from __future__ import annotations

import polars as pl

from hbmcycle import db

TABLES = ("dram_market", "dram_prices", "accelerator_shipments", "accelerators", "hbm_generations",
          "hbm_products", "pc_dram", "ddr_generations")


def tables() -> dict[str, pl.DataFrame]:
    """Every table in TABLES that the database has (missing ones are left out)."""
    out = {}
    for name in TABLES:
        try:
            out[name] = db.read_table(name)
        except KeyError:
            continue
    return out
