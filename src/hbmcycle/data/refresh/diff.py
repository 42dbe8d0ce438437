"""Upstream rows against the curated CSV: changed cells, new rows, rows gone upstream.

What a refresh may do unattended is the pipeline's rule per column:

- an empty curated cell is always filled (filling an unknown overwrites nothing);
- `update`: a value is replaced when the curated row already cites this pipeline's source;
- `fill`: a non-empty curated value is never replaced unattended;
- `review`: every change is held;
- `new`: the column only fills rows proposed as new (e.g. a product name).

Held items are listed with both sources and applied only with `--accept` (a row key,
`KEY:COLUMN`, the pipeline id, or `all`). New rows follow `new_rows` (add / review /
ignore); a curated row citing this source that is gone upstream is reported, and
dropped only when `removed_rows: drop` (and only when every item was fetched).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hbmcycle.data.refresh.csvfile import CsvFile, Record
from hbmcycle.data.refresh.pipeline import Pipeline


@dataclass(frozen=True)
class Change:
    key: str
    column: str
    old: str
    new: str
    curated_source: str
    upstream: str
    held: bool


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    added: list[tuple[dict[str, str], bool]] = field(default_factory=list)  # (row, held)
    removed: list[tuple[Record, bool]] = field(default_factory=list)  # (curated record, kept)
    ignored_new: int = 0

    @property
    def applicable(self) -> bool:
        return (
            any(not c.held for c in self.changes)
            or any(not h for _, h in self.added)
            or any(not kept for _, kept in self.removed)
        )

    @property
    def held(self) -> int:
        return sum(c.held for c in self.changes) + sum(h for _, h in self.added)


def row_key(values, columns) -> str:
    return " | ".join(values(c) for c in columns)


def same(old: str, new: str) -> bool:
    try:
        a, b = float(old), float(new)
    except ValueError:
        return old.strip() == new.strip()
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def plan(pipeline: Pipeline, table: CsvFile, upstream: list[dict[str, str]], url: str, *, complete: bool,
         accept: frozenset[str] = frozenset()) -> Plan:  # fmt: skip
    """Compare; `complete` says every item was fetched (only then can a row be judged gone)."""
    curated = {row_key(lambda c, r=r: table.get(r, c), pipeline.match): r for r in table.records if r.cells}
    out, seen = Plan(), set()

    def accepted(*tokens: str) -> bool:
        return bool({"all", pipeline.id, *tokens} & accept)

    for row in upstream:
        key = row_key(lambda c, row=row: row.get(c, ""), pipeline.match)
        if key in seen:
            continue
        seen.add(key)
        record = curated.get(key)
        if record is None:
            if pipeline.new_rows == "ignore":
                out.ignored_new += 1
            else:
                out.added.append((row, pipeline.new_rows == "review" and not accepted(key)))
            continue
        cites = pipeline.owns(table.get(record, "source"))
        for column, new in row.items():
            old = table.get(record, column)
            rule = pipeline.rule(column)
            if column in pipeline.match or rule == "new" or same(old, new):
                continue
            unattended = not old.strip() or (rule == "update" and cites)
            held = not unattended and not accepted(key, f"{key}:{column}")
            out.changes.append(Change(key, column, old, new, table.get(record, "source"), url, held))
    if complete:
        for key, record in curated.items():
            if key not in seen and pipeline.owns(table.get(record, "source")):
                out.removed.append((record, pipeline.removed_rows != "drop"))
    return out
