"""Write a plan into the curated CSV, but only after the whole real data tree validates with it.

The check runs on a full copy of data/raw, vintages/ included (path sources such as
decode_measurements' GPU logs point into it), with the edited CSV in place. The CSV is
then replaced atomically, keeping its file mode, byte-order mark, line endings and the
exact text (quoting) of every row that did not change.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
from pathlib import Path

from hbmcycle.data.refresh.csvfile import CsvFile
from hbmcycle.data.refresh.diff import Plan, row_key
from hbmcycle.data.refresh.pipeline import Pipeline
from hbmcycle.data.types import Problem
from hbmcycle.data.validate import load_all


def edit(pipeline: Pipeline, table: CsvFile, plan: Plan, url: str, today: dt.date) -> list[dict]:
    """Apply the plan's unattended (or accepted) items to `table` in memory; return every cell edit made."""
    edits: list[dict] = []
    by_key = {row_key(lambda c, r=r: table.get(r, c), pipeline.match): r for r in table.records if r.cells}
    touched: dict[str, list[str]] = {}
    for change in plan.changes:
        if change.held:
            continue
        record = by_key[change.key]
        table.set(record, change.column, change.new)
        edits.append(
            {"kind": "changed", "key": change.key, "column": change.column, "old": change.old, "new": change.new}
        )
        touched.setdefault(change.key, []).append(f"{change.column} {change.old or 'empty'} -> {change.new}")
    for key, what in touched.items():
        record = by_key[key]
        note = f"refreshed {today.isoformat()} from {pipeline.id} ({url}): {'; '.join(what)}"
        for column, value in _provenance(pipeline, table, record, note, today).items():
            edits.append(
                {"kind": "provenance", "key": key, "column": column, "old": table.get(record, column), "new": value}
            )
            table.set(record, column, value)
    for row, held in plan.added:
        if held:
            continue
        values = {**(pipeline.defaults or {}), **row}
        values.setdefault("source", pipeline.source_id)
        values.setdefault("as_of", today.isoformat())
        values["notes"] = "; ".join(
            v for v in (values.get("notes", ""), f"added {today.isoformat()} from {pipeline.id} ({url})") if v
        )
        table.append(values)
        edits.append({"kind": "added", "key": row_key(lambda c, v=values: v.get(c, ""), pipeline.match), "row": values})
    for record, kept in plan.removed:
        if not kept:
            table.records.remove(record)
            row = dict(zip(table.header, record.cells))
            edits.append({"kind": "removed", "key": row_key(lambda c, r=row: r.get(c, ""), pipeline.match), "row": row})
    return edits


def _provenance(pipeline: Pipeline, table: CsvFile, record, note: str, today: dt.date) -> dict[str, str]:
    sources = [s for s in table.get(record, "source").split(";") if s]
    out = {"as_of": today.isoformat(), "notes": "; ".join(n for n in (table.get(record, "notes"), note) if n)}
    if pipeline.source_id not in sources:
        out["source"] = ";".join([*sources, pipeline.source_id])
    return {c: v for c, v in out.items() if c in table.index}


def validate_and_write(raw: Path, tables: list[CsvFile]) -> list[Problem]:
    """Validate a copy of the whole of `raw` holding the edited tables; write them only if it is clean."""
    with tempfile.TemporaryDirectory(prefix=".refresh-", dir=raw.parent) as tmp:
        staged = Path(tmp) / raw.parent.name / raw.name  # same depth as data/raw: path sources resolve alike
        shutil.copytree(raw, staged, symlinks=True)
        for table in tables:
            (staged / table.path.name).write_bytes(table.render().encode("utf-8"))
        _, problems = load_all(staged)
    if problems:
        return problems
    for table in tables:
        write_atomic(table.path, table.render().encode("utf-8"))
    return []


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` by rename, keeping its permission bits (new files get 0644 less the umask)."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
