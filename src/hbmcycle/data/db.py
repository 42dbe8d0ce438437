"""Read access to the built database for notebooks, models and the CLI.

Connections are read-only, so any number of readers can run while `hbmcycle data
build` writes a fresh file and renames it over the old one.
"""

from __future__ import annotations

import duckdb
import polars as pl

from hbmcycle import paths


class DatabaseMissing(FileNotFoundError):
    pass


def connect() -> duckdb.DuckDBPyConnection:
    db = paths.db_path()
    if not db.exists():
        raise DatabaseMissing(f"{db} does not exist: run `make data` (or `hbmcycle data build`) first")
    return duckdb.connect(str(db), read_only=True)


def query(sql: str, params: list | None = None) -> pl.DataFrame:
    """Run one SQL query against the database and return a polars frame."""
    with connect() as con:
        return con.sql(sql, params=params or None).pl()


def read_table(name: str) -> pl.DataFrame:
    """A whole table or view as a polars frame."""
    return read_tables([name])[name]


def read_tables(names, missing_ok: bool = False) -> dict[str, pl.DataFrame]:
    """Several tables or views, read through one connection: the one loader every analysis uses.

    Raises KeyError naming the missing table (and the known ones) unless ``missing_ok``,
    which leaves missing tables out of the result.
    """
    with connect() as con:
        known = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = [n for n in names if n not in known]
        if missing and not missing_ok:
            raise KeyError(f"no table or view {missing[0]!r}; known: {', '.join(sorted(known))}")
        return {n: con.sql(f'SELECT * FROM "{n}"').pl() for n in names if n in known}


def tables() -> pl.DataFrame:
    """The catalog: one row per table with title, rows and source count."""
    return query("SELECT * FROM _tables ORDER BY table_name")
