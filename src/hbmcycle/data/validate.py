"""Read raw CSVs against their sidecars and report every problem with file, line and column.

Parsing is done row by row with the csv module (tables are small) so that each
message can name the physical line of the file, even after quoted cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import re
from pathlib import Path

import polars as pl

from hbmcycle.data.checks import cross_check
from hbmcycle.data.schema import CONFIDENCE_LEVELS, Column, MetadataError, TableMeta, discover, load_meta
from hbmcycle.data.types import Problem, Table, display

# Spreadsheet formula injection: a cell starting with = + - @ followed by a letter or '('.
FORMULA = re.compile(r"^[=+\-@]\s*[A-Za-z(]")
# ASCII digits only: int() and float() would also read full-width and other Unicode digits.
INTEGER = re.compile(r"^[+-]?\d+$", re.ASCII)
FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
NUMBER_WITH_UNIT = re.compile(r"^[+-]?[\d.]+\s*[A-Za-z%/]+$")
URL = re.compile(r"^https?://\S+$")
# Control characters (NUL, escape, ...) corrupt terminals and downstream tools; tabs and newlines are text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

POLARS_TYPES = {"string": pl.Utf8, "integer": pl.Int64, "float": pl.Float64, "date": pl.Date, "boolean": pl.Boolean}


def parse_cell(raw: str, column: Column):
    """Convert one non-empty cell to its Python value, or raise ValueError saying why."""
    if column.type == "string":
        return raw
    if column.type == "integer":
        if not INTEGER.match(raw):
            raise ValueError("is not an integer")
        return int(raw)
    if column.type == "float":
        if not FLOAT.match(raw):
            hint = "; units belong in the column name, not the cell" if NUMBER_WITH_UNIT.match(raw) else ""
            raise ValueError(f"is not a number{hint}")
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError("is not a finite number")
        return value
    if column.type == "date":
        if not DATE.match(raw):
            raise ValueError("is not a date")
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"is not a valid date ({exc})") from None
    if column.type == "boolean":
        if raw not in ("true", "false"):
            raise ValueError("is not a boolean")
        return raw == "true"
    raise AssertionError(column.type)


def check_value(value, column: Column) -> str | None:
    """Range / allowed / pattern rules for a parsed value; returns the complaint or None."""
    if column.min is not None and value < column.min:
        return f"is below the minimum {column.min:g}"
    if column.max is not None and value > column.max:
        return f"is above the maximum {column.max:g}"
    if column.allowed and str(value) not in column.allowed:
        return "is not an allowed value"
    if column.pattern and not re.fullmatch(column.pattern, str(value)):
        return "does not match the pattern"
    return None


def read_table(meta: TableMeta, today: dt.date | None = None) -> tuple[Table | None, list[Problem]]:
    """Parse and check one CSV against its metadata. Returns (table or None, problems)."""
    today = today or dt.date.today()
    path = meta.csv_path
    name = display(path)
    problems: list[Problem] = []
    text, found = _decode(path, name, meta)
    if text is None:
        return None, found
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        return None, [Problem(name, 1, "", f"malformed CSV header: {exc}")]
    if header != meta.column_names:
        return None, [_header_problem(header, meta, name)]

    columns = meta.columns
    values: dict[str, list] = {c.name: [] for c in columns}
    lines: list[int] = []
    seen_keys: dict[tuple, int] = {}
    line_start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(name, reader.line_num, "", f"malformed CSV: {exc}"))
            break
        line = line_start
        line_start = reader.line_num + 1
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(columns):
            problems.append(
                Problem(
                    name, line, "", f"has {len(row)} fields, expected {len(columns)} (quote cells that contain commas)"
                )
            )
            continue
        parsed = _parse_row(row, line, meta, today, name, seen_keys, problems)
        for column in columns:
            values[column.name].append(parsed[column.name])
        lines.append(line)

    if not lines and not problems:
        problems.append(Problem(name, 0, "", "has a header but no rows"))
    if problems:
        return None, problems
    frame = pl.DataFrame({c.name: pl.Series(c.name, values[c.name], dtype=POLARS_TYPES[c.type]) for c in columns})
    return Table(meta, frame, lines), []


def _parse_row(row, line, meta: TableMeta, today, name, seen_keys: dict, problems: list) -> dict:
    """One row's values by column (None where a cell is bad); appends the row's problems, duplicate key included."""
    parsed = {}
    for column, cell in zip(meta.columns, row):
        value, problem = _cell(cell, column, meta, today)
        if problem:
            problems.append(Problem(name, line, column.name, problem))
        parsed[column.name] = value
    key = tuple(parsed[k] for k in meta.primary_key)
    if all(k is not None for k in key):
        if key in seen_keys:
            message = f"duplicate primary key {key!r}, first seen on line {seen_keys[key]}"
            problems.append(Problem(name, line, ",".join(meta.primary_key), message))
        else:
            seen_keys[key] = line
    return parsed


def _decode(path: Path, name: str, meta: TableMeta) -> tuple[str | None, list[Problem]]:
    """The file's text (UTF-8, BOM dropped), or None and the problem: unreadable, not UTF-8, empty."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 0, "", f"cannot read file: {exc.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"byte 0x{data[exc.start]:02x} at character {col} is not UTF-8; save the file as UTF-8"
        return None, [Problem(name, line, "", message)]
    if not text.strip():
        return None, [Problem(name, 0, "", "file is empty; expected a header row: " + ",".join(meta.column_names))]
    return text, []


def _header_problem(header: list[str], meta: TableMeta, name: str) -> Problem:
    expected = meta.column_names
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    detail = []
    if missing:
        detail.append("missing " + ", ".join(missing))
    if extra:
        detail.append("unexpected " + ", ".join(extra))
    if not detail:
        detail.append("columns out of order")
    return Problem(
        name, 1, "", f"header does not match {meta.yaml_path.name}: {'; '.join(detail)}; expected: {','.join(expected)}"
    )


def _cell(cell: str, column: Column, meta: TableMeta, today: dt.date):
    """Parse and check one cell; returns (value, problem message or None)."""
    raw = cell.strip()
    if not raw:
        return None, (f"is required but empty (expected {column.expectation()})" if column.required else None)
    if CONTROL.search(raw):
        return None, f"value {raw!r} contains a control character; remove it"
    if FORMULA.match(raw):
        return None, f"value {raw!r} looks like a spreadsheet formula; enter the plain value"
    try:
        value = parse_cell(raw, column)
    except ValueError as exc:
        return None, f"value {raw!r} {exc} (expected {column.expectation()})"
    complaint = check_value(value, column)
    if complaint:
        return None, f"value {raw!r} {complaint} (expected {column.expectation()})"
    if column.name == "source":
        unknown = [s for s in (p.strip() for p in raw.split(";")) if s and s not in meta.sources and not URL.match(s)]
        if unknown:
            known = sorted(meta.sources)
            listing = ", ".join(known) if len(known) <= 8 else f"{len(known)} ids under 'sources:'"
            return None, (
                f"source {', '.join(unknown)} is neither a source id defined in {meta.yaml_path.name} "
                f"nor an http(s) URL (known: {listing or 'none'})"
            )
    if column.name == "as_of" and value > today:
        return None, f"value {raw!r} is in the future (as_of is when the fact was published)"
    if column.name == "confidence" and value not in CONFIDENCE_LEVELS:
        return None, f"value {raw!r} is not one of {', '.join(CONFIDENCE_LEVELS)}"
    return value, None


def load_all(raw: Path, only: list[str] | None = None) -> tuple[dict[str, Table], list[Problem]]:
    """Validate every table in `raw` (or those named in `only`) and run the cross-table checks."""
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    sidecars = discover(raw)
    for csv_path in sorted(raw.glob("*.csv")):
        if only and csv_path.stem not in only:
            continue
        if "." not in csv_path.stem and not csv_path.with_suffix(".yaml").exists():
            problems.append(
                Problem(display(csv_path), 0, "", f"has no metadata sidecar {csv_path.with_suffix('.yaml').name}")
            )
    metas: dict[str, TableMeta] = {}
    for yaml_path in sidecars:  # every sidecar, even with `only`: foreign keys point across tables
        try:
            metas[yaml_path.stem] = load_meta(yaml_path)
        except MetadataError as exc:
            if not only or yaml_path.stem in only:
                problems.append(Problem(display(yaml_path), exc.line, "", str(exc)))
    for name, meta in metas.items():
        if only and name not in only:
            continue
        found = _reference_problems(meta, metas, {p.stem for p in sidecars})
        if not found:
            table, found = read_table(meta)
            if table is not None:
                tables[name] = table
        problems.extend(found)
    if only:
        unknown = sorted(set(only) - {p.stem for p in sidecars})
        problems.extend(Problem(display(raw), 0, "", f"no table named {u!r}") for u in unknown)
    problems.extend(cross_check(tables))
    return tables, problems


def _reference_problems(meta: TableMeta, metas: dict[str, TableMeta], names: set[str]) -> list[Problem]:
    """A foreign key must name a table that exists and one of its columns (a typo would skip the check)."""
    problems = []
    text = meta.yaml_path.read_text(encoding="utf-8").splitlines()
    for fk in meta.foreign_keys:
        where = display(meta.yaml_path)
        line = next((n for n, t in enumerate(text, 1) if f"{fk.table}.{fk.target_column}" in t), 0)
        if fk.table not in names:
            close = difflib.get_close_matches(fk.table, sorted(names), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    where, line, fk.column, f"foreign key references table {fk.table!r}, which does not exist{hint}"
                )
            )
        elif fk.table in metas and fk.target_column not in metas[fk.table].column_names:
            problems.append(
                Problem(
                    where,
                    line,
                    fk.column,
                    f"foreign key references {fk.table}.{fk.target_column}, which is not a column of {fk.table}",
                )
            )
    return problems
