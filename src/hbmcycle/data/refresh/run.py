"""One refresh run of one pipeline: fetch (bounded), snapshot, diff, validate, apply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hbmcycle import paths
from hbmcycle.data.refresh import apply, changelog, diff, mapping, vintages
from hbmcycle.data.refresh.csvfile import CsvFile
from hbmcycle.data.refresh.fetch import Deadline, FetchError, fetch
from hbmcycle.data.refresh.pipeline import Pipeline
from hbmcycle.data.types import Problem


@dataclass
class Outcome:
    pipeline: str
    table: str
    vintage: Path | None = None
    plan: diff.Plan = field(default_factory=diff.Plan)
    failures: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    edits: list[dict] = field(default_factory=list)
    applied: bool = False
    fetched: int = 0

    @property
    def changes(self) -> list[diff.Change]:
        return self.plan.changes


def run(
    pipeline: Pipeline,
    *,
    apply_changes: bool = True,
    today: dt.date | None = None,
    accept: frozenset[str] = frozenset(),
    deadline: Deadline | None = None,
    progress: Callable[[], None] | None = None,
) -> Outcome:
    """Fetch every item, keep a vintage of what was read, and apply what the rules allow.

    Nothing is written when no item could be read (no vintage, no CSV change); a CSV is
    replaced only after the whole data tree validates with the change.
    """
    today = today or dt.date.today()
    raw = paths.raw_dir()
    deadline = deadline or Deadline(pipeline.limits.run_s)
    outcome = Outcome(pipeline.id, pipeline.table)
    fetched, found = {}, []
    for item in pipeline.items:
        try:
            got = fetch(item.url, pipeline.limits, deadline)
            found += mapping.records(pipeline, item.key, got.body)
            fetched[item.key] = (got, f"{item.key}.{pipeline.format}")
        except (FetchError, mapping.UpstreamError) as exc:
            outcome.failures.append(f"{item.key}: {item.url}: {exc}")
        if progress:
            progress()
    outcome.fetched = len(fetched)
    if not fetched:
        return outcome
    table = CsvFile.read(raw / f"{pipeline.table}.csv")
    upstream = mapping.rows(pipeline, found)
    outcome.vintage = vintages.write(raw / "vintages", pipeline.id, pipeline.table, today, fetched, outcome.failures)
    origin = f"vintage {outcome.vintage.parent.name}/{outcome.vintage.name}"
    # Only a listing (CSV, or JSON records under a path) can show that a row is gone upstream.
    listing = pipeline.format == "csv" or pipeline.records is not None
    complete = listing and not outcome.failures
    outcome.plan = diff.plan(pipeline, table, upstream, origin, complete=complete, accept=accept)
    if not (apply_changes and outcome.plan.applicable):
        return outcome
    edits = apply.edit(pipeline, table, outcome.plan, origin, today)
    outcome.problems = apply.validate_and_write(raw, [table])
    if not outcome.problems:
        vintages.record_changes(outcome.vintage, pipeline.table, pipeline.match, edits)
        changelog.update(raw, paths.repo_root() / "CHANGELOG.md")
        outcome.edits, outcome.applied = edits, True
    return outcome
