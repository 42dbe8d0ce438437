"""The data catalog: what each table covers (rows, years, entities, sources, confidence).

`coverage` is pure (frames in, frame out); `markdown_catalog` renders it for the README
and the CLI; `load_coverage` is the thin loader that reads the validated raw tables.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hbmcycle.data.schema import CONFIDENCE_LEVELS

# The column that dates a table's facts, in order of preference. `as_of` (when the fact
# was published) is the fallback: it dates the source, not the fact.
TIME_COLUMNS = ("year", "ship_year", "date", "milestone_date", "release_date", "announce_date", "jedec_date", "as_of")
# The column that names what a row is about, in order of preference.
ENTITY_COLUMNS = (
    "system_id",
    "product_family",
    "product_id",
    "accelerator_id",
    "model_id",
    "generation",
    "product",
    "company",
    "device",
)

COVERAGE_SCHEMA = {
    "table": pl.Utf8,
    "rows": pl.Int64,
    "year_column": pl.Utf8,
    "year_min": pl.Int64,
    "year_max": pl.Int64,
    "entity_column": pl.Utf8,
    "entities": pl.Int64,
    "sources": pl.Int64,
    **{f"{level}_share": pl.Float64 for level in CONFIDENCE_LEVELS},
}


def _years(frame: pl.DataFrame, column: str) -> pl.Series:
    series = frame[column].drop_nulls()
    return series.dt.year().cast(pl.Int64) if series.dtype == pl.Date else series.cast(pl.Int64)


def source_ids(frame: pl.DataFrame) -> set[str]:
    """Distinct source ids or URLs; a cell may list several separated by ';'."""
    if "source" not in frame.columns:
        return set()
    ids = frame["source"].drop_nulls().str.split(";").explode().str.strip_chars()
    return set(ids.filter(ids != "").to_list())


def coverage(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per table, sorted by name: row count; the year range of its first time column
    (TIME_COLUMNS order; a date counts by its calendar year); distinct values of its first
    entity column (ENTITY_COLUMNS order); distinct sources; and the share of rows at each
    confidence level (fractions of rows, null when the table has no rows)."""
    records = []
    for name in sorted(tables):
        frame = tables[name]
        year_column = next((c for c in TIME_COLUMNS if c in frame.columns), None)
        years = _years(frame, year_column) if year_column else pl.Series([], dtype=pl.Int64)
        entity_column = next((c for c in ENTITY_COLUMNS if c in frame.columns), None)
        confidence = frame["confidence"] if "confidence" in frame.columns else pl.Series([], dtype=pl.Utf8)
        records.append(
            {
                "table": name,
                "rows": frame.height,
                "year_column": year_column,
                "year_min": years.min() if years.len() else None,
                "year_max": years.max() if years.len() else None,
                "entity_column": entity_column,
                "entities": frame[entity_column].drop_nulls().n_unique() if entity_column else None,
                "sources": len(source_ids(frame)),
                **{
                    f"{level}_share": (confidence == level).sum() / frame.height if frame.height else None
                    for level in CONFIDENCE_LEVELS
                },
            }
        )
    return pl.DataFrame(records, schema=COVERAGE_SCHEMA)


def markdown_catalog(cover: pl.DataFrame, titles: dict[str, str] | None = None) -> str:
    """A Markdown table of `coverage(...)`: one line per table, with its title when given."""
    titles = titles or {}
    lines = [
        "| table | what | rows | years | entities | sources | confidence high / medium / low |",
        "|---|---|---:|---|---|---:|---|",
    ]
    for row in cover.iter_rows(named=True):
        if row["year_min"] is None:
            years = ""
        elif row["year_min"] == row["year_max"]:
            years = str(row["year_min"])
        else:
            years = f"{row['year_min']}–{row['year_max']}"
        if years and row["year_column"] == "as_of":
            years += " (as of)"
        entities = f"{row['entities']} {row['entity_column']}" if row["entity_column"] else ""
        shares = " / ".join(
            "" if row[f"{lv}_share"] is None else f"{row[f'{lv}_share']:.0%}" for lv in CONFIDENCE_LEVELS
        )
        what = titles.get(row["table"], "").replace("|", "\\|")
        lines.append(
            f"| `{row['table']}` | {what} | {row['rows']} | {years} | {entities} | {row['sources']} | {shares} |"
        )
    return "\n".join(lines) + "\n"


def load_coverage(raw: Path | None = None) -> tuple[pl.DataFrame, dict[str, str]]:
    """Coverage and titles of the validated tables in `raw` (default data/raw).

    Raises hbmcycle.data.types.ValidationError when the raw data has problems."""
    from hbmcycle import paths
    from hbmcycle.data.types import ValidationError
    from hbmcycle.data.validate import load_all

    tables, problems = load_all(raw or paths.raw_dir())
    if problems:
        raise ValidationError(problems)
    frames = {name: table.frame for name, table in tables.items()}
    return coverage(frames), {name: table.meta.title for name, table in tables.items()}
