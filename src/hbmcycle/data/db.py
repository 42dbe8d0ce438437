"""Read access to the built database for notebooks, models and the CLI.

Every connection opened here is read-only and sandboxed: DuckDB's external access is off
(no files, no network, no extensions) and its configuration is locked, so a query string
cannot read or write anything outside the database. Any number of readers can run while
`hbmcycle data build` writes a fresh generation and switches to it.
"""

from __future__ import annotations

import duckdb
import polars as pl

from hbmcycle import paths

# What makes a reader unable to touch files, extensions or the network.
READ_ONLY_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class DatabaseMissing(FileNotFoundError):
    pass


class DatabaseUnreadable(RuntimeError):
    """The database file exists but DuckDB cannot open it (corrupt, truncated, a foreign WAL)."""


def connect() -> duckdb.DuckDBPyConnection:
    db = paths.db_path()
    if not db.exists():
        raise DatabaseMissing(f"{db} does not exist: run `make data` (or `hbmcycle data build`) first")
    try:
        return duckdb.connect(str(db), read_only=True, config=READ_ONLY_CONFIG)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnreadable(f"cannot open {db} ({first}); rebuild it with `make data`") from None


def query(sql: str, params: list | None = None) -> pl.DataFrame:
    """Run one SQL query against the database and return a polars frame."""
    with connect() as con:
        return con.sql(sql, params=params or None).pl()


def read_table(name: str) -> pl.DataFrame:
    """A whole table or view as a polars frame."""
    return read_tables([name])[name]


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def read_tables(names, missing_ok: bool = False) -> dict[str, pl.DataFrame]:
    """Several tables or views, read through one connection: the one loader every analysis uses.

    Raises KeyError naming the missing table (and the known ones) unless ``missing_ok``,
    which leaves missing tables out of the result.
    """
    with connect() as con:
        known = table_names(con)
        missing = [n for n in names if n not in known]
        if missing and not missing_ok:
            raise KeyError(f"no table or view {missing[0]!r}; known: {', '.join(sorted(known))}")
        return {n: con.sql(f'SELECT * FROM "{n}"').pl() for n in names if n in known}


def tables() -> pl.DataFrame:
    """The catalog: one row per table with title, rows and source count."""
    return query("SELECT * FROM _tables ORDER BY table_name")
