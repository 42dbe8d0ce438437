"""Build data/processed/hbmcycle.duckdb (plus Parquet copies) from validated raw tables.

The build writes into a temporary file beside the target and swaps it in with an
atomic rename, so a failed build leaves the previous database untouched and
readers holding the old file (a notebook, a dashboard) are never blocked: on
POSIX they keep reading the old inode until they reconnect.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from hbmcycle import paths
from hbmcycle.data.refresh.vintages import write_history
from hbmcycle.data.types import Problem, Table, ValidationError
from hbmcycle.data.validate import load_all


@dataclass(frozen=True)
class View:
    name: str
    needs: tuple[str, ...]
    about: str
    sql: str


def views() -> list[View]:
    """Parse sql/views.sql into its documented blocks."""
    text = resources.files("hbmcycle.data").joinpath("sql/views.sql").read_text(encoding="utf-8")
    out = []
    for block in re.split(r"^-- view: ", text, flags=re.M)[1:]:
        name, rest = block.split("\n", 1)
        needs = re.search(r"^-- needs: (.*)$", rest, re.M).group(1)
        about = re.search(r"^-- about: (.*)$", rest, re.M).group(1)
        sql = "\n".join(line for line in rest.splitlines() if not line.startswith("--")).strip()
        out.append(View(name.strip(), tuple(n.strip() for n in needs.split(",")), about.strip(), sql))
    return out


def build(raw: Path | None = None, db: Path | None = None, parquet: Path | None = None) -> dict[str, Table]:
    """Validate everything, then write the database and Parquet copies atomically.

    Raises ValidationError (with every problem found) before touching any output.
    """
    raw = raw or paths.raw_dir()
    db = db or paths.db_path()
    parquet = parquet or paths.parquet_dir()
    tables, problems = load_all(raw)
    if problems:
        raise ValidationError(problems)

    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".hbmcycle-", suffix=".duckdb", dir=db.parent)
    os.close(fd)
    os.unlink(tmp_name)  # duckdb must create the file itself
    tmp_db = Path(tmp_name)
    tmp_parquet = Path(tempfile.mkdtemp(prefix=".parquet-", dir=db.parent))
    try:
        with duckdb.connect(str(tmp_db)) as con:
            _write(con, tables)
            write_history(con, raw)  # refresh vintages and per-vintage edits (`data show --as-of`)
            for name, table in tables.items():
                table.frame.write_parquet(tmp_parquet / f"{name}.parquet")
        os.replace(tmp_db, db)
        old = parquet.with_name(parquet.name + ".old")
        if parquet.exists():
            os.replace(parquet, old)
        os.replace(tmp_parquet, parquet)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        tmp_db.unlink(missing_ok=True)
        Path(str(tmp_db) + ".wal").unlink(missing_ok=True)
        shutil.rmtree(tmp_parquet, ignore_errors=True)
    return tables


def _write(con: duckdb.DuckDBPyConnection, tables: dict[str, Table]) -> None:
    catalog, columns, sources = [], [], []
    for name, table in tables.items():
        frame = table.frame  # noqa: F841  (read by duckdb's replacement scan)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
        meta = table.meta
        con.execute(f"COMMENT ON TABLE \"{name}\" IS '{_quote(meta.title)}'")
        for c in meta.columns:
            label = f"{c.description} [{c.unit}]" if c.unit else c.description
            con.execute(f'COMMENT ON COLUMN "{name}"."{c.name}" IS \'{_quote(label)}\'')
            columns.append((name, c.name, c.type, c.unit, c.min, c.max, ",".join(c.allowed or ()), c.description))
        catalog.append(
            (
                name,
                meta.title,
                meta.description,
                ",".join(meta.primary_key),
                table.frame.height,
                len(meta.sources),
                str(meta.csv_path.name),
            )
        )
        sources += [(name, s.id, s.producer, s.title, s.url, s.accessed, s.licence) for s in meta.sources.values()]

    _frame_table(
        con, "_tables", catalog, ["table_name", "title", "description", "primary_key", "rows", "sources", "file"]
    )
    _frame_table(
        con, "_columns", columns, ["table_name", "column_name", "type", "unit", "min", "max", "allowed", "description"]
    )
    _frame_table(con, "_sources", sources, ["table_name", "id", "producer", "title", "url", "accessed", "licence"])
    existing = set(tables) | {"_tables", "_columns", "_sources"}
    view_rows = []
    for view in views():
        if set(view.needs) <= existing:
            con.execute(view.sql)
            con.execute(f"COMMENT ON VIEW {view.name} IS '{_quote(view.about)}'")
            view_rows.append((view.name, ",".join(view.needs), view.about))
    _frame_table(con, "_views", view_rows, ["view_name", "needs", "about"])


def _frame_table(con, name: str, rows: list[tuple], names: list[str]) -> None:
    frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)  # noqa: F841
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")


def _quote(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["Problem", "ValidationError", "View", "build", "views"]
