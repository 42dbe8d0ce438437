"""Vintages: dated snapshots of every refresh, and the database history built from them.

A vintage is data/raw/vintages/<pipeline>/<YYYY-MM-DD>[.N]/ holding the raw responses,
manifest.json (URL, final URL after redirects, fetch time, sha256, size) and, once a
change was applied, changes.json (every cell edit, row added and row removed). The
folder is assembled under a temporary name and renamed into place, so a failed run
leaves nothing behind. The build turns the folders into two tables:

- `vintages`: one row per vintage (pipeline, table, date, quarter, items, bytes, edits);
- `refresh_changes`: one row per edit, so a figure's value at any past date is the
  current value with later edits undone (`table_as_of`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import polars as pl

from hbmcycle.data.refresh.fetch import Fetched

PERIOD = re.compile(r"^(\d{4})Q([1-4])$")
FOLDER = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.(\d+))?$")
S, D, N = pl.Utf8, pl.Date, pl.Int64
VINTAGE_SCHEMA = {"vintage": S, "pipeline": S, "table_name": S, "vintage_date": D, "quarter": S, "items_fetched": N,
                  "items_failed": N, "bytes": N, "edits": N}  # fmt: skip
CHANGE_SCHEMA = {"vintage": S, "vintage_date": D, "quarter": S, "pipeline": S, "table_name": S, "seq": N, "kind": S,
                 "row_key": S, "key_columns": S, "column_name": S, "old_value": S, "new_value": S, "row_json": S}  # fmt: skip


def quarter(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_when(text: str) -> dt.date:
    """'2026Q3' (the quarter's last day) or an ISO date; ValueError naming both forms otherwise."""
    if m := PERIOD.match(text.strip()):
        year, q = int(m.group(1)), int(m.group(2))
        return dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a quarter like 2026Q3 nor a date like 2026-09-30") from None


def write(root: Path, pipeline_id: str, table: str, today: dt.date, fetched: dict[str, tuple[Fetched, str]],
          failures: list[str]) -> Path:  # fmt: skip
    """Store the responses ({key: (fetched, file name)}) as a new vintage folder; return it."""
    parent = root / pipeline_id
    parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".vintage-", dir=parent))
    try:
        items = []
        for key, (got, name) in fetched.items():
            (stage / name).write_bytes(got.body)
            items.append({"key": key, "url": got.url, "final_url": got.final_url, "file": name,
                          "sha256": got.sha256, "bytes": len(got.body), "fetched_at": got.fetched_at})  # fmt: skip
        manifest = {"pipeline": pipeline_id, "table": table, "date": today.isoformat(), "items": items,
                    "failures": failures}  # fmt: skip
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.chmod(stage, 0o777 & ~_umask())
        return _rename_free(stage, parent, today)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _rename_free(stage: Path, parent: Path, today: dt.date) -> Path:
    n = 1
    while True:
        target = parent / (today.isoformat() if n == 1 else f"{today.isoformat()}.{n}")
        try:
            os.rename(stage, target)  # fails if target exists (non-empty), so two runs never share a folder
            return target
        except OSError:
            if not target.exists():
                raise
            n += 1


def record_changes(vintage: Path, table: str, match: tuple[str, ...], edits: list[dict]) -> None:
    doc = {"table": table, "key_columns": list(match), "edits": edits}
    (vintage / "changes.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def history(raw: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(vintages, refresh_changes) frames from every vintage folder that has a manifest."""
    vintage_rows, change_rows = [], []
    for manifest_path in sorted((raw / "vintages").glob("*/*/manifest.json")):
        folder = manifest_path.parent
        match = FOLDER.match(folder.name)
        if not match:
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        day = dt.date.fromisoformat(match.group(1))
        name = f"{folder.parent.name}/{folder.name}"
        changes_path = folder / "changes.json"
        changes = json.loads(changes_path.read_text(encoding="utf-8")) if changes_path.exists() else {"edits": []}
        vintage_rows.append(
            (name, folder.parent.name, manifest.get("table"), day, quarter(day), len(manifest["items"]),
             len(manifest.get("failures", [])), sum(i["bytes"] for i in manifest["items"]), len(changes["edits"]))
        )  # fmt: skip
        for seq, e in enumerate(changes["edits"]):
            change_rows.append(
                (name, day, quarter(day), folder.parent.name, changes.get("table"), seq, e["kind"], e["key"],
                 ",".join(changes.get("key_columns", [])), e.get("column"), e.get("old"), e.get("new"),
                 json.dumps(e["row"]) if "row" in e else None)
            )  # fmt: skip
    vintages = pl.DataFrame(vintage_rows, schema=VINTAGE_SCHEMA, orient="row")
    return vintages, pl.DataFrame(change_rows, schema=CHANGE_SCHEMA, orient="row")


def write_history(con, raw: Path) -> None:
    """Create the `vintages` and `refresh_changes` tables in an open build connection."""
    vintages, changes = history(raw)
    for name, frame in (("vintages", vintages), ("refresh_changes", changes)):
        con.register("_history_frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _history_frame")
        con.unregister("_history_frame")
    con.execute("COMMENT ON TABLE vintages IS 'One row per refresh vintage (data/raw/vintages/<pipeline>/<date>)'")
    con.execute(
        "COMMENT ON TABLE refresh_changes IS 'Every cell edit, row added and row removed by a refresh, per vintage'"
    )
