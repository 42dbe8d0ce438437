"""Queries over refresh history: a table as it was at a past date, and what changed since.

`table_as_of(name, when)` = the current table with every refresh edit made after `when`
undone, newest first (a changed cell gets its old text back, an added row goes, a
removed row returns). `changes_since(when)` lists those same edits, oldest first, so
as-of plus the listed edits gives today's table.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from hbmcycle.data import db


def changes_since(when: dt.date, table: str | None = None) -> pl.DataFrame:
    """Every refresh edit in a vintage dated after `when` (optionally for one table), oldest first."""
    frame = db.read_table("refresh_changes").filter(pl.col("vintage_date") > when)
    if table:
        frame = frame.filter(pl.col("table_name") == table)
    return frame.sort("vintage_date", "vintage", "seq")


def table_as_of(name: str, when: dt.date) -> pl.DataFrame:
    """Table `name` as it stood at the end of day `when`, per the recorded refresh edits."""
    frames = db.read_tables([name, "refresh_changes"])
    current = frames[name]
    later = (
        frames["refresh_changes"]
        .filter((pl.col("table_name") == name) & (pl.col("vintage_date") > when))
        .sort("vintage_date", "vintage", "seq", descending=True)
    )
    if later.is_empty():
        return current
    rows = _as_text(current).to_dicts()
    for edit in later.iter_rows(named=True):
        rows = _undo(rows, edit)
    text = pl.DataFrame(rows, schema=dict.fromkeys(current.columns, pl.Utf8), orient="row")
    return _typed(text, current.schema)


def _undo(rows: list[dict], edit: dict) -> list[dict]:
    columns = edit["key_columns"].split(",")

    def key(row: dict) -> str:
        return " | ".join(row.get(c) or "" for c in columns)

    if edit["kind"] == "added":
        return [r for r in rows if key(r) != edit["row_key"]]
    if edit["kind"] == "removed":
        restored = json.loads(edit["row_json"])
        return [*rows, {c: (restored.get(c) or None) for c in rows[0]}] if rows else rows
    for row in rows:
        if key(row) == edit["row_key"]:
            row[edit["column_name"]] = edit["old_value"] or None
    return rows


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the text the CSV holds (booleans true/false, dates ISO, whole floats without .0)."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Boolean:
            out.append(pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false")).alias(name))
        elif dtype.is_float():
            out.append(
                pl.when(col == col.round(0))
                .then(col.cast(pl.Int64).cast(pl.Utf8))
                .otherwise(col.cast(pl.Utf8))
                .alias(name)
            )
        else:
            out.append(col.cast(pl.Utf8).alias(name))
    return frame.select(out)


def _typed(text: pl.DataFrame, schema) -> pl.DataFrame:
    out = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if dtype == pl.Boolean:
            out.append(col.replace_strict({"true": True, "false": False}, default=None, return_dtype=pl.Boolean))
        elif dtype == pl.Date:
            out.append(col.str.to_date(strict=False))
        else:
            out.append(col.cast(dtype, strict=False))
    return text.select(out)
