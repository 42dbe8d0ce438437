"""Quarterly refresh: pull machine-readable sources, keep every vintage, show and apply changes.

Modules: `pipeline` (the declarative pipelines/*.yaml), `fetch` (bounded HTTP),
`mapping` (response -> rows, upstream schema checks), `diff` (against the curated CSV,
with per-column rules), `csvfile` + `apply` (validated, byte-preserving writes),
`vintages` + `history` (snapshots and database history), `changelog`, `run`.
"""

from hbmcycle.data.refresh.diff import Change, Plan
from hbmcycle.data.refresh.fetch import Deadline, FetchError, Limits
from hbmcycle.data.refresh.pipeline import Item, Pipeline, PipelineError, pipelines
from hbmcycle.data.refresh.run import Outcome, run

__all__ = [
    "Change", "Deadline", "FetchError", "Item", "Limits", "Outcome", "Pipeline", "PipelineError", "Plan",
    "pipelines", "run",
]  # fmt: skip
