"""Build data/processed/hbmcycle.duckdb (plus Parquet copies) from validated raw tables.

The build writes a new generation (database and Parquet together) and switches to it with
one atomic rename (see generation.py), so a failed or killed build leaves the previous
database intact and readers holding the old file (a notebook, a dashboard) are never
blocked: on POSIX they keep reading the old inode until they reconnect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from hbmcycle import paths
from hbmcycle.data import generation
from hbmcycle.data.coverage import source_ids
from hbmcycle.data.refresh.vintages import write_history
from hbmcycle.data.types import Problem, Table, ValidationError
from hbmcycle.data.validate import load_all

BuildBusy = generation.BuildBusy


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
        needs, about = (_header(rest, key, name) for key in ("needs", "about"))
        sql = "\n".join(line for line in rest.splitlines() if not line.startswith("--")).strip()
        out.append(View(name.strip(), tuple(n.strip() for n in needs.split(",")), about.strip(), sql))
    return out


def _header(block: str, key: str, view: str) -> str:
    """The text of a view's ``-- key: ...`` header line (every view documents what it needs and holds)."""
    found = re.search(rf"^-- {key}: (.*)$", block, re.M)
    if found is None:
        raise ValueError(f"sql/views.sql: view {view.strip()} lacks its '-- {key}:' line")
    return found.group(1)


def build(raw: Path | None = None, db: Path | None = None, parquet: Path | None = None) -> dict[str, Table]:
    """Validate everything, then write the database and Parquet copies as one new generation.

    Raises ValidationError (with every problem found) before touching any output, and
    generation.BuildBusy when another process has the database open for writing. Builds
    of one processed folder are serialised by a lock file (a second build waits).
    """
    raw = raw or paths.raw_dir()
    db = db or paths.db_path()
    parquet = parquet or paths.parquet_dir()
    tables, problems = load_all(raw)
    if problems:
        raise ValidationError(problems)

    processed = db.parent
    with generation.build_lock(processed):
        generation.prepare(processed, db, parquet)
        target = generation.new_generation(processed)
        with duckdb.connect(str(target / db.name)) as con:
            con.execute("BEGIN")  # one transaction: one commit (and fsync) instead of one per statement
            _write(con, tables)
            write_history(con, raw)  # refresh vintages and per-vintage edits (`data show --as-of`)
            con.execute("COMMIT")
        (target / parquet.name).mkdir()
        for name, table in tables.items():
            table.frame.write_parquet(target / parquet.name / f"{name}.parquet")
        generation.publish(target, db, parquet)
        generation.remove_stale(processed)
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
                len(source_ids(table.frame)),  # sources the rows cite, as `data catalog` counts
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


__all__ = ["BuildBusy", "Problem", "ValidationError", "View", "build", "views"]
