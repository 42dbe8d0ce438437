"""Terminal output of `hbmcycle data refresh` and `data diff`: what was read, what changed, what waits."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table as RichTable

from hbmcycle.data.refresh.pipeline import Pipeline
from hbmcycle.data.refresh.run import Outcome

SHOWN_ROWS = 20


def report(out: Console, err: Console, pipe: Pipeline, outcome: Outcome) -> bool:
    """Print one pipeline's outcome; True when it failed (a fetch, the upstream schema or validation)."""
    vintage = f"{outcome.vintage.parent.name}/{outcome.vintage.name}" if outcome.vintage else "none (nothing read)"
    out.print(
        f"[bold]{pipe.id}[/bold] → {pipe.table}: {outcome.fetched}/{len(pipe.items)} item(s) read, vintage {vintage}"
    )
    for failure in outcome.failures:
        err.print(f"  error: {pipe.id}: {failure}", markup=False, highlight=False)
    plan = outcome.plan
    if plan.changes:
        view = RichTable(title=f"{len(plan.changes)} changed value(s) in {pipe.table}")
        for name in ("row", "column", "curated (source)", "upstream", "status"):
            view.add_column(name, overflow="fold")
        for c in plan.changes:
            status = f"held: --accept '{c.key}:{c.column}'" if c.held else ("applied" if outcome.applied else "pending")
            view.add_row(
                c.key, c.column, f"{c.old or 'empty'} ({c.curated_source})", f"{c.new} ({pipe.source_id})", status
            )
        out.print(view)
    for row, held in plan.added[:SHOWN_ROWS]:
        key = " | ".join(row.get(c, "") for c in pipe.match)
        state = f"held: --accept '{key}'" if held else ("added" if outcome.applied else "pending")
        out.print(f"  new row {key}: {state}", markup=False, highlight=False)
    if len(plan.added) > SHOWN_ROWS:
        out.print(f"  ... and {len(plan.added) - SHOWN_ROWS} more new row(s)")
    for record, kept in plan.removed:
        key = " | ".join(record.cells[:3])
        out.print(f"  gone upstream: {key} ({'kept; removed_rows: report' if kept else 'removed'})", markup=False)
    if not (plan.changes or plan.added or plan.removed) and outcome.fetched:
        out.print("  no changes")
    if outcome.problems:
        for p in outcome.problems:
            err.print(f"  {p}", markup=False, highlight=False)
        err.print(f"  error: changes NOT applied: validation failed; {pipe.table}.csv left as it was", markup=False)
    elif outcome.applied:
        out.print(
            f"  [green]applied[/green] {len(outcome.edits)} edit(s) to data/raw/{pipe.table}.csv; run `make data`"
        )
    if plan.held:
        out.print(
            f"  {plan.held} item(s) held for review (rerun with --accept KEY[:COLUMN], --accept {pipe.id} or all)"
        )
    return bool(outcome.failures or outcome.problems)


def changes_table(frame: pl.DataFrame, title: str) -> RichTable:
    view = RichTable(title=title)
    for c in ("vintage", "table_name", "kind", "row_key", "column_name", "old_value", "new_value"):
        view.add_column(c, overflow="fold")
    for row in frame.iter_rows(named=True):
        view.add_row(
            *(
                str(row[c] or "")
                for c in ("vintage", "table_name", "kind", "row_key", "column_name", "old_value", "new_value")
            )
        )
    return view
